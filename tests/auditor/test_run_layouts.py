"""Foreign runs in more layouts (small runs written here, not the corpus): checkpoints saved as
step-named folders of safetensors weights, an optimizer file and a JSON sidecar; save lines
that point at the file with an arrow and give the reason (a timer, a signal, the end); a
scheduler's job that appends its requeued attempt to the same log; a progress file that only
a heartbeat thread rewrites."""

from __future__ import annotations

import json
import os
from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig, load_config
from auditor.evidence import Evidence
from auditor.evidence import run as run_ev
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

PICKLE = b"\x80\x04}\x94."  # an empty dict: a readable checkpoint with nothing in it


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def probe(name: str, root: Path, run: Path | None, discovered: bool = False, **params):
    config = resolve(load_config(root)) if discovered else ProjectConfig(root=root)
    return PROBES[name](Evidence(config, run), **params)


def _folder_saves(root: Path, steps: tuple[int, ...]) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for step in steps:
        folder = f"exp/checkpoints/step_{step:06d}"
        files[f"{folder}/model.safetensors"] = b"weights"
        files[f"{folder}/ema.safetensors"] = b"weights"
        files[f"{folder}/optimizer.pt"] = PICKLE
        files[f"{folder}/meta.json"] = json.dumps({"step": step})
    return files


DIFFUSION_LOG = """\
2026-01-01 10:00:00.000 | INFO  | start pid 7: train.py --run-dir exp
2026-01-01 10:00:10.000 | INFO  | step 10 | loss 0.9 | lr 2.00e-04
2026-01-01 10:02:30.100 | INFO  | saved exp/checkpoints/step_000100 (150.1 s since the last save)
2026-01-01 10:03:00.000 | INFO  | step 120 | loss 0.5 | lr 2.00e-04
2026-01-01 10:05:00.200 | INFO  | saved exp/checkpoints/step_000200 (150.1 s since the last save)
2026-01-01 10:05:30.000 | INFO  | step 230 | loss 0.4 | lr 2.00e-04
2026-01-01 10:05:31.000 | INFO  | saved exp/checkpoints/step_000230 (end of training)
2026-01-01 10:05:31.001 | INFO  | finished at step 230
"""


def test_step_named_folders_of_weights_are_periodic_checkpoints(tmp_path):
    write(tmp_path, _folder_saves(tmp_path, (100, 200)))
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "exp")
    assert sorted((c.file, c.kind, c.step) for c in run.checkpoints) == [
        ("checkpoints/step_000100", "periodic", 100), ("checkpoints/step_000200", "periodic", 200)]
    assert probe("run.periodic_checkpoints", tmp_path, tmp_path / "exp").verdict == Verdict.YES


def test_a_step_folder_without_weights_is_an_unfinished_save(tmp_path):
    write(tmp_path, {"exp/checkpoints/step_000100/meta.json": "{}", **_folder_saves(tmp_path, (200,))})
    for path in (tmp_path / "exp").rglob("*"):
        os.utime(path, (1767261600, 1767261600))  # long done: not a save in progress
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "exp")
    status = {c.file: c.status for c in run.checkpoints}
    assert status["checkpoints/step_000100"] == "incomplete" and status["checkpoints/step_000200"] == "readable"


def test_timed_saves_of_step_folders_give_the_interval_without_the_end_of_training_save(tmp_path):
    write(tmp_path, {**_folder_saves(tmp_path, (100, 200, 230)), "exp/train.log": DIFFUSION_LOG})
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "exp")
    assert [(s.line, s.kind) for s in run.log.saves] == [(3, "periodic"), (5, "periodic"), (7, "final")]
    r = probe("run.checkpoint_gaps", tmp_path, tmp_path / "exp", min_s=60, max_s=300)
    assert r.verdict == Verdict.YES and r.measured["largest_gap_s"] == 150.1, r.summary
    assert probe("run.periodic_checkpoints", tmp_path, tmp_path / "exp").verdict == Verdict.YES


JOB_LOG = """\
=== 2026-01-01 10:00:00 job 42 attempt 1 on node1
2026-01-01 10:00:02 INFO start job=42 restart=0 pid=100 argv=--ckpt-dir /s/ckpt --ckpt-minutes 2
2026-01-01 10:00:03 INFO no latest.pt in /s/ckpt, starting from scratch
2026-01-01 10:00:30 INFO step 25 loss 2.0 110.0 ms/step
2026-01-01 10:02:03 INFO checkpoint [timer] step 900 -> /s/ckpt/step_0000900.pt
2026-01-01 10:03:00 INFO step 1425 loss 1.5 110.0 ms/step
2026-01-01 10:04:03 INFO checkpoint [timer] step 1800 -> /s/ckpt/step_0001800.pt
2026-01-01 10:04:20 INFO got SIGUSR1 at step 1950
2026-01-01 10:04:20 INFO checkpoint [SIGUSR1] step 1950 -> /s/ckpt/step_0001950.pt
2026-01-01 10:04:20 INFO exiting for requeue
=== 2026-01-01 10:04:21 job 42 attempt 1 finished, exit code 0
=== 2026-01-01 10:05:00 job 42 attempt 2 on node1
2026-01-01 10:05:02 INFO start job=42 restart=1 pid=200 argv=--ckpt-dir /s/ckpt --ckpt-minutes 2
2026-01-01 10:05:03 INFO resumed from /s/ckpt/step_0001950.pt at step 1950
2026-01-01 10:05:30 INFO step 1975 loss 1.4 110.0 ms/step
2026-01-01 10:07:03 INFO checkpoint [timer] step 2900 -> /s/ckpt/step_0002900.pt
2026-01-01 10:07:30 INFO step 3000 loss 1.3 110.0 ms/step
2026-01-01 10:07:31 INFO checkpoint [final] step 3000 -> /s/ckpt/step_0003000.pt
2026-01-01 10:07:31 INFO done: 3000 steps
=== 2026-01-01 10:07:32 job 42 attempt 2 finished, exit code 0
"""


def _job(tmp_path: Path) -> Path:
    files: dict[str, str | bytes] = {f"scratch/ckpt/step_{s:07d}.pt": PICKLE for s in (900, 1800, 1950, 2900, 3000)}
    files["logs/lm-42.out"] = JOB_LOG
    files["jobs/train.sbatch"] = "#!/bin/bash\n#SBATCH --output=logs/%x-%j.out\n#SBATCH --open-mode=append\n" \
                                 "srun python -u train.py --ckpt-dir $SCRATCH/ckpt\n"
    return write(tmp_path, files)


def test_save_lines_that_point_at_the_file_say_whether_a_timer_a_signal_or_the_end_saved(tmp_path):
    root = _job(tmp_path)
    run = run_ev.collect(resolve(load_config(root)), root / "scratch")
    assert [(s.line, s.kind) for s in run.log.saves] == [(5, "periodic"), (7, "periodic"), (9, "preempt"),
                                                         (16, "periodic"), (18, "final")]
    r = probe("run.checkpoint_gaps", root, root / "scratch", discovered=True, min_s=60, max_s=300)
    assert r.verdict == Verdict.YES and r.measured["largest_gap_s"] == 120.0, r.summary


def test_a_requeued_attempt_appended_to_the_same_log_is_a_second_session_that_resumed_by_itself(tmp_path):
    root = _job(tmp_path)
    run = run_ev.collect(resolve(load_config(root)), root / "scratch")
    assert [s.start_source for s in run.log.sessions] == ["logs/lm-42.out:1", "logs/lm-42.out:12"]
    assert probe("run.resumed", root, root / "scratch", discovered=True).verdict == Verdict.YES
    r = probe("run.auto_resumed", root, root / "scratch", discovered=True)
    assert r.verdict == Verdict.YES, r.summary
    assert probe("run.batch_logging", root, root / "scratch", discovered=True).verdict == Verdict.YES


def test_a_status_file_with_only_its_last_update_is_a_progress_file_of_unknown_cadence(tmp_path):
    write(tmp_path, {**_folder_saves(tmp_path, (100, 200)),
                     "exp/status.txt": "state: finished\nstep: 200 / 200\nupdated: 2026-01-01 10:05:31\n"})
    r = probe("run.progress_fresh", tmp_path, tmp_path / "exp")
    assert r.verdict == Verdict.PARTIAL and r.citations[0].location() == "status.txt:3"
    assert probe("run.heartbeat", tmp_path, tmp_path / "exp").verdict == Verdict.NO


HEARTBEAT_THREAD = """\
import json, threading, time
class ProgressBeat(threading.Thread):
    def __init__(self, path, every):
        super().__init__(daemon=True)
        self.path, self.every = path, every
    def run(self):
        while True:
            self.path.write_text(json.dumps({"updated": time.time()}))
            time.sleep(self.every)
def main(out):
    beat = ProgressBeat(out / "progress.json", 20)
    beat.start()
    for batch in loader:
        loss.backward()
        opt.step()
if __name__ == "__main__":
    main(Path("out"))
"""


def test_a_progress_file_a_heartbeat_thread_rewrites_is_one_heartbeat_record(tmp_path):
    root = write(tmp_path, {"train.py": HEARTBEAT_THREAD, "out/ckpt_000010.pt": PICKLE,
                            "out/progress.json": json.dumps({"status": "finished", "updated": "2026-01-01T10:05:31"})})
    r = probe("run.heartbeat", root, root / "out", discovered=True)
    assert r.verdict == Verdict.PARTIAL and "single" in r.summary, r.summary
    assert r.citations[0].source == "progress.json"


def test_an_engines_tagged_checkpoint_folders_and_its_latest_file(tmp_path):
    files: dict[str, str | bytes] = {"ckpts/latest": "global_step10\n"}
    for step in (5, 10):
        files[f"ckpts/global_step{step}/mp_rank_00_model_states.pt"] = PICKLE
        files[f"ckpts/global_step{step}/zero_pp_rank_0_mp_rank_00_optim_states.pt"] = PICKLE
    root = write(tmp_path / "p", files)
    run = run_ev.collect(resolve(load_config(root)), root / "ckpts")
    assert sorted((c.file, c.kind, c.step) for c in run.checkpoints) == [("global_step10", "periodic", 10),
                                                                         ("global_step5", "periodic", 5)]
    assert probe("run.periodic_checkpoints", root, root / "ckpts", discovered=True).verdict == Verdict.YES


def test_an_arrow_to_a_checkpoint_is_a_save_only_when_nothing_says_it_was_read(tmp_path):
    from auditor.evidence.runlog import LogLine, analyse

    texts = ["10:00:00 checkpoint [timer] step 10 -> /s/step_10.pt", "10:00:01 resuming from checkpoint -> /s/step_10.pt",
             "10:00:02 loaded checkpoint -> /s/step_10.pt"]
    log = analyse({"x.log": [LogLine("x.log", n, None, t) for n, t in enumerate(texts, start=1)]}, "run")
    assert [s.line for s in log.saves] == [1]
