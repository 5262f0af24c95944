"""Which test files the tests column reads: the ones pytest would collect.

A conftest.py's `collect_ignore` names paths relative to its own folder (a file or a whole
folder, exactly); its `collect_ignore_glob` is matched with fnmatch against the path below
that folder (`*` crosses folders). pytest never enters the folders its `norecursedirs`
names (by default `.*`, `build`, `dist`, `venv`, `node_modules`, `*.egg`, ...), and a
project's pytest configuration replaces that default. A test pytest would not run is no
evidence, and one it would run must not be dropped.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from auditor.config import ProjectConfig
from auditor.evidence import tests as tests_ev

TEST = "def test_{name}():\n    assert 1 + 1 == 2\n"


def _project(tmp_path: Path, files: dict[str, str]) -> ProjectConfig:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return ProjectConfig(root=tmp_path, tests=("tests",))


def _collected(tmp_path: Path, files: dict[str, str]) -> set[str]:
    ev = tests_ev.collect(_project(tmp_path, files))
    return {t.id.split("::")[0] for t in ev.tests}


def test_collect_ignore_names_a_file_of_its_own_folder_only(tmp_path):
    got = _collected(tmp_path, {
        "tests/conftest.py": 'collect_ignore = ["test_old.py"]\n',
        "tests/test_old.py": TEST.format(name="old"),
        "tests/unit/test_old.py": TEST.format(name="old_unit"),
        "tests/test_new.py": TEST.format(name="new"),
    })
    assert got == {"tests/unit/test_old.py", "tests/test_new.py"}


def test_collect_ignore_names_a_folder_and_everything_below_it(tmp_path):
    got = _collected(tmp_path, {
        "tests/conftest.py": 'collect_ignore = ["legacy", "setup.py"]\n',
        "tests/legacy/test_a.py": TEST.format(name="a"),
        "tests/legacy/deep/test_b.py": TEST.format(name="b"),
        "tests/unit/legacy/test_c.py": TEST.format(name="c"),
    })
    assert got == {"tests/unit/legacy/test_c.py"}


def test_collect_ignore_glob_crosses_folders_from_its_conftest(tmp_path):
    got = _collected(tmp_path, {
        "tests/conftest.py": 'collect_ignore_glob = ["corpus/*", "*_slow.py"]\n',
        "tests/corpus/proj/tests/test_theirs.py": TEST.format(name="theirs"),
        "tests/deep/er/test_x_slow.py": TEST.format(name="slow"),
        "tests/deep/er/test_x.py": TEST.format(name="x"),
        "tests/sub/conftest.py": 'collect_ignore_glob = ["test_gen*.py"]\n',
        "tests/sub/test_gen1.py": TEST.format(name="gen1"),
        "tests/test_gen2.py": TEST.format(name="gen2"),
    })
    assert got == {"tests/deep/er/test_x.py", "tests/test_gen2.py"}


def test_a_conftest_above_the_tests_folder_counts(tmp_path):
    got = _collected(tmp_path, {
        "conftest.py": 'collect_ignore = ["tests/broken"]\n',
        "tests/broken/test_a.py": TEST.format(name="a"),
        "tests/test_b.py": TEST.format(name="b"),
    })
    assert got == {"tests/test_b.py"}


def test_pytest_default_norecursedirs_are_not_entered(tmp_path):
    got = _collected(tmp_path, {
        "tests/.hidden/test_a.py": TEST.format(name="a"),
        "tests/build/test_b.py": TEST.format(name="b"),
        "tests/venv/test_c.py": TEST.format(name="c"),
        "tests/pkg.egg/test_d.py": TEST.format(name="d"),
        "tests/node_modules/test_e.py": TEST.format(name="e"),
        "tests/builder/test_f.py": TEST.format(name="f"),
        "tests/test_g.py": TEST.format(name="g"),
    })
    assert got == {"tests/builder/test_f.py", "tests/test_g.py"}


def test_a_projects_norecursedirs_replaces_the_default(tmp_path):
    got = _collected(tmp_path, {
        "pyproject.toml": '[tool.pytest.ini_options]\nnorecursedirs = ["fixtures_*"]\n',
        "tests/fixtures_big/test_a.py": TEST.format(name="a"),
        "tests/build/test_b.py": TEST.format(name="b"),
    })
    assert got == {"tests/build/test_b.py"}


def test_norecursedirs_from_pytest_ini(tmp_path):
    got = _collected(tmp_path, {
        "pytest.ini": "[pytest]\nnorecursedirs = data .* \n    snapshots\n",
        "tests/data/test_a.py": TEST.format(name="a"),
        "tests/snapshots/test_b.py": TEST.format(name="b"),
        "tests/build/test_c.py": TEST.format(name="c"),
    })
    assert got == {"tests/build/test_c.py"}


def test_a_broken_pytest_configuration_leaves_the_default(tmp_path):
    got = _collected(tmp_path, {
        "pyproject.toml": "[tool.pytest.ini_options\nnorecursedirs = [\n",
        "tests/build/test_b.py": TEST.format(name="b"),
        "tests/test_c.py": TEST.format(name="c"),
    })
    assert got == {"tests/test_c.py"}


def test_a_hostile_pytest_configuration_costs_nothing_but_the_default(tmp_path):
    """Nesting deeper than the TOML parser's recursion: the default, never a crash of the column."""
    got = _collected(tmp_path, {
        "pyproject.toml": "[tool.pytest.ini_options]\nnorecursedirs = " + "[" * 20000 + "]" * 20000 + "\n",
        "tests/build/test_b.py": TEST.format(name="b"),
        "tests/test_c.py": TEST.format(name="c"),
    })
    assert got == {"tests/test_c.py"}
