"""A restore file that an option names by default: fairseq's `--restore-file` defaults to
`checkpoint_last.pt`, looked up in `--save-dir` at start-up and loaded by a trainer method that
skips it when it does not exist (a first start logs 'no existing checkpoint found'). A plain
restart, with no option, resumes from the newest state: auto-resume. A restore that needs the
user's path (an option whose default is None or empty) stays a plain resume.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit

OPTIONS = """
    import argparse


    def parse_args(argv=None):
        p = argparse.ArgumentParser()
        p.add_argument("data")
        p.add_argument("--save-dir", default="checkpoints")
        p.add_argument("--restore-file", default={default})
        p.add_argument("--max-update", type=int, default=1000)
        return p.parse_args(argv)
"""

TRAINER = """
    import logging
    import os

    import torch

    logger = logging.getLogger(__name__)


    class Trainer:
        def __init__(self, args, model):
            self.args = args
            self.model = model
            self.optimizer = torch.optim.Adam(model.parameters())
            self.num_updates = 0

        def train_step(self, batch):
            self.optimizer.zero_grad()
            loss = self.model(batch).sum()
            loss.backward()
            self.optimizer.step()
            self.num_updates += 1
            return loss.item()

        def load_checkpoint(self, filename):
            if not os.path.exists(filename):
                logger.info("no existing checkpoint found %s", filename)
                return None
            state = torch.load(filename)
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.num_updates = state["num_updates"]
            return state["extra"]
"""

TRAIN = """
    import os

    import torch

    from pkg.options import parse_args
    from pkg.trainer import Trainer


    def load_checkpoint(args, trainer):
{restore}
        return trainer.load_checkpoint(checkpoint_path)


    def main():
        args = parse_args()
        trainer = Trainer(args, torch.nn.Linear(4, 1))
        load_checkpoint(args, trainer)
        while trainer.num_updates < args.max_update:
            for batch in range(10):
                trainer.train_step(torch.randn(8, 4))
            torch.save({{"model": trainer.model.state_dict()}}, os.path.join(args.save_dir, "checkpoint_last.pt"))


    if __name__ == "__main__":
        main()
"""

FAIRSEQ = """\
        if args.restore_file == "checkpoint_last.pt":
            checkpoint_path = os.path.join(args.save_dir, "checkpoint_last.pt")
        else:
            checkpoint_path = args.restore_file"""

JOINED = """\
        checkpoint_path = os.path.join(args.save_dir, args.restore_file)"""

GIVEN = """\
        if not args.restore_file:
            return None
        checkpoint_path = args.restore_file"""


def _project(default: str, restore: str) -> dict[str, str]:
    return {
        "README.md": "Train: `python -m pkg.train data`\n",
        "pkg/__init__.py": "",
        "pkg/options.py": OPTIONS.format(default=default),
        "pkg/trainer.py": TRAINER,
        "pkg/train.py": TRAIN.format(restore=restore),
    }


def test_a_default_restore_file_of_the_last_checkpoint_in_the_save_dir_is_auto_resume(tmp_path):
    got = audit(tmp_path, _project('"checkpoint_last.pt"', FAIRSEQ))
    assert got["auto"].verdict == Verdict.YES, got["auto"].summary
    assert got["resume"].verdict == Verdict.YES, got["resume"].summary


def test_an_option_default_naming_the_last_checkpoint_joined_to_the_save_dir_is_auto_resume(tmp_path):
    got = audit(tmp_path, _project('"last.pt"', JOINED))
    assert got["auto"].verdict == Verdict.YES, got["auto"].summary


def test_a_restore_file_the_user_must_give_is_a_plain_resume(tmp_path):
    got = audit(tmp_path, _project("None", GIVEN))
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary
    assert got["resume"].verdict == Verdict.YES, got["resume"].summary


def test_an_empty_default_joined_to_the_save_dir_is_not_auto_resume(tmp_path):
    got = audit(tmp_path, _project('""', JOINED))
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary


def test_a_default_that_names_no_newest_checkpoint_is_not_auto_resume(tmp_path):
    got = audit(tmp_path, _project('"pretrained.pt"', JOINED))
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary
