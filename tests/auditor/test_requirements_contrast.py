"""In Docs? never reads a contrast as a claim: a phrase describing the run an option is missing
from ('without `--resume` it starts from scratch') or what an old version did ('unlike the old
script, which resumed automatically') does not say a restart resumes with nothing given.
Sentences written here, in other teams' words, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("text", [
    "Without `--resume` it starts from scratch.",
    "If you rerun it without --resume, training starts over; with it, it continues from the last checkpoint.",
    "Restarted without a checkpoint path, the job begins afresh at step 0.",
    "Without --resume, the run will not continue from a checkpoint.",
    "Launched again without any flag, nothing is restored.",
    "Unlike the old script, which resumed automatically, this one needs --resume PATH.",
    "Rather than resuming automatically, the trainer waits for `--resume`.",
])
def test_what_happens_without_an_option_is_no_claim_that_resuming_needs_nothing(text):
    assert level("auto-resume", text) == IMPLIED


@pytest.mark.parametrize("text", [
    "Started again without --resume, it continues from its newest checkpoint.",
    "It resumes from the latest checkpoint without any flag.",
    "After a crash it resumes from the latest checkpoint automatically.",
    # the option's contrast sits in another clause: `--fresh` ignoring what is there is its own case
    "At start-up it continues from the newest `ckpt-*.pt`, without any flag. `make resume CKPT=...` is only for an "
    "older checkpoint; `--fresh` ignores what is there.",
])
def test_a_restart_that_resumes_with_nothing_given_is_still_stated(text):
    assert level("auto-resume", text) == STATED


def test_the_contrast_paragraph_as_a_whole_is_partial():
    text = ("## After a preemption\n\nNothing restarts by itself and the script does not look for checkpoints. "
            "Start it again and tell it where to continue from:\n\n```bash\npython train.py --resume ckpt/x.pt\n```\n\n"
            "It continues from that step with the optimizer where it was.\nWithout `--resume` it starts from scratch.\n")
    found = find("auto-resume", statements("README.md", text))
    assert found is not None and found.level == IMPLIED
