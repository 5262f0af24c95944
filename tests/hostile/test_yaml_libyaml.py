"""YAML read with libyaml's parser where PyYAML has it, composed under the same limits.

libyaml scans and parses in C, several times faster than PyYAML's pure-Python reader, scanner
and parser; the document is still composed by auditor.safeyaml's own composer, so the depth and
alias limits hold as before. Whatever the fast path refuses or fails on is read again with the
pure-Python parser, whose outcome decides: an error is worded and placed as it always was.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import strategies as st

from auditor import safeio, safeyaml
from tests.reliability.conftest import fuzz_pair

ROOT = Path(__file__).resolve().parents[2]

CRAFTED = [
    "",
    "---\n",  # an empty document: libyaml places its node elsewhere, so PyYAML reads it
    "# only a comment\n",
    "a: 1\nb: [1, 2, {c: d}]\n",
    "base: &b {lr: 0.1, steps: 10}\nrun:\n  <<: *b\n  steps: 20\nother: *b\n",
    "text: |\n  line one\n  line two\nfolded: >-\n  a\n  b\nafter: 3\n",
    "plain: a multi\n  line plain scalar\nq: 'single ''quoted'''\nd: \"esc \\t \\u00e9\"\n",
    "- 1\n- 2.5\n- true\n- null\n- ~\n- 2026-01-25\n- 0x1f\n- .inf\n- 1_000\n",
    "? complex key\n: value\nset: !!set {a, b}\nomap: !!omap [a: 1, b: 2]\n",
    "unicode: caf\u00e9 \u65e5\u672c \U0001f600\nbom_free: yes\n",
    "defaults:\n  - model: vqgan\n  - _self_\ntrainer:\n  max_epochs: 3\n  callbacks: ${oc.env:X}\n",
    "%YAML 1.1\n---\nk: v\n...\n",
    "k: v\r\nw: x\r\n",
    "nested:\n" + "".join("  " * i + f"l{i}:\n" for i in range(1, 30)) + "  " * 30 + "leaf: 1\n",
]

BROKEN = [
    "k:\tv\n",
    "|#c\n",
    "? a\n: b\n---\n",
    "{a: [b,\n], c\n: }\n",
    "a: b: c\n",
    "k: [1, 2\n",
    "k: {a: 1\nz: 2\n",
    "- a\nb: c\n",
    "k: 'unclosed\n",
    "\tk: v\n",
    "k: *missing\n",
    "a: &x 1\na: &x 2\nb: *x\nc: !!int notanint\n",
    "k: v\n---\nj: w\n",
    "k: \x07bell\n",
    "k: \ud800\n",
    "key: value\n  bad indent: 1\n",
    "@reserved: 1\n",
]


def _tree(node: yaml.Node | None):
    """A node as comparable data: tag, value or children, and where it starts. A plain scalar's
    style is None from PyYAML and "" from libyaml; the auditor reads no style."""
    if node is None:
        return None
    where = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value, node.style or None, where)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, [_tree(n) for n in node.value], where)
    return ("map", node.tag, [(_tree(k), _tree(v)) for k, v in node.value], where)


def _outcome(text: str, *, fast: bool):
    try:
        doc = safeyaml.parse_yaml(text, shown="c.yaml", fast=fast)
    except safeio.ReadRefused as exc:
        return ("refused", str(exc), exc.line)
    except yaml.YAMLError as exc:
        return ("error", type(exc).__name__, getattr(exc, "problem", None), safeyaml.yaml_error_line(exc))
    except Exception as exc:  # noqa: BLE001 - what a constructor raises (`!!int x`) passes through as it did
        return ("raised", type(exc).__name__, str(exc))
    return ("read", _tree(doc.node), repr(doc.data))


def _yaml_files() -> list[Path]:
    found = [p for base in ("rules", "magvit", "tests/corpus", "tests/fixtures") for pattern in ("*.yaml", "*.yml")
             for p in (ROOT / base).rglob(pattern) if p.is_file()]
    return sorted(found)


def test_libyaml_parses_where_pyyaml_was_built_with_it():
    assert safeyaml.LIBYAML is yaml.__with_libyaml__
    if not yaml.__with_libyaml__:
        pytest.skip("this PyYAML was built without libyaml")
    assert safeyaml.reader_of("a: 1\n").__class__.__name__ == "_BoundedCLoader"


def test_every_yaml_file_of_the_repository_and_its_corpus_reads_the_same_both_ways():
    files = _yaml_files()
    assert len(files) > 50
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert _outcome(text, fast=True) == _outcome(text, fast=False), path


@pytest.mark.parametrize("text", CRAFTED)
def test_crafted_documents_read_the_same_both_ways(text):
    fast = _outcome(text, fast=True)
    assert fast == _outcome(text, fast=False)
    assert fast[0] == "read"


@pytest.mark.parametrize("text", BROKEN)
def test_broken_documents_fail_with_the_pure_parsers_words_and_line(text):
    fast = _outcome(text, fast=True)
    assert fast == _outcome(text, fast=False)
    assert fast[0] == "error"


def test_the_limits_hold_on_the_fast_path():
    with pytest.raises(safeio.ReadRefused, match="deeper than 64"):
        safeyaml.parse_yaml("a: " + "[" * 5000 + "]" * 5000, shown="r.yaml")
    with pytest.raises(safeio.ReadRefused, match="refers to a node that contains it"):
        safeyaml.parse_yaml("a: &x [1, *x]\n", shown="r.yaml")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6))
    with pytest.raises(safeio.ReadRefused, match="alias bomb"):
        safeyaml.parse_yaml(bomb, shown="r.yaml")


def test_without_libyaml_the_pure_parser_reads_alone():
    code = ("import sys; sys.modules['yaml._yaml'] = None\n"
            "from auditor import safeyaml\n"
            "doc = safeyaml.parse_yaml('a: [1, 2]\\n', shown='c.yaml')\n"
            "print(safeyaml.LIBYAML, doc.data, doc.node.start_mark.line)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "{'a':", "[1,", "2]}", "0"]


# pieces of YAML syntax, strung at random: the fuzzing that found where the two parsers part
PIECES = ["a", "b", ":", ": ", "- ", "-", "\n", "\n  ", "\n    ", "[", "]", "{", "}", ",", ", ", "'", '"', "&x ", "*x",
          "!!str ", "!!int ", "#c", " #c", " ", "?", "? ", "|", ">", "|-", ">+2", "1", "2.5", "~", "null", "yes",
          "---", "...", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "!x ", "\\", "\\n", "\u00e9", "<<: ", "=",
          "@", "`", "%", "0o17", "1e3", ".nan", "0b101", "1:20", "\r\n", "\r", "\t", "\ufeff", "\x85", "\u2028"]


def _same_both_ways(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _outcome(text, fast=True) == _outcome(text, fast=False), repr(text)


test_random_documents_read_the_same_both_ways_fast, test_random_documents_read_the_same_both_ways_slow = fuzz_pair(
    _same_both_ways, st.lists(st.sampled_from(PIECES), min_size=1, max_size=16))
