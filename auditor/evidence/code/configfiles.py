"""The configuration files a project's code reads (found by auditor.discovery: Hydra trees,
JSON/YAML/TOML argument files), read as data with the line of every key, through auditor.safeio.

Framework adapters look things up here: a `_target_: lightning.pytorch.callbacks.ModelCheckpoint`
node with its `every_n_train_steps`, a jsonargparse (LightningCLI) `class_path:` node whose
`init_args:` are read as its own keys, a JSON argument file's `save_strategy`. Nothing is
interpolated or executed (Hydra's `${...}` stays text); a file that cannot be read is one
error entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor import rxcache, safeio

MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Node:
    """A mapping read from a configuration file: its keys' values and lines."""

    file: str
    line: int  # the mapping's first line
    values: dict[str, Any]
    lines: dict[str, int]  # key -> line

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


@dataclass
class ConfigFiles:
    """Every mapping of every configuration file read (nested ones too)."""

    nodes: list[Node] = field(default_factory=list)
    read: tuple[str, ...] = ()
    errors: list[str] = field(default_factory=list)
    named: tuple[str, ...] = ()  # the files a documented command line passes (`--config configs/fit.yaml`)

    def targets(self, pattern: str) -> list[Node]:
        """Mappings whose `_target_` matches `pattern` (Hydra's instantiate)."""
        rx = rxcache.compile(pattern)
        return [n for n in self.nodes if isinstance(n.values.get("_target_"), str) and rx.search(n.values["_target_"])]

    def commanded(self) -> list[Node]:
        """The mappings of the files the documented commands pass, else of every file read: the
        configuration a command-line tool (LightningCLI) is run with."""
        named = [n for n in self.nodes if n.file in self.named]
        return named or list(self.nodes)

    @staticmethod
    def class_paths(nodes: list[Node], pattern: str) -> list[Node]:
        """Mappings among `nodes` whose `class_path` (jsonargparse) matches `pattern`."""
        rx = rxcache.compile(pattern)
        return [n for n in nodes if isinstance(n.values.get("class_path"), str) and rx.search(n.values["class_path"])]

    def built(self) -> dict[str, list[dict[str, Any]]]:
        """The classes configuration entries construct (`class_path:` or `_target_:`), by class name, with the
        arguments each entry gives."""
        out: dict[str, list[dict[str, Any]]] = {}
        for n in self.nodes:
            named = n.values.get("class_path", n.values.get("_target_"))
            if isinstance(named, str) and named:
                given = {k: v for k, v in n.values.items() if k not in ("class_path", "_target_", "init_args")}
                out.setdefault(named.rsplit(".", 1)[-1], []).append(given)
        return out

    def with_keys(self, *keys: str) -> list[Node]:
        return [n for n in self.nodes if any(k in n.values for k in keys)]


def read(root: Path, files: tuple[str, ...] | list[str], named: tuple[str, ...] | list[str] = ()) -> ConfigFiles:
    out = ConfigFiles(read=tuple(files), named=tuple(named))
    within = safeio.project(root)
    for rel in files:
        try:
            text = safeio.read_text(root / rel, within=within, cap=MAX_CONFIG_BYTES, shown=rel)
            if rel.endswith(".json"):
                out.nodes += _json_nodes(rel, text)
            elif rel.endswith(".toml"):
                out.nodes += _toml_nodes(rel, text)
            elif rel.endswith((".yaml", ".yml")):
                out.nodes += _yaml_nodes(rel, safeio.parse_yaml(text, shown=rel).node)
        except FileNotFoundError:
            continue
        except (yaml.YAMLError, ValueError, RecursionError) as exc:  # (TOMLDecodeError is a ValueError)
            out.errors.append(f"{rel}: not read as configuration ({str(exc).splitlines()[0][:120]})")
        except safeio.READ_ERRORS as exc:
            out.errors.append(safeio.describe(exc, rel))
    return out


def _yaml_nodes(rel: str, node: Any) -> list[Node]:
    """Every mapping; the `init_args:` of a `class_path:` mapping (jsonargparse's form of a class and its
    constructor's arguments) are read as keys of that mapping, as Hydra's arguments sit beside `_target_`."""
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            values, lines = {}, {}
            for key, value in _pairs(n):
                lines[key.value] = key.start_mark.line + 1
                values[key.value] = _scalar(value) if isinstance(value, yaml.ScalarNode) else None
                stack.append(value)
            out.append(Node(rel, n.start_mark.line + 1, values, lines))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return out


def _pairs(n: yaml.MappingNode) -> list[tuple[yaml.ScalarNode, Any]]:
    """A mapping's scalar-keyed pairs, with the pairs of its `init_args:` in place of it when it has a `class_path`."""
    pairs = [(k, v) for k, v in n.value if isinstance(k, yaml.ScalarNode)]
    if not any(k.value == "class_path" for k, _ in pairs):
        return pairs
    out: list[tuple[yaml.ScalarNode, Any]] = []
    for k, v in pairs:
        if k.value == "init_args" and isinstance(v, yaml.MappingNode):
            out += [(ik, iv) for ik, iv in v.value if isinstance(ik, yaml.ScalarNode)]
        else:
            out.append((k, v))
    return out


def _scalar(node: yaml.ScalarNode) -> Any:
    try:
        return safeio.yaml_value(node)
    except yaml.YAMLError:
        return node.value


def _json_nodes(rel: str, text: str) -> list[Node]:
    data = safeio.parse_json(text, shown=rel)
    out: list[Node] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            lines = {k: _line_of_key(text, k) for k in value}
            out.append(Node(rel, min(lines.values(), default=1), {k: v for k, v in value.items()
                                                                   if not isinstance(v, (dict, list))}, lines))
            stack.extend(v for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend(value)
    return out


_TOML_TABLE = rxcache.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_KEY = rxcache.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]+\")\s*=")


def _toml_nodes(rel: str, text: str) -> list[Node]:
    """A TOML file's tables, each a mapping with the line of every key (tomllib keeps no lines: the
    `[table]` headers and `key =` lines are read for them)."""
    import tomllib  # here: only a project with TOML settings needs it

    data = tomllib.loads(text)
    lines: dict[tuple[str, str], int] = {}
    headers: dict[str, int] = {"": 1}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _TOML_TABLE.match(raw)
        if header:
            table = ".".join(part.strip().strip('"') for part in header.group(1).split("."))
            headers.setdefault(table, number)
            continue
        key = _TOML_KEY.match(raw)
        if key:
            lines.setdefault((table, key.group(1).strip('"')), number)
    out: list[Node] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            keys = {k: lines.get((path, k), headers.get(path, 1)) for k in value}
            out.append(Node(rel, headers.get(path, 1), {k: v for k, v in value.items()
                                                         if not isinstance(v, (dict, list))}, keys))
            stack.extend((f"{path}.{k}" if path else k, v) for k, v in value.items() if isinstance(v, dict))
    return out


def _line_of_key(text: str, key: str) -> int:
    at = text.find(json.dumps(key) + ":")
    if at < 0:
        at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else 1
