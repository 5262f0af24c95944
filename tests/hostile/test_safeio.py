"""auditor.safeio, the one door: confinement, regular files only, byte caps, JSON/YAML limits,
zip limits and linear-time patterns. Every hostile file is made here, at test time."""

from __future__ import annotations

import os
import pickle
import threading
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import safeio, safezip
from auditor.safeio import ReadRefused

SECRET = "TOP-SECRET-OUTSIDE-THE-PROJECT"


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """(project, a secret file outside it)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "shadow"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "ok.txt").write_text("hello\n", encoding="utf-8")
    return project, secret


def test_a_regular_file_inside_is_read(tree):
    project, _ = tree
    assert safeio.read_text("ok.txt", within=safeio.project(project)) == "hello\n"
    assert safeio.read_text(project / "ok.txt", within=safeio.project(project)) == "hello\n"


@pytest.mark.parametrize("how", ["file_link", "dir_link", "dotdot", "absolute"])
def test_paths_that_leave_the_project_are_refused_and_never_name_the_target(tree, how):
    project, secret = tree
    if how == "file_link":
        (project / "train.log").symlink_to(secret)
        path = "train.log"
    elif how == "dir_link":
        (project / "etcdir").symlink_to(secret.parent)
        path = "etcdir/shadow"
    elif how == "dotdot":
        path = "../outside/shadow"
    else:
        path = str(secret)
    with pytest.raises(ReadRefused, match="links outside the project") as info:
        safeio.read_text(path, within=safeio.project(project))
    assert SECRET not in str(info.value) and "outside/shadow" not in str(info.value).replace(path, "")
    with pytest.raises(ReadRefused, match="outside the run directory"):
        safeio.read_bytes(path, within=safeio.run_directory(project), cap=100)


def test_a_link_to_dev_zero_is_refused_without_reading(tree):
    project, _ = tree
    (project / "events.jsonl").symlink_to("/dev/zero")
    with pytest.raises(ReadRefused, match="links outside"):
        list(safeio.lines("events.jsonl", within=safeio.project(project)))
    # named on the command line (no root): still not a regular file
    with pytest.raises(ReadRefused, match="character device"):
        safeio.read_bytes(project / "events.jsonl", within=None, cap=10)


def test_a_fifo_is_refused_without_blocking(tree):
    project, _ = tree
    os.mkfifo(project / "requirements.md")
    done = []

    def read():
        try:
            safeio.read_text("requirements.md", within=safeio.project(project))
        except ReadRefused as exc:
            done.append(str(exc))

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(5)
    assert done and "a FIFO, not a regular file" in done[0]


def test_a_directory_and_a_missing_file(tree):
    project, _ = tree
    (project / "sub").mkdir()
    with pytest.raises(ReadRefused, match="a directory"):
        safeio.read_text("sub", within=safeio.project(project))
    with pytest.raises(FileNotFoundError):
        safeio.read_text("absent.md", within=safeio.project(project))


def test_byte_caps_hold_on_a_sparse_huge_file(tree):
    project, _ = tree
    with open(project / "big.json", "wb") as fh:
        fh.truncate(10 * 1024**3)  # 10 GB, sparse
    start = time.monotonic()
    with pytest.raises(ReadRefused, match="over the 4194304-byte limit"):
        safeio.read_json("big.json", within=safeio.project(project))
    read = sum(1 for _ in safeio.lines("big.json", within=safeio.project(project), cap=4 * 1024 * 1024))
    assert read == 1 and time.monotonic() - start < 5
    assert safeio.read_bytes("big.json", within=safeio.project(project), cap=10, truncate=True) == b"\0" * 10


def test_tail_lines_reads_only_the_end(tree):
    project, _ = tree
    with open(project / "events.jsonl", "wb") as fh:
        fh.truncate(10 * 1024**3)
        fh.seek(0, os.SEEK_END)
        fh.write(b'\n{"event": "run_start"}\n{"event": "heartbeat"}\n')
    cut, got = safeio.tail_lines("events.jsonl", within=safeio.project(project), cap=1024)
    assert cut and got == ['{"event": "run_start"}', '{"event": "heartbeat"}']


def test_deep_json_is_refused_with_the_file_named():
    deep = "[" * 30000 + "]" * 30000
    with pytest.raises(ReadRefused, match="x.json: JSON nested deeper than 64 levels"):
        safeio.parse_json(deep, shown="x.json")
    with pytest.raises(ReadRefused, match="nested deeper"):
        safeio.parse_json("[" * 100 + "]" * 100, shown="x.json")
    assert safeio.parse_json('{"a": [[1]]}', shown="x.json") == {"a": [[1]]}
    with pytest.raises(ReadRefused, match=r"x.json:2: not valid JSON"):
        safeio.parse_json('{\n"a": }', shown="x.json")


BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_yaml_alias_bomb_is_refused_fast_and_the_message_holds_no_value():
    start = time.monotonic()
    with pytest.raises(ReadRefused) as info:
        safeio.parse_yaml(BOMB, shown="audit.yaml")
    assert time.monotonic() - start < 2
    message = str(info.value)
    assert message.startswith("audit.yaml:") and "alias" in message and "lol" not in message


def test_yaml_limits_depth_and_recursive_aliases_but_allows_ordinary_anchors():
    with pytest.raises(ReadRefused, match="nested deeper than 64"):
        safeio.parse_yaml("a: " + "[" * 5000 + "]" * 5000, shown="r.yaml")
    with pytest.raises(ReadRefused, match="nested deeper than 64"):
        safeio.parse_yaml("".join("  " * i + "k:\n" for i in range(200)), shown="r.yaml")
    with pytest.raises(ReadRefused, match="contains it"):
        safeio.parse_yaml("a: &x [1, *x]\n", shown="r.yaml")
    doc = safeio.parse_yaml("base: &b {lr: 1}\nrun: {<<: *b, epochs: 2}\nother: *b\n", shown="c.yaml")
    assert doc.data == {"base": {"lr": 1}, "run": {"lr": 1, "epochs": 2}, "other": {"lr": 1}}
    assert doc.node.value[0][0].start_mark.line == 0


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _data_pkl(names: list[str]) -> str | None:
    return next((n for n in names if n.endswith("data.pkl")), None)


def test_zip_members_are_capped_by_their_inflated_size(tree):
    project, _ = tree
    _zip(project / "bomb.pt", {"archive/data.pkl": b"\0" * (64 * 1024 * 1024)})
    assert (project / "bomb.pt").stat().st_size < 1024 * 1024
    with pytest.raises(ReadRefused, match="inflates past the 16777216-byte limit"):
        safezip.zip_member("bomb.pt", _data_pkl, within=safeio.project(project), cap=16 * 1024 * 1024)
    _zip(project / "ok.pt", {"archive/data.pkl": pickle.dumps({"epoch": 1})})
    data = safezip.zip_member("ok.pt", _data_pkl, within=safeio.project(project), cap=1024)
    assert pickle.loads(data) == {"epoch": 1}


def test_zip_member_count_is_checked_before_zipfile_reads_the_directory(tree):
    project, _ = tree
    _zip(project / "many.pt", {f"m{i}": b"" for i in range(300)}, zipfile.ZIP_STORED)
    with pytest.raises(ReadRefused, match="300 members, over the 200-member limit"):
        safezip.zip_member("many.pt", _data_pkl, within=safeio.project(project), cap=10, max_members=200)
    (project / "not.pt").write_bytes(b"just bytes")
    with pytest.raises(ReadRefused, match="not a zip file"):
        safezip.zip_member("not.pt", _data_pkl, within=safeio.project(project), cap=10)


def test_patterns_run_in_linear_time_or_are_refused():
    pattern = safeio.compile_pattern(r"(?:a{1,100}){1,10}b")
    start = time.monotonic()
    assert pattern.search("a" * 50_000 + "c") is None
    assert safeio.compile_pattern(r"(a+)+$").search("a" * 100_000 + "!") is None
    assert time.monotonic() - start < 1
    assert safeio.compile_pattern(r"epoch[_-]?(\d+)").search("model_epoch_12.pt").group(1) == "12"
    for bad in (r"(?:a{1,1000}){1,1000}b", r"(a)\1", r"(?<=x)y", "x" * 2000):
        with pytest.raises(ValueError):
            safeio.compile_pattern(bad)


def test_visible_neutralises_escapes_and_keeps_ordinary_text():
    assert safeio.visible("ok \u00e9\u4e2d\n\tend") == "ok \u00e9\u4e2d\n\tend"
    assert safeio.visible("\x1b[31mred\x07\x9b2J\u202etxt\udcff") == "\\x1b[31mred\\x07\\x9b2J\\u202etxt\ufffd"
    assert not safeio.needs_visible("plain") and safeio.needs_visible("\x1b")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x10FFFF, blacklist_categories=()), max_size=40),
       st.text(alphabet=st.characters(max_codepoint=0x2100, blacklist_categories=()), max_size=3))
def test_needs_visible_says_exactly_whether_visible_changes_the_text(text, keep):
    """The renderers skip `visible` when `needs_visible` says no: the two must agree for every
    text and every `keep` (surrogates, C1, bidi and non-characters included)."""
    assert safeio.needs_visible(text, keep) == (safeio.visible(text, keep) != text)
    assert safeio.needs_visible(text) == (safeio.visible(text) != text)


def test_sha256_is_streamed_and_capped(tree):
    project, _ = tree
    import hashlib

    assert safeio.sha256("ok.txt", within=safeio.project(project), cap=100) == hashlib.sha256(b"hello\n").hexdigest()
    with pytest.raises(ReadRefused, match="not hashed"):
        safeio.sha256("ok.txt", within=safeio.project(project), cap=3)


def test_describe_turns_every_read_error_into_one_line():
    assert safeio.describe(RecursionError(), "a.py") == "a.py: nested too deeply to read"
    assert safeio.describe(PermissionError(13, "Permission denied"), "e.jsonl") == \
        "e.jsonl: cannot be read (Permission denied)"
    assert safeio.describe(MemoryError(), "m.json") == "m.json: too large to read in memory"
