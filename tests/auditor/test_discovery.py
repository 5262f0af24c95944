"""Discovery: documents, code, entry points, tests, JUnit, TDD records and runs, with nothing configured."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main
from auditor.config import load_config
from auditor.discovery import discover
from auditor.resolve import read_summary, resolve

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="1">'
         '<testcase classname="tests.test_t" name="test_x" time="1"/></testsuite></testsuites>')


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def project(tmp_path: Path) -> Path:
    return write(tmp_path / "proj", {
        "README.md": "# x\n\nRun it:\n\n```\npython -u scripts/train.py --lr 1e-3\n```\n",
        "requirements.md": "Save every 2 minutes.\n",
        "CONTRIBUTING.md": "Add tests.\n",
        "docs/guide/usage.md": "usage\n",
        "docs/training.rst": "Training\n========\n\nSaves every 90 seconds.\n",  # Sphinx projects write .rst
        "docs/notes.txt": "not a document\n",
        "scripts/train.py": """
            import torch
            from pkg.model import Net
            for step in range(10):
                loss.backward()
                optimizer.step()
        """,
        "pkg/__init__.py": "",
        "pkg/model.py": "class Net: pass\n",
        "tests/test_train.py": "def test_x():\n    assert True\n",
        "tests/fixtures/other/train.py": "loss.backward()\noptimizer.step()\n",
        "tests/corpus/p/tests/test_y.py": "def test_y(): pass\n",
        "lib_test.py": "def test_z(): pass\n",
        ".venv/lib/x.py": "",
        "build/lib/pkg/model.py": "",
        "ci-out/results.xml": JUNIT,
        "ci-out/other.xml": "<config/>",
        "runs/a/checkpoints/step_10.pt": "x",
        "runs/a/checkpoints/step_20.pt": "x",
        "runs/a/train.log": "step 1\n",
        "tdd/20260101T100000Z-f-red.json": json.dumps({"format": "audit-tdd/1", "phase": "red", "junit": "x.xml"}),
        "tdd/20260101T100000Z-f-red.xml": JUNIT,
        "tdd/feat_green.txt": "============ 3 passed in 0.1s ============\n",
        "notes_green.txt": "just notes\n",
        "conf/train.yaml": "lr: 1\n",
    })


def test_discovery_sorts_a_project_with_nothing_configured(tmp_path):
    found = discover(project(tmp_path))
    assert found.documents == ("requirements.md", "README.md", "CONTRIBUTING.md", "docs/guide/usage.md",
                               "docs/training.rst")
    assert set(found.sources) == {"scripts/train.py", "pkg/__init__.py", "pkg/model.py"}  # no venv, build, tests
    assert set(found.tests) == {"tests/test_train.py", "lib_test.py"}  # no nested projects or fixtures
    assert found.junit == ("ci-out/results.xml",)  # by content; the TDD record's own XML is not the suite's
    assert found.tdd == ("tdd/20260101T100000Z-f-red.json", "tdd/feat_green.txt")
    assert [(r.path, r.checkpoints, r.logs) for r in found.run_dirs] == [("runs/a", 2, ("runs/a/train.log",))]
    assert found.config_files == ("conf/train.yaml",)
    assert any("tests/fixtures/" in n for n in found.not_read) and any("tests/corpus/" in n for n in found.not_read)


def test_the_training_loop_is_found_by_what_it_does_and_the_documented_script_is_the_entry(tmp_path):
    found = discover(project(tmp_path))
    assert [(loop.file, loop.function) for loop in found.loops] == [("scripts/train.py", "<module>")]
    entry = found.entry_point
    assert entry.kind == "script" and entry.target == "scripts/train.py"
    assert "README.md:6" in entry.why


def test_entry_point_kinds_module_console_script_and_uncalled_method(tmp_path):
    pkg = write(tmp_path / "pkg", {
        "README.md": "python -m trainer --config c.yaml\n",
        "pyproject.toml": '[project]\nname = "t"\n[project.scripts]\ntrainer = "trainer.cli:main"\n',
        "src/trainer/__init__.py": "",
        "src/trainer/__main__.py": "from trainer.cli import main\nmain()\n",
        "src/trainer/cli.py": "from trainer.loop import Trainer\ndef main():\n    Trainer().fit()\n",
        "src/trainer/loop.py": "class Trainer:\n    def fit(self):\n        loss.backward()\n        opt.step()\n",
    })
    found = discover(pkg)
    assert [e.target for e in found.entry_points][:2] == ["-m trainer", "src/trainer/cli.py:main"]
    assert found.commands == ("trainer",)
    lib = write(tmp_path / "lib", {
        "vid/trainer.py": "class VideoTrainer:\n    def train(self):\n        for b in x:\n"
                          "            loss.backward()\n            self.optimizer.step()\n",
    })
    entry = discover(lib).entry_point
    assert (entry.kind, entry.target) == ("method", "vid/trainer.py:VideoTrainer.train")


def test_resolve_fills_only_what_the_configuration_leaves_unset(tmp_path):
    root = project(tmp_path)
    (root / "audit.yaml").write_text("source: [pkg]\njunit: [elsewhere.xml]\n", encoding="utf-8")
    config = resolve(load_config(root))
    assert config.source == ("pkg",) and config.junit == ("elsewhere.xml",)  # overrides kept as written
    assert config.entry_point == "scripts/train.py" and config.main_module == "scripts/train.py"
    assert config.run_dir == "runs/a" and config.requirements[0] == "requirements.md"
    line = read_summary(config, config.run_dir).line
    assert line.startswith("Read: ") and "run directory runs/a" in line and "configured: source, junit" in line


def test_every_format_starts_with_what_was_read(tmp_path):
    root = project(tmp_path)
    for fmt in ("terminal", "markdown", "json", "sarif", "junit"):
        out = CliRunner().invoke(main, ["check", "--project", str(root), "--format", fmt, "--date", "2026-01-25"])
        assert out.exit_code == 1, out.output
        assert "Read: 3 modules" in out.output and "1 JUnit file" in out.output, fmt
        assert "tests/fixtures/" in out.output, fmt  # what was not read is said too
    text = CliRunner().invoke(main, ["check", "--project", str(root), "--date", "2026-01-25"]).output
    assert text.splitlines()[1].startswith("Read: 3 modules")  # the line after the title


def test_a_missing_find_names_the_key_to_set(tmp_path):
    root = write(tmp_path / "bare", {"README.md": "# nothing here\n"})
    out = CliRunner().invoke(main, ["check", "--project", str(root), "--format", "json", "--date", "2026-01-25"])
    cells = {(r["id"], c): cell for r in json.loads(out.output)["rules"] for c, cell in r["cells"].items()}
    assert "`tests`" in cells[("resume", "tested")]["summary"]
    assert "`tdd_artifacts`" in cells[("tdd-process", "tested")]["summary"]
    assert "`source`" in cells[("resume", "code")]["summary"]
    assert "`run_dir`" in cells[("resume", "working")]["summary"]
    assert "`requirements`" not in cells[("resume", "docs")]["summary"]  # README.md was found and read
    assert "no run directory" in json.loads(out.output)["read"]


def test_links_out_of_the_project_are_not_followed(tmp_path):
    outside = write(tmp_path / "outside", {"secret.py": "loss.backward()\noptimizer.step()\n",
                                           "deep/x.py": "loss.backward()\noptimizer.step()\n"})
    root = write(tmp_path / "p", {"train.py": "print(1)\n"})
    (root / "linked.py").symlink_to(outside / "secret.py")
    (root / "linked_dir").symlink_to(outside / "deep")
    found = discover(root)
    assert found.sources == ("train.py",) and found.loops == ()
    assert any("linked.py" in n and "links outside the project" in n for n in found.not_read)


def test_corpus_discovery_finds_each_projects_run_and_entry():
    expect = {"nanoscript": ("train.py", "out"), "trainerpkg": ("-m trainerpkg", "runs/demo"),
              "hf_cli": ("run_train.py", "out"), "nodocs": ("train.py", "checkpoints")}
    for name, (entry, run) in expect.items():
        found = discover(CORPUS / name)
        assert found.entry_point.target == entry, name
        assert found.run_dir.path == run, name


def test_discovery_of_this_repository_is_cheap():
    discover(REPO, sniff=False, code=False)  # warm the file system cache
    start = time.process_time()
    found = discover(REPO, sniff=False, code=False)  # what our own audit asks (our keys are configured)
    assert time.process_time() - start < 0.3
    assert "requirements.md" in found.documents and not any(s.startswith("tests/") for s in found.sources)
