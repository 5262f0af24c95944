"""Discovery's walk lists a tree as os.walk does, with each folder listed once.

The reference below is the walk as os.walk and os.path.islink give it (the way discovery first
walked): folders top down, each folder's entries by name, links to folders not entered, a folder
listed once more before it is entered to tell a virtual environment or a nested project. The
walk under test must sort every tree into the same lists, in the same order, whatever it holds:
links in and out, broken links, a FIFO, virtual environments of both kinds, test data,
checkpoint-N folders, skipped and hidden folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor import discovery, safeio


def reference_walk(root: Path) -> discovery._Walk:
    w = discovery._Walk([], [], [], [], [], [], [], [], {}, {}, {}, [])
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        rel_folder = os.path.relpath(folder, root)
        rel_folder = "" if rel_folder == "." else rel_folder.replace(os.sep, "/")
        parts = rel_folder.split("/") if rel_folder else []
        in_tests = bool(discovery._TEST_DIRS.intersection(parts))
        hidden = any(p.startswith(".") for p in parts)
        keep = []
        for d in sorted(dirs):
            rel = f"{rel_folder}/{d}" if rel_folder else d
            full = os.path.join(folder, d)
            if os.path.islink(full) or d in discovery._SKIP_NAMES or d.endswith(".egg-info"):
                continue
            if discovery._CHECKPOINT_DIR.match(d):
                w.checkpoint_dirs.setdefault(rel_folder, []).append(rel)
                continue
            try:
                entries = os.listdir(full)
            except OSError:
                entries = []
            if "pyvenv.cfg" in entries or os.path.isfile(os.path.join(full, "bin", "activate")):
                w.not_read.append(f"{rel}/ (a virtual environment)")
                continue
            if in_tests and (d in discovery._TEST_DATA_DIRS or any(m in entries for m in discovery._PROJECT_MARKERS)):
                w.not_read.append(f"{rel}/ (test data or a nested project, not this project's own)")
                continue
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            seen += 1
            rel = f"{rel_folder}/{name}" if rel_folder else name
            if os.path.islink(os.path.join(folder, name)):
                try:
                    safeio.resolve(rel, safeio.project(root))
                except safeio.ReadRefused:
                    w.not_read.append(f"{rel}: links outside the project; not followed")
                    continue
            discovery._sort_file(w, rel, rel_folder, name, parts, in_tests, hidden)
    return w


def build(root: Path, outside: Path) -> Path:
    files = [
        "README.md", "requirements.md", "train.py", "b/z.py", "b/a.py", "b/c/d/deep.py", "b/c/run.log",
        "docs/guide.md", "docs/api/ref.rst", "tests/test_train.py", "tests/conftest.py", "tests/helpers/util.py",
        "tests/fixtures/foreign/train.py", "tests/other/pyproject.toml", "tests/other/test_x.py",
        "env2/pyvenv.cfg", "env2/lib/x.py", "venvlike/bin/activate", "venvlike/lib/y.py", "bin/tool.sh",
        "bin/helper.py", "runs/a/checkpoint-5/model.pt", "runs/a/step_10.pt", "runs/a/train.log",
        "__pycache__/m.pyc", "node_modules/p/index.js", "pkg.egg-info/PKG-INFO", ".github/workflows/ci.yml",
        ".ci/junit.xml", ".hidden/code.py", "configs/train.yaml", "pyproject.toml", "scripts/run.sh", "notes.txt",
        "reports/junit.xml", "data.json", "Makefile",
    ]
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n", encoding="utf-8")
    (outside / "secret").mkdir(parents=True)
    (outside / "secret" / "s.py").write_text("x\n", encoding="utf-8")
    (outside / "leak.md").write_text("x\n", encoding="utf-8")
    (root / "linked_out").symlink_to(outside / "secret", target_is_directory=True)
    (root / "linked_in").symlink_to(root / "b", target_is_directory=True)
    (root / "leak.md").symlink_to(outside / "leak.md")
    (root / "b" / "alias.py").symlink_to(root / "train.py")
    (root / "broken.py").symlink_to(root / "nowhere.py")
    (root / "tests" / "venv_link").symlink_to(root / "env2", target_is_directory=True)
    os.mkfifo(root / "b" / "pipe.log")
    (root / "empty").mkdir()
    return root


def test_the_walk_sorts_a_tree_as_os_walk_does(tmp_path):
    root = build(tmp_path / "proj", tmp_path / "outside")
    assert discovery._walk(root) == reference_walk(root)
    found = discovery._walk(root)
    # the reference itself saw what the tree holds: the test would pass on an empty walk otherwise
    assert "b/c/d/deep.py" in found.py and "tests/test_train.py" in found.tests
    assert "env2/ (a virtual environment)" in found.not_read and "venvlike/ (a virtual environment)" in found.not_read
    assert "bin/helper.py" in found.py  # a bin folder without activate is entered
    assert "leak.md: links outside the project; not followed" in found.not_read
    assert "runs/a/checkpoint-5" in found.checkpoint_dirs["runs/a"]
    assert not any(p.startswith(("linked_out/", "linked_in/")) for p in found.py)


@pytest.mark.parametrize("name", ["", "tests", "magvit", "tests/corpus"])
def test_the_walk_of_this_repository_is_the_reference_walk(name):
    root = Path(__file__).resolve().parents[2] / name if name else Path(__file__).resolve().parents[2]
    assert discovery._walk(root) == reference_walk(root)


def test_an_unreadable_folder_is_passed_over_as_os_walk_does(tmp_path):
    root = build(tmp_path / "proj", tmp_path / "outside")
    locked = root / "b" / "c"
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as a user who reads any folder (root)")
        assert discovery._walk(root) == reference_walk(root)
        assert "b/c/d/deep.py" not in discovery._walk(root).py
    finally:
        locked.chmod(0o755)
