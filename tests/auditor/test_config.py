"""Project configuration: [tool.audit] in pyproject.toml or audit.yaml, defaults, errors."""

from pathlib import Path

import pytest

from auditor.config import ConfigError, ProjectConfig, load_config, with_junit


def test_defaults_when_no_configuration(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg.root == tmp_path.resolve()
    assert cfg.source_file is None
    # where things are is discovered (auditor.resolve), not a default that fits one repository
    assert cfg.requirements == () and cfg.source == () and cfg.entry_point == "" and cfg.run_dir == ""
    assert cfg.explicit == frozenset()
    assert cfg.checkpoint_bounds_s == (60.0, 300.0)
    assert cfg.progress_bounds_s == (30.0, 60.0)
    assert cfg.required_tests == () and cfg.required_tests_for("resume") == ()


def test_reads_tool_audit_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.audit]\nsource = ["train.py"]\nentry_point = "train.py:train_magvit"\n'
        "checkpoint_bounds_s = [30, 120]\n",
        encoding="utf-8",
    )
    cfg = load_config(tmp_path)
    assert cfg.source == ("train.py",)
    assert cfg.entry_point == "train.py:train_magvit"
    assert cfg.checkpoint_bounds_s == (30.0, 120.0)
    assert cfg.source_file == tmp_path.resolve() / "pyproject.toml"
    assert cfg.tests == ()  # untouched keys keep their defaults (discovered later)
    assert cfg.explicit == {"source", "entry_point", "checkpoint_bounds_s"}


def test_required_tests_map_rules_to_test_names(tmp_path: Path) -> None:
    (tmp_path / "audit.yaml").write_text("required_tests:\n  resume: [test_can_resume]\n  tdd-process: [a, b]\n"
                                         "tests: tests\n", encoding="utf-8")
    cfg = load_config(tmp_path)
    assert cfg.required_tests_for("resume") == ("test_can_resume",)
    assert cfg.required_tests_for("tdd-process") == ("a", "b")
    assert cfg.required_tests_for("heartbeat") == ()
    assert cfg.tests == ("tests",)  # one path or a list
    (tmp_path / "audit.yaml").write_text("required_tests: [test_x]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'required_tests' must map rule ids to lists of test names"):
        load_config(tmp_path)


def test_entry_points_may_be_scripts_modules_functions_or_methods(tmp_path: Path) -> None:
    for value in ("train.py", "-m pkg.train", "src/pkg/cli.py:main", "lib/trainer.py:Trainer.fit"):
        (tmp_path / "audit.yaml").write_text(f"entry_point: '{value}'\n", encoding="utf-8")
        assert load_config(tmp_path).entry_point == value


def test_audit_yaml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.audit]\nrun_dir = "a"\n', encoding="utf-8")
    (tmp_path / "audit.yaml").write_text("run_dir: b\njunit: out/*.xml\n", encoding="utf-8")
    cfg = load_config(tmp_path)
    assert cfg.run_dir == "b"
    assert cfg.junit == ("out/*.xml",)


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.audit]\nrun_dri = "a"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "pyproject.toml" in str(info.value) and "'run_dri'" in str(info.value)


@pytest.mark.parametrize(
    "body, key",
    [
        ("source: 3\n", "source"),
        ("checkpoint_bounds_s: [300, 60]\n", "checkpoint_bounds_s"),
        ("epoch_pattern: '('\n", "epoch_pattern"),
        ("entry_point: ''\n", "entry_point"),
        # a NUL character: no path holds one (os.path.realpath raised ValueError: exit 3, found by fuzzing)
        ('run_dir: "runs\\u0000x"\n', "run_dir"),
        ('junit: ["ok.xml", "a\\u0000b/*.xml"]\n', "junit"),
        ('entry_point: "train\\u0000.py"\n', "entry_point"),
        ('checkpoint_patterns: ["ckpt\\u0000*.pt"]\n', "checkpoint_patterns"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, body: str, key: str) -> None:
    (tmp_path / "audit.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "audit.yaml" in str(info.value) and repr(key) in str(info.value)


def test_broken_files_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "audit.yaml").write_text("a: [1,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="audit.yaml"):
        load_config(tmp_path)
    (tmp_path / "audit.yaml").write_text("- 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(tmp_path)


def test_missing_project_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope")


def test_paths_and_run_dir(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg.path("x/y") == tmp_path.resolve() / "x" / "y"
    assert cfg.default_run_dir() is None
    (tmp_path / "audit.yaml").write_text("run_dir: results/magvit_training\n", encoding="utf-8")
    cfg = load_config(tmp_path)
    assert cfg.default_run_dir() is None
    (tmp_path / "results" / "magvit_training").mkdir(parents=True)
    assert cfg.default_run_dir() == tmp_path.resolve() / "results" / "magvit_training"
    assert with_junit(cfg, ["a.xml"]).junit == ("a.xml",)
    assert "junit" in with_junit(cfg, ["a.xml"]).explicit
    assert isinstance(cfg, ProjectConfig)
