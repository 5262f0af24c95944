"""`magvit quality`: the main job's quality targets, read from the eval.json files that `magvit eval`
wrote (the main job trains the default configs once; the targets are checked there, not by a test
that trains them again)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from magvit import quality
from magvit.cli import main

REPO = Path(__file__).resolve().parents[2]


def tokenizer_eval(psnr=28.5, baseline=19.3, usage=0.99) -> dict:
    return {"psnr": psnr, "baseline_psnr": baseline, "psnr_gain": psnr - baseline, "codebook_usage": usage,
            "objects": {"references": {"reconstruction": {"mean_colour_error": 4.0}}}}


def transformer_eval(visible=0.97, prediction=2.0, copy=5.0, velocity=2.5) -> dict:
    def ref(error, shown=1.0):
        return {"mean_centroid_error": error, "visible_share": shown, "centroid_error": [error] * 4}

    return {"stage": "transformer", "objects": {"references": {
        "prediction": ref(prediction, visible), "copy_last_frame": ref(copy),
        "constant_velocity": ref(velocity), "reconstruction": ref(0.3)}}}


def write(tmp_path: Path, name: str, payload: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return path


def test_targets_met_pass_and_each_is_reported_with_its_measured_value(tmp_path):
    checks = quality.check([write(tmp_path, "t.json", tokenizer_eval()), write(tmp_path, "p.json", transformer_eval())])
    assert all(c.passed for c in checks)
    by_name = {c.name: c for c in checks}
    assert by_name["tokenizer held-out PSNR (dB)"].value == 28.5
    assert by_name["prediction centroid error / copy-last-frame's"].value == 0.4
    assert by_name["disk visible in predicted frames"].value == 0.97


def test_a_missed_target_fails_and_says_which(tmp_path):
    checks = quality.check([write(tmp_path, "t.json", tokenizer_eval(psnr=27.9, baseline=17.0)),
                            write(tmp_path, "p.json", transformer_eval(visible=0.9, prediction=3.1))])
    failed = {c.name for c in checks if not c.passed}
    assert failed == {"tokenizer held-out PSNR (dB)", "disk visible in predicted frames",
                      "prediction centroid error / copy-last-frame's"}


def test_cli_exit_1_on_a_miss_0_when_met_2_on_an_unreadable_file(tmp_path):
    good = [str(write(tmp_path, "t.json", tokenizer_eval())), str(write(tmp_path, "p.json", transformer_eval()))]
    ok = CliRunner().invoke(main, ["quality", *good])
    assert ok.exit_code == 0, ok.output
    assert "PASS" in ok.output and "FAIL" not in ok.output
    missed = CliRunner().invoke(main, ["quality", str(write(tmp_path, "bad.json", tokenizer_eval(usage=0.3)))])
    assert missed.exit_code == 1 and "FAIL" in missed.output and "codebook" in missed.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    unreadable = CliRunner().invoke(main, ["quality", str(broken)])
    assert unreadable.exit_code == 2 and "broken.json" in unreadable.output
    fieldless = CliRunner().invoke(main, ["quality", str(write(tmp_path, "odd.json", {"psnr": 30}))])
    assert fieldless.exit_code == 2 and "odd.json" in fieldless.output


def test_the_main_job_checks_the_targets_of_both_evaluations():
    script = (REPO / "scripts" / "main.sh").read_text()
    line = next(line for line in script.splitlines() if "magvit quality" in line or "$MAGVIT quality" in line)
    assert "eval/eval.json" in line and "$STAGE2" in line and "$RUN" in line


def test_an_ungated_target_missed_is_reported_as_miss_without_failing(tmp_path):
    from magvit.quality import Target

    targets = (Target("psnr", "tokenizer", lambda p: p["psnr"], ">=", 40.0, gated=False),
               Target("usage", "tokenizer", lambda p: p["codebook_usage"], ">=", 0.5))
    checks = quality.check([write(tmp_path, "t.json", tokenizer_eval())], targets)
    assert [c.verdict for c in checks] == ["MISS", "PASS"]
    assert "MISS" in quality.format_checks(checks) and "not gated" in quality.format_checks(checks)
