"""What a test of a stream trainer asserts: `re.findall(r"chunk (\\d+)/40 rows", log)` reads
per-chunk log lines (per-step logging, chunk by chunk), and `metrics["status"] == "finished"` of the
JSON file training rewrites reads its status record (the progress file). Held-out sk_stream.
"""

from __future__ import annotations

from auditor.evidence.behaviour import PROGRESS, STEP_LOG, effects_of


def test_per_chunk_log_lines_are_per_step_logging():
    asserted = 'chunks = [int(c) for c in re.findall(r"chunk (\\d+)/40 rows", Path("logs/train.log").read_text())]'
    assert STEP_LOG in effects_of(asserted)


def test_a_status_key_read_back_is_the_progress_file():
    assert PROGRESS in effects_of('json.loads(Path("metrics.json").read_text())["status"] == "finished"')


def test_a_status_code_is_not_a_progress_file():
    assert PROGRESS not in effects_of("response.status_code == 200")


def test_pieces_find_what_the_joined_text_finds():
    from auditor.evidence.behaviour import effects_in

    pieces = ['json.loads(Path("metrics.json").read_text())["status"] == "finished"']
    assert PROGRESS in effects_in(pieces)
