"""What `audit check` loads: only what an audit uses. Every process pays for every module it
imports (an audit of a small project spends half its CPU importing), so the drill's runner and
its final-weights comparison, which only `audit drill` uses, stay unloaded."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURE_RUN = REPO / "tests" / "fixtures" / "compliant_run"

CODE = ("import sys\nfrom auditor.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
        "    import json\n    print('LOADED', json.dumps(sorted(m for m in sys.modules if m.startswith('auditor.drill'))), "
        "file=sys.stderr)\n")


def _drill_modules(project: Path, run: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", CODE, "check", "--project", str(project), "--run",
                           str(run), "--format", "json"], capture_output=True, text=True, timeout=120, cwd=project)
    assert json.loads(done.stdout)["rules"], done.stderr[-2000:]
    loaded = done.stderr.strip().splitlines()[-1]
    assert loaded.startswith("LOADED"), done.stderr[-2000:]
    return set(json.loads(loaded[len("LOADED"):]))


def test_an_audit_loads_the_drill_records_reader_for_a_drill_result_only_and_never_the_drill(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("# Demo\n\nSave a checkpoint every 2 minutes.\n", encoding="utf-8")
    (project / "train.py").write_text("for step in range(3):\n    print('step', step)\n", encoding="utf-8")
    run = tmp_path / "run"
    shutil.copytree(FIXTURE_RUN, run)
    assert not {"auditor.drill.result", "auditor.drill.observations"} & _drill_modules(project, run)
    (run / "drill.json").write_text('{"format": "audit-drill/1"}\n', encoding="utf-8")  # read, and refused
    modules = _drill_modules(project, run)
    assert "auditor.drill.result" in modules  # the run's drill result is read
    assert not modules & {"auditor.drill.runner", "auditor.drill.final", "auditor.drill.tensors",
                          "auditor.drill.checks", "auditor.drill.disk"}, modules


def test_every_name_the_drill_package_lists_is_the_one_its_module_defines() -> None:
    import importlib

    import pytest

    drill = importlib.import_module("auditor.drill")
    homes = {name: importlib.import_module(f"auditor.drill.{home}") for name, home in drill._HOME.items()}
    assert sorted(homes) == sorted(drill.__all__)
    for name, module in homes.items():
        assert getattr(drill, name) is getattr(module, name), name
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        drill.nonesuch  # noqa: B018


MODULES = ("import sys\nfrom auditor.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
           "    import json\n    print('LOADED', json.dumps(sorted(sys.modules)), file=sys.stderr)\n")
# what an audit of a project with none of the files they read imports none of: each is a
# library (and its own imports: tempfile's shutil, bz2, lzma and random) some projects need
NOT_FOR_EVERY_PROJECT = {"tempfile", "shutil", "zipfile", "importlib.resources", "tomllib", "configparser",
                         "pickletools", "re2", "jsonschema", "jsonschema_rs"}


def _demo_project(tmp_path: Path) -> Path:
    """A project of one document, one training script and one test, no run and no TDD record."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("# Demo\n\nSave a checkpoint every 2 minutes.\n", encoding="utf-8")
    (project / "train.py").write_text("for step in range(3):\n    print('step', step)\n", encoding="utf-8")
    (project / "tests").mkdir()
    (project / "tests" / "test_train.py").write_text("def test_one():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    return project


def test_an_audit_imports_what_a_project_needs_and_not_more(tmp_path: Path) -> None:
    """A project with no pyproject.toml, no setup.cfg or tox.ini, no zip or pickle in its run and
    no rules of its own; the column cache on (it writes its entries: no tempfile for that)."""
    project = _demo_project(tmp_path)
    run = project / "runs" / "one"
    run.mkdir(parents=True)
    (run / "train.log").write_text("step 1 loss 0.5\nstep 2 loss 0.4\n", encoding="utf-8")
    env = {k: v for k, v in __import__("os").environ.items() if k != "AUDIT_NO_CACHE"}
    env["AUDIT_CACHE_DIR"] = str(tmp_path / "cache")  # outside the project: a cache inside it is never used
    done = subprocess.run([sys.executable, "-c", MODULES, "check", "--project", str(project), "--run", str(run),
                           "--format", "json"], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert json.loads(done.stdout)["rules"], done.stderr[-2000:]
    loaded = done.stderr.strip().splitlines()[-1]
    assert loaded.startswith("LOADED"), done.stderr[-2000:]
    modules = set(json.loads(loaded[len("LOADED"):]))
    assert list((tmp_path / "cache").glob("code-*.json")), "the column cache wrote no entry"
    assert not modules & NOT_FOR_EVERY_PROJECT, sorted(modules & NOT_FOR_EVERY_PROJECT)


# counted from the launcher's start (importing it, two lines, may land on a collection already due)
GC_COUNTED = ("import atexit, gc, sys\nfrom auditor.launch import main\nbefore = [s['collections'] for s in gc.get_stats()]\n"
              "atexit.register(lambda: print('COLLECTED', sum(s['collections'] for s in gc.get_stats()) - sum(before), "
              "file=sys.stderr))\nmain()\n")


def test_the_audit_program_runs_without_a_garbage_collection_from_its_first_import(tmp_path: Path) -> None:
    """`audit` (auditor.launch, the console script and `python -m auditor`) turns the cyclic
    collector's automatic runs off before it imports anything: importing the command line and
    its libraries made a few hundred collections, each walking everything imported so far."""
    (tmp_path / "README.md").write_text("# Demo\n\nSave a checkpoint every 2 minutes.\n", encoding="utf-8")
    (tmp_path / "train.py").write_text("for step in range(3):\n    print('step', step)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", GC_COUNTED, "check", "--project", str(tmp_path), "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert json.loads(done.stdout)["rules"], done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == "COLLECTED 0", done.stderr[-2000:]


def test_the_console_script_and_python_m_auditor_start_at_the_launcher() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'audit = "auditor.launch:main"' in pyproject
    assert "auditor.launch" in (REPO / "auditor" / "__main__.py").read_text(encoding="utf-8")


# what an audit of a project with no run directory and no TDD record has no use for: the readers of
# a run's logs and its history, the records they make (and `statistics`, for their medians), and `subprocess` (for git,
# which dates TDD records that carry no time of their own)
NOT_WITHOUT_A_RUN = {"auditor.evidence.runlog", "auditor.evidence.history", "auditor.evidence.launches",
                     "auditor.evidence.runfacts", "statistics", "subprocess"}


def test_an_audit_without_a_run_or_tdd_records_loads_no_run_reader_and_no_git(tmp_path: Path) -> None:
    project = _demo_project(tmp_path)
    done = subprocess.run([sys.executable, "-c", MODULES, "check", "--project", str(project), "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    result = json.loads(done.stdout)
    assert result["rules"], done.stderr[-2000:]
    loaded = done.stderr.strip().splitlines()[-1]
    assert loaded.startswith("LOADED"), done.stderr[-2000:]
    modules = set(json.loads(loaded[len("LOADED"):]))
    assert "auditor.probes.run" in modules  # the run probes are there, and the engine answers that there is no run
    assert not modules & NOT_WITHOUT_A_RUN, sorted(modules & NOT_WITHOUT_A_RUN)
