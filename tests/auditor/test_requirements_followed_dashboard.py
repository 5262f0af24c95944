"""A dashboard the document says runs are followed on shows progress another way: 'we keep an eye
on jobs through the MLflow UI', 'the team follows each run on its W&B page', 'open TensorBoard to
see how the run is doing' imply the progress-file requirement (partial), like a dashboard that
shows the loss. A dashboard tool named for anything else ('we follow PEP 8; wandb is pinned') implies
nothing, and a progress file kept current is still stated beside a dashboard. Sentences written
here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def level(text: str) -> str | None:
    found = find("progress-file", statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("text", [
    "We keep an eye on jobs through the MLflow UI; there is no reason to log into the GPU box.",
    "The team follows each run on its Weights & Biases page.",
    "Open TensorBoard to see how the run is doing.",
    "Runs are tracked on the Neptune dashboard by the whole lab.",
])
def test_runs_followed_on_a_dashboard_imply_it(text):
    assert level(text) == IMPLIED


@pytest.mark.parametrize("text, expected", [
    ("We follow PEP 8; wandb is pinned in requirements.txt.", None),
    ("Install TensorBoard if you like, it is optional.", None),
    ("A status.json is rewritten every step; you can also follow the run on the W&B dashboard.", STATED),
])
def test_other_mentions_are_what_they_were(text, expected):
    assert level(text) == expected
