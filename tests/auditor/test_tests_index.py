"""The tests column is kept file by file: an edit judges again only the test files it can change.

A test file's tests depend on its own text and on the helpers it reaches by name in the other
files (conftest fixtures, helper modules): the first file in the listing that defines a name
is the one used. Each file's record keeps the sha256 of its text and, for every name it looked
up among the other files, which file answered (or that none did). These tests edit a corpus
project one way at a time and check that the answer is what an audit without a cache gives,
and that the files nothing touched were not judged again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.evidence import tests as tests_evidence
from auditor.resolve import resolve
from tests.auditor.corpus import stage


def _tests(project: Path) -> tuple:
    ev = Evidence(resolve(load_config(project)), None).tests
    return ev.files, ev.errors, ev.tests


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("AUDIT_NO_CACHE", raising=False)
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    return stage("compliant", tmp_path / "projects")


@pytest.fixture
def judged(monkeypatch) -> list[str]:
    """The files whose tests are judged (the real judge runs; this only notes its calls)."""
    seen: list[str] = []
    real = tests_evidence._judge

    def noting(targets, rel, *rest):
        seen.append(rel)
        return real(targets, rel, *rest)

    monkeypatch.setattr(tests_evidence, "_judge", noting)
    return seen


def _uncached(project: Path, monkeypatch) -> tuple:
    with monkeypatch.context() as m:
        m.setenv("AUDIT_NO_CACHE", "1")
        return _tests(project)


def _drives(found: tuple, name: str) -> bool:
    [test] = [t for t in found[2] if t.name == name]
    return test.drives_entry


def test_a_second_audit_judges_nothing_and_an_edit_judges_only_its_file(project, judged, monkeypatch):
    first = _tests(project)
    assert len(set(judged)) == 3  # test_checkpoints, test_monitoring, test_resume
    judged.clear()
    assert _tests(project) == first and judged == []
    monitoring = project / "tests" / "test_monitoring.py"
    monitoring.write_text(monitoring.read_text() + "\n\ndef test_added_here():\n    assert 1 + 1 == 2\n")
    after = _tests(project)
    assert set(judged) == {"tests/test_monitoring.py"}
    assert after == _uncached(project, monkeypatch) and after != first


@pytest.mark.parametrize("edit", ["helper changed", "helper removed", "helper shadowed", "helper file broken"])
def test_an_edit_of_a_shared_helper_judges_again_the_files_that_use_it(project, judged, monkeypatch, edit):
    before = _tests(project)
    assert _drives(before, "test_resume_from_path_continues_at_that_step")
    conftest = project / "tests" / "conftest.py"
    text = conftest.read_text()
    if edit == "helper changed":  # the command no longer starts this project's training
        conftest.write_text(text.replace('"-m", "lumen"', '"-m", "pydoc"'))
    elif edit == "helper removed":
        conftest.write_text(text.replace("def lumen_cmd(", "def _gone_cmd("))
    elif edit == "helper shadowed":  # listed before conftest.py: its definition is the one used
        (project / "tests" / "aaa_helpers.py").write_text("def lumen_cmd(run_dir, *args):\n    return ['true']\n")
    else:
        conftest.write_text(text + "\ndef broken(:\n")
    judged.clear()
    after = _tests(project)
    assert after == _uncached(project, monkeypatch) and after != before
    assert not _drives(after, "test_resume_from_path_continues_at_that_step")
    assert "tests/test_resume.py" in judged


def test_a_file_with_a_syntax_error_is_kept_as_its_error_and_read_again_when_fixed(project, monkeypatch):
    broken = project / "tests" / "test_broken.py"
    broken.write_text("def test_x(:\n    pass\n")
    first = _tests(project)
    assert any(e.startswith("tests/test_broken.py:1: syntax error") for e in first[1])
    assert _tests(project) == first == _uncached(project, monkeypatch)
    broken.write_text("def test_x():\n    assert True\n")
    fixed = _tests(project)
    assert fixed == _uncached(project, monkeypatch)
    assert not fixed[1] and "tests/test_broken.py::test_x" in {t.id for t in fixed[2]}
