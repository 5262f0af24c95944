"""'The same command' is no automatic resume when the text adds an option to it: 'run the same
command plus --resume', 'with --continue appended', 'adding --resume at the end' describe a restart
that resumes only when asked (partial). Nor is 'by itself' / 'on its own' said of an option
('--resume by itself finds the latest checkpoint': the option without its path), nor the same
command with an override added ('with `resume_from_checkpoint=True`'). Near misses stay
stated: the same command with the same config, with no flag added, or a trainer that finds the
newest checkpoint on its own. Sentences written here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def level(text: str) -> str | None:
    found = find("auto-resume", statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("text", [
    "To continue after a crash, launch the same command plus `--resume`.",
    "Rerun the same command with --continue appended and it carries on from the newest checkpoint.",
    "After a preemption, run the same command again, adding `--resume` at the end.",
    "Use the same command with `--resume` added; left off, the job starts over.",
    "## Restarts\n\nStart it again after a crash.\n\n`--resume` by itself finds the latest checkpoint in runs/; "
    "`--resume FILE` loads FILE.\n",
    "After a crash, repeat the same command and append --resume to it.",
    "After a crash, `--continue` finds the newest checkpoint by itself.",
    # an override rather than a flag (held-out corpus project recipe_tune's README)
    "Runs do not pick up where they stopped on their own; a relaunch with the plain command\nstarts again "
    "from epoch 0. To continue an interrupted run, launch the same command with\n`resume_from_checkpoint=True`:",
    "To continue an interrupted run, launch the same command with resume=true.",
    "After a crash, run the same command with the override `trainer.resume=latest` and it carries on.",
])
def test_the_same_command_with_an_option_added_resumes_only_when_asked(text):
    assert level(text) == IMPLIED


@pytest.mark.parametrize("text", [
    "Running the same command with the same config resumes from the newest checkpoint.",
    "The same command, with no flag added, continues from the last checkpoint.",
    "After a crash, the trainer finds the latest checkpoint on its own and resumes from it.",
    "After a crash, rerun the same command: it picks up the latest checkpoint with no --resume needed.",
    "After a crash, run the same command with nohup again and it continues from the newest checkpoint.",
])
def test_the_same_command_as_it_was_still_resumes_with_nothing_given(text):
    assert level(text) == STATED
