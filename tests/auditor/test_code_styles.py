"""More styles of training code, on small projects written here: fastai learners with their
callbacks, DeepSpeed engines (gradient accumulation inside the step loop, `load_checkpoint`
following the `latest` tag), log lines written through `tqdm.write` by a small wrapper, and a
save interval read from a TOML (or YAML) configuration file whose unit is in the key's name."""

from __future__ import annotations

import pytest

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

FASTAI = """
    from fastai.vision.all import *
    from fastcore.script import call_parse


    @call_parse
    def main(epochs: int = 8, resume: str = None, start_epoch: int = 0):
        learn = Learner(dls, net(), loss_func=CrossEntropyLossFlat(), path=Path("work"))
        if resume:
            learn.load(resume)
        cbs = [SaveModelCallback({save}),
               CSVLogger(fname="history.csv")]
        learn.fit_one_cycle(epochs, 3e-3, cbs=cbs, start_epoch=start_epoch)
        learn.export("export.pkl")
"""


def test_a_fastai_callback_saving_every_epoch_is_a_periodic_save_in_epochs(tmp_path):
    got = audit(tmp_path, {"README.md": "`python train.py`\n", "train.py": FASTAI.format(
        save="every_epoch=True, with_opt=True")})
    assert got["save"].verdict == Verdict.YES and "train.py:11" in cited(got["save"]), got["save"].summary
    assert got["interval"].verdict == Verdict.PARTIAL and "epoch" in got["interval"].summary, got["interval"].summary
    assert got["log"].verdict == Verdict.PARTIAL, got["log"].summary  # CSVLogger: a row an epoch
    assert got["resume"].verdict == Verdict.YES, got["resume"].summary
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary


def test_a_fastai_callback_saving_only_the_best_model_is_not_periodic(tmp_path):
    got = audit(tmp_path, {"train.py": FASTAI.format(save="monitor='valid_loss'")})
    assert got["save"].verdict == Verdict.PARTIAL and "best" in got["save"].summary, got["save"].summary
    assert got["interval"].verdict == Verdict.NO, got["interval"].summary


DEEPSPEED = """
    import argparse

    import deepspeed


    def main():
        p = argparse.ArgumentParser()
        p.add_argument("--save_dir", default="checkpoints")
        p.add_argument("--save_interval", type=int, default=500)
        p.add_argument("--log_interval", type=int, default=10)
        p.add_argument("--train_iters", type=int, default=5000)
        args = p.parse_args()
        engine, _, loader, _ = deepspeed.initialize(args=args, model=model, model_parameters=model.parameters())
        step = 0
        load_path, client_state = engine.load_checkpoint(args.save_dir{tag})
        if load_path is not None:
            step = client_state["step"]
        data = iter(loader)
        while step < args.train_iters:
            for _ in range(engine.gradient_accumulation_steps()):
                loss = engine(next(data))
                engine.backward(loss)
                engine.step()
            step += 1
            if step % args.log_interval == 0:
                print(f"step {{step}} | loss {{loss.item():.4f}}")
            if step % args.save_interval == 0:
                engine.save_checkpoint(args.save_dir, tag=f"global_step{{step}}", client_state={{"step": step}})


    if __name__ == "__main__":
        main()
"""


def test_a_deepspeed_engine_loading_its_latest_tag_at_start_up_resumes_by_itself(tmp_path):
    got = audit(tmp_path, {"README.md": "`deepspeed train.py --deepspeed_config ds.json`\n",
                           "train.py": DEEPSPEED.format(tag="")})
    assert got["auto"].verdict == Verdict.YES and "train.py:16" in cited(got["auto"]), got["auto"].summary
    assert got["resume"].verdict == Verdict.YES, got["resume"].summary
    assert got["save"].verdict == Verdict.YES, got["save"].summary
    assert got["interval"].verdict == Verdict.PARTIAL, got["interval"].summary


def test_a_deepspeed_engine_given_a_tag_resumes_only_that_checkpoint(tmp_path):
    got = audit(tmp_path, {"train.py": DEEPSPEED.format(tag=", tag=args.tag")})
    assert got["auto"].verdict != Verdict.YES, got["auto"].summary


def test_the_loop_around_a_gradient_accumulation_loop_runs_once_a_step(tmp_path):
    got = audit(tmp_path, {"train.py": DEEPSPEED.format(tag="")})
    assert got["log"].verdict == Verdict.YES and "train.py:27" in cited(got["log"]), got["log"].summary


TQDM = """
    import time
    from datetime import datetime

    import torch
    from tqdm import tqdm


    def say(message):
        tqdm.write(f"{datetime.now():%H:%M:%S} {message}")


    def main():
        step = 0
        for epoch in range(3):
            for xb, yb in tqdm(batches(), leave=False):
                loss = model(xb).sum()
                loss.backward()
                optimizer.step()
                step += 1
                say(f"epoch {epoch} step {step} loss {loss.item():.4f}")


    if __name__ == "__main__":
        main()
"""


def test_lines_written_through_tqdm_by_a_small_wrapper_are_per_batch_logging(tmp_path):
    got = audit(tmp_path, {"train.py": TQDM})
    assert got["log"].verdict == Verdict.YES and "train.py:21" in cited(got["log"]), got["log"].summary


CONFIGURED = """
    import argparse
    import time
    import tomllib

    import torch


    def main():
        p = argparse.ArgumentParser()
        p.add_argument("--config", required=True)
        args = p.parse_args()
        with open(args.config, "rb") as f:
            cfg = tomllib.load(f)
        train_cfg = cfg["train"]
        last = time.monotonic()
        for step in range(train_cfg["steps"]):
            loss.backward()
            optimizer.step()
            if time.monotonic() - last >= train_cfg["{key}"]:
                torch.save(model.state_dict(), f"ckpt_{{step}}.pt")
                last = time.monotonic()


    if __name__ == "__main__":
        main()
"""


@pytest.mark.parametrize("key, value, verdict", [("save_every_s", "240", Verdict.YES),
                                                 ("save_every_min", "2.5", Verdict.YES),
                                                 ("save_every_s", "900", Verdict.NO)])
def test_a_save_interval_read_from_a_toml_config_takes_its_unit_from_the_key(tmp_path, key, value, verdict):
    got = audit(tmp_path, {"train.py": CONFIGURED.format(key=key),
                           "configs/train.toml": f"[train]\nsteps = 100\n{key} = {value}   # between checkpoints\n"})
    assert got["interval"].verdict == verdict, got["interval"].summary
    assert "configs/train.toml:3" in cited(got["interval"]), cited(got["interval"])


def test_a_save_interval_two_configuration_files_disagree_on_is_not_followed(tmp_path):
    got = audit(tmp_path, {"train.py": CONFIGURED.format(key="save_every_s"),
                           "configs/a.toml": "[train]\nsave_every_s = 240\n",
                           "configs/b.yaml": "train:\n  save_every_s: 900\n"})
    assert got["interval"].verdict == Verdict.PARTIAL, got["interval"].summary
