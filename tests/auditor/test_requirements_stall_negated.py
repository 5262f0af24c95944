"""A stall detector the document says is absent implies nothing: 'no watchdog runs beside the
job', 'train.py starts no watchdog thread', 'no monitor kills the job when it hangs' are no
partial for heartbeat. A detector named in another clause stays implied ('we run no watchdog;
the scheduler kills jobs that hang'), and a negation that is the stall itself ('a log that has not
changed for ten minutes') does not take it back. Sentences written here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, find, statements


def level(text: str) -> str | None:
    found = find("heartbeat", statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("text", [
    "There is no watchdog beside the job, and nothing pings it.",
    "train.py starts no watchdog thread and writes no liveness file.",
    "No external monitor kills the job when it hangs.",
    "Neither a keep-alive ping nor a watchdog process runs with training.",
    "We never set up a watchdog for these runs.",
])
def test_an_absent_stall_detector_implies_nothing(text):
    assert level(text) is None


@pytest.mark.parametrize("text", [
    "If train.log has not changed for ten minutes, the supervisor treats the job as hung and kills it.",
    "A watchdog on the cluster kills jobs whose log stops moving.",
    "We run no watchdog; the scheduler kills jobs that hang.",
    "The monitor restarts a job that is stuck with no new log lines.",
])
def test_a_stall_detector_that_runs_is_still_implied(text):
    assert level(text) == IMPLIED
