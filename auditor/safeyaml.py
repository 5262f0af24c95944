"""YAML documents read under limits: nesting depth, and the nodes aliases expand to.

A document is composed node by node by this module's composer, which counts depth and alias
expansion and refuses past the limits (ReadRefused, naming the line), so that an alias bomb or
a 5,000-deep flow sequence costs one refusal, never the audit. The events it composes come from
libyaml's parser (C) where PyYAML was built with it, else from PyYAML's pure-Python reader,
scanner and parser, which take most of the time of reading a document in pure Python.

The two parsers agree on the documents a project holds, but word their errors differently and
libyaml refuses a few inputs PyYAML reads (a string with an unpaired surrogate cannot even be
handed to it). So whatever the fast path fails on is read again by the pure-Python parser, whose
outcome decides: a document is read or refused as it always was, and an error keeps PyYAML's
words and line. tests/hostile/test_yaml_libyaml.py holds both parsers to the same trees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from auditor.refused import ReadRefused

try:
    from yaml.cyaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser reads alone
    CParser = None

LIBYAML = CParser is not None
YAML_DEPTH = 64
YAML_NODES = 100_000  # nodes a YAML document may hold once its aliases are expanded


class _Limits:
    """A composer's compose_node that counts depth and the nodes aliases expand to, refusing past limits."""

    def _limits(self, shown: str, max_depth: int, max_nodes: int) -> None:
        self._shown, self._max_depth, self._max_nodes = shown, max_depth, max_nodes
        self._depth = 0
        self._expanded = 0
        self._sizes: dict[int, int] = {}

    def _refuse(self, why: str) -> None:
        mark = self.peek_event().start_mark if self.check_event() else None
        raise ReadRefused(self._shown, why, mark.line + 1 if mark is not None else None)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor
            target = self.anchors.get(anchor)
            if target is not None and id(target) not in self._sizes:
                self._refuse(f"YAML alias *{anchor} refers to a node that contains it; not read")
            node = super().compose_node(parent, index)
            self._expanded += self._sizes.get(id(node), 1)
            if self._expanded > self._max_nodes:
                self._refuse(f"YAML aliases expand to more than {self._max_nodes} nodes (an alias bomb?); not read")
            return node
        self._depth += 1
        if self._depth > self._max_depth:
            self._refuse(f"YAML nested deeper than {self._max_depth} levels; not read")
        before = self._expanded
        self._expanded += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._sizes[id(node)] = self._expanded - before
        if self._expanded > self._max_nodes:
            self._refuse(f"YAML aliases expand to more than {self._max_nodes} nodes (an alias bomb?); not read")
        return node


class _BoundedLoader(_Limits, yaml.SafeLoader):
    """PyYAML's SafeLoader (pure Python) with the limits."""

    def __init__(self, text: str, shown: str, max_depth: int, max_nodes: int) -> None:
        yaml.SafeLoader.__init__(self, text)
        self._limits(shown, max_depth, max_nodes)


class _Diverges(Exception):
    """The fast path met a construct where libyaml and PyYAML place or read nodes differently."""


# Where libyaml and PyYAML differ (found by fuzzing both, tests/hostile/test_yaml_libyaml.py):
# libyaml reads a tab as separation space, a block scalar header followed by "#" and a byte
# order mark inside the stream, all of which PyYAML refuses; it places the empty node of a
# "?" key, of an empty document and of an empty value in a flow collection elsewhere. A text
# holding any of these characters is read by PyYAML alone; empty nodes are checked as composed.
_PURE_ONLY = re.compile("[\t\ufeff\x85\u2028\u2029?]|[|>][-+0-9]*#")

if CParser is not None:
    class _BoundedCLoader(_Limits, Composer, CParser, SafeConstructor, Resolver):
        """libyaml's parser for the events; PyYAML's composer (with the limits), constructor and resolver.

        Composer comes before CParser so that its get_single_node, not libyaml's own composer,
        builds the document: libyaml would compose it with no limit."""

        def __init__(self, text: str, shown: str, max_depth: int, max_nodes: int) -> None:
            CParser.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)
            self._limits(shown, max_depth, max_nodes)
            self._flow = 0

        def compose_scalar_node(self, anchor: Any) -> Any:
            event = self.peek_event()
            if not event.value and event.implicit[0] and (self._flow or self._depth == 1):
                raise _Diverges
            return super().compose_scalar_node(anchor)

        def compose_sequence_node(self, anchor: Any) -> Any:
            return self._in_collection(super().compose_sequence_node, anchor)

        def compose_mapping_node(self, anchor: Any) -> Any:
            return self._in_collection(super().compose_mapping_node, anchor)

        def _in_collection(self, compose: Any, anchor: Any) -> Any:
            """compose(anchor), counted as inside a flow collection when its start event says so."""
            flow = 1 if self.peek_event().flow_style else 0
            self._flow += flow
            try:
                return compose(anchor)
            finally:
                self._flow -= flow


@dataclass(frozen=True)
class YamlDocument:
    """A YAML document within limits: its node tree (for line numbers) and its value."""

    node: yaml.Node | None
    data: Any


def _reads_fast(text: str) -> bool:
    """Whether libyaml's parser reads `text`: there is one, and the text holds none of _PURE_ONLY."""
    return CParser is not None and not _PURE_ONLY.search(text)


def reader_of(text: str, shown: str = "", max_depth: int = YAML_DEPTH, max_nodes: int = YAML_NODES, *,
              fast: bool = True) -> Any:
    """The loader that reads `text`: libyaml's parser where it can and `fast`, else PyYAML's."""
    loader = _BoundedCLoader if fast and _reads_fast(text) else _BoundedLoader
    return loader(text, shown, max_depth, max_nodes)


def parse_yaml(text: str, *, shown: str, max_depth: int = YAML_DEPTH, max_nodes: int = YAML_NODES,
               fast: bool = True) -> YamlDocument:
    """Compose and construct one YAML document under depth and alias-expansion limits.

    Syntax errors stay `yaml.YAMLError` (with the parser's mark); the limits raise ReadRefused.
    `fast=False` reads with PyYAML's pure-Python parser only.
    """
    if fast and _reads_fast(text):
        try:
            return _read(_BoundedCLoader(text, shown, max_depth, max_nodes), shown, max_depth)
        except Exception:  # noqa: BLE001 - any failure of the fast path: the pure parser's outcome decides
            pass
    return _read(_BoundedLoader(text, shown, max_depth, max_nodes), shown, max_depth)


def _read(loader: Any, shown: str, max_depth: int) -> YamlDocument:
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise ReadRefused(shown, f"YAML nested deeper than {max_depth} levels; not read") from None
    finally:
        loader.dispose()
    return YamlDocument(node, data)


def yaml_value(node: yaml.Node) -> Any:
    """The value of one node of a document `parse_yaml` accepted (so within its limits)."""
    return yaml.SafeLoader("").construct_document(node)


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None
