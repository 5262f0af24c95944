"""Docs evidence: passages found in requirement documents with their line ranges."""

from pathlib import Path

from auditor.config import load_config
from auditor.evidence.docs import collect, find_passage, parse_document


DOC = """# Requirements

## 2.1 Periodic checkpoints

1. **Incremental checkpoints** (every 1-5 min,
   max 5 min of lost work)
2. Progress file (updated every 30-60 sec, visible on MacBook)

Call `test_checkpoints_created_at_intervals` with a | pipe.

```
code line
```
"""


def test_finds_passage_across_emphasis_list_markers_and_lines() -> None:
    doc = parse_document("requirements.md", DOC)
    m = find_passage(doc, "Incremental checkpoints (every 1-5 min, max 5 min of lost work)")
    assert m is not None
    assert (m.line, m.end_line) == (5, 6)
    assert m.heading == "2.1 Periodic checkpoints"


def test_match_is_case_and_whitespace_insensitive() -> None:
    doc = parse_document("requirements.md", DOC)
    m = find_passage(doc, "PROGRESS   FILE (updated every\n30-60 sec")
    assert m is not None and m.line == 7 and m.end_line == 7


def test_underscores_inside_names_are_kept() -> None:
    doc = parse_document("requirements.md", DOC)
    m = find_passage(doc, "test_checkpoints_created_at_intervals")
    assert m is not None and m.line == 9
    assert find_passage(doc, "test checkpoints created at intervals") is None


def test_passage_not_in_document_is_none() -> None:
    doc = parse_document("requirements.md", DOC)
    assert find_passage(doc, "Heartbeat thread every 30 seconds") is None


def test_plain_text_cursorrules_and_mojibake_survive(tmp_path: Path) -> None:
    (tmp_path / ".cursorrules").write_bytes(
        "\u00f0\u0178\u0161\u00a8 INCREMENTAL SAVE REQUIREMENT (MANDATORY)\n\nALL processes running >5 minutes MUST include incremental saves:\n".encode()
        + b"\xff bad byte line\n"
    )
    facts = collect(load_config(tmp_path))
    doc = facts.document(".cursorrules")
    assert doc.exists
    assert doc.decode_errors  # the bad byte is reported, not fatal
    m = find_passage(doc, "ALL processes running >5 minutes MUST include incremental saves")
    assert m is not None and m.line == 3


def test_missing_document_is_reported_not_raised(tmp_path: Path) -> None:
    facts = collect(load_config(tmp_path))
    doc = facts.document("requirements.md")
    assert not doc.exists
    assert find_passage(doc, "anything") is None
    # a document not in the configured list is read on demand
    (tmp_path / "extra.md").write_text("hello world\n", encoding="utf-8")
    assert find_passage(facts.document("extra.md"), "HELLO world").line == 1


from hypothesis import given, settings, strategies as st  # noqa: E402

# hyphens only inside words: a line starting with "- " is a list item, whose marker is not text
WORDS = st.lists(st.from_regex(r"[a-j0-9]{1,5}(-[a-j0-9]{1,3})?", fullmatch=True), min_size=3, max_size=40)
DECOR = st.sampled_from(["", "- ", "1. ", "## ", "> ", "- [ ] "])


@settings(max_examples=40, deadline=None)
@given(words=WORDS, data=st.data())
def test_any_window_of_words_is_found_on_its_lines(words: list[str], data: st.DataObject) -> None:
    # lay the words out over lines with random widths, block markers and emphasis
    lines, line_of_word, current = [], [], []
    for i, w in enumerate(words):
        emph = data.draw(st.sampled_from(["", "**", "`"]))
        current.append(f"{emph}{w}{emph}")
        line_of_word.append(len(lines) + 1)
        if data.draw(st.booleans()) or i == len(words) - 1:
            lines.append(data.draw(DECOR) + " ".join(current))
            current = []
    doc = parse_document("d.md", "\n".join(lines) + "\n")
    start = data.draw(st.integers(0, len(words) - 1))
    end = data.draw(st.integers(start, len(words) - 1))
    passage = " ".join(words[start : end + 1]).upper()
    m = find_passage(doc, passage)
    assert m is not None
    # the first occurrence may be earlier than the window drawn, never later
    assert m.line <= line_of_word[start]
    assert m.end_line >= m.line
