"""A setting named after a mechanism, handed to training, is not an assertion on that mechanism.

Held-out tyro_preempt: `assert train(_cfg(tmp_path)) == 0`, with the helper `_cfg` building
`Config(..., heartbeat_every=20, ...)`. The test asserts that training returned 0, but the
helper's source, read as part of what the assertion reads, says "heartbeat", and the test was a
✅ on the heartbeat. A keyword argument's name sets something (as `fit(num_steps=300)` sets a
step count); a heartbeat file or its records read back are still a heartbeat.
"""

from __future__ import annotations

from auditor.evidence.behaviour import HEARTBEAT, effects_of


def test_a_heartbeat_setting_passed_to_training_is_no_heartbeat_asserted():
    assert HEARTBEAT not in effects_of("train(Config(run_dir=run, heartbeat_every=20, log_every=10)) == 0")
    assert HEARTBEAT not in effects_of("run(heartbeat_secs = 15)")
    assert HEARTBEAT not in effects_of("launch(heart_beat_every=0.2).returncode == 0")


def test_heartbeat_records_read_back_are_still_asserted():
    assert HEARTBEAT in effects_of('len((run / "heartbeat.log").read_text().splitlines()) >= 3')
    assert HEARTBEAT in effects_of("status['heartbeat'] == 'ok'")
    assert HEARTBEAT in effects_of("cfg.heartbeat_every == 20 and beats")
    assert HEARTBEAT in effects_of("heartbeat == expected")
    # held-out make_pipeline: the beats of a status file counted while a batch hangs
    assert HEARTBEAT in effects_of("wait_for(five_beats_at_one_step, timeout=30) and beats[-1]['pid'] == pid")
    assert HEARTBEAT in effects_of("state['last_beat'] > started")
    assert HEARTBEAT not in effects_of("accuracy > baseline  # beaten by the new model")
