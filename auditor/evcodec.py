"""Evidence values to JSON and back, exactly: what auditor.colcache keeps between audits.

Only plain data and the evidence dataclasses their modules `register` are written or read: a
class name in a cache entry is looked up there, never imported, so an entry can build nothing
else (auditor.evidence.code.facts registers its facts, auditor.evidence.tests TestFunction).
A field whose metadata says `{"cache": False}` (Guard.interval: a syntax node the collector
uses while it works) is left out and comes back as its default; such a field must not take
part in comparisons, so a decoded value still equals the one encoded.

    None, bool, int, float, str   as themselves
    list                          [...]
    tuple / frozenset / set       {"t": [...]} / {"f": [...]} / {"s": [...]}
    dict                          {"d": [[key, value], ...]}
    pathlib.Path                  {"p": "..."}
    an evidence dataclass         {"c": "ClassName", "v": [its kept fields' values, in order]}
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from pathlib import Path, PurePath
from typing import Any

MAX_DEPTH = 100  # nesting of an encoded value: evidence stays far below it


class CodecError(ValueError):
    """A value the codec does not write, or data it does not read back."""


_CLASSES: dict[str, type] = {}  # the only classes an entry may name: those their modules register


def register(*classes: type) -> None:
    """Let the codec write and build these evidence dataclasses (each module registers its own)."""
    for cls in classes:
        if not dataclasses.is_dataclass(cls) or _CLASSES.get(cls.__name__, cls) is not cls:
            raise ValueError(f"cannot register {cls!r}")
        _CLASSES[cls.__name__] = cls


def _kept_fields(cls: type) -> tuple[dataclasses.Field, ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.metadata.get("cache", True) and f.init)


@functools.lru_cache(maxsize=None)
def _layout(cls: type) -> tuple[tuple[str, ...], dict[str, Any]]:
    """(the kept fields' names in order, the left-out fields' defaults) of an evidence class."""
    kept = _kept_fields(cls)
    left = {f.name: (f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
            for f in dataclasses.fields(cls) if f not in kept}
    if any(v is dataclasses.MISSING for v in left.values()):
        raise CodecError(f"{cls.__name__}: a field left out of the cache has no default")
    return tuple(f.name for f in kept), left


_PLAIN = (str, int, bool, float, type(None))


def encode(value: Any, depth: int = 0) -> Any:
    """`value` as JSON-ready data; CodecError for anything outside the table above."""
    if depth > MAX_DEPTH:
        raise CodecError(f"nested deeper than {MAX_DEPTH} levels")
    cls = value.__class__
    if cls in _PLAIN:
        return value
    below = depth + 1
    if cls is dict:
        return {"d": [[encode(k, below), encode(v, below)] for k, v in value.items()]}
    if isinstance(value, PurePath):
        return {"p": str(value)}
    if cls in _SEQUENCE_TAGS:
        items = value
    elif _CLASSES.get(cls.__name__) is cls:  # registered, so a dataclass (register checks)
        items = [getattr(value, name) for name in _layout(cls)[0]]
    else:
        raise CodecError(f"cannot keep a {cls.__module__}.{cls.__qualname__}")
    # a plain item, most of them, is written where it is met rather than through a call of its
    # own, unless it lies too deep (then the call refuses it, as for any item)
    inline = below <= MAX_DEPTH
    written = [v if inline and v.__class__ in _PLAIN else encode(v, below) for v in items]
    if cls is list:
        return written
    return {_SEQUENCE_TAGS[cls]: written} if cls in _SEQUENCE_TAGS else {"c": cls.__name__, "v": written}


_SEQUENCE_TAGS: dict[type, str | None] = {list: None, tuple: "t", frozenset: "f", set: "s"}


def decode(data: Any, depth: int = 0) -> Any:
    """The value `encode` wrote; CodecError for data it would not have written."""
    if data.__class__ in _PLAIN:
        return data
    if depth > MAX_DEPTH:
        raise CodecError(f"nested deeper than {MAX_DEPTH} levels")
    if data.__class__ is list:
        return [decode(v, depth + 1) for v in data]
    if data.__class__ is not dict or len(data) not in (1, 2):
        raise CodecError(f"unexpected {data.__class__.__name__}")
    if "c" in data:
        return _instance(data, depth)
    (tag, items), = data.items()
    if tag == "p" and items.__class__ is str:
        return Path(items)
    if items.__class__ is not list:
        raise CodecError(f"unexpected {tag!r} entry")
    if tag == "t":
        return tuple([v if v.__class__ in _PLAIN else decode(v, depth + 1) for v in items])
    if tag in ("f", "s"):
        return (frozenset if tag == "f" else set)(decode(v, depth + 1) for v in items)
    if tag == "d":
        if any(pair.__class__ is not list or len(pair) != 2 for pair in items):
            raise CodecError("a dict entry is not a [key, value] pair")
        return {decode(k, depth + 1): decode(v, depth + 1) for k, v in items}
    raise CodecError(f"unknown tag {tag!r}")


def _instance(data: dict, depth: int) -> Any:
    name, values = data.get("c"), data.get("v")
    cls = _CLASSES.get(name) if name.__class__ is str else None
    if cls is None or values.__class__ is not list:
        raise CodecError(f"not an evidence class: {name!r}")
    names, left = _layout(cls)
    if len(values) != len(names):
        raise CodecError(f"{name}: {len(values)} values for {len(names)} fields")
    # what the generated __init__ does, without its per-field object.__setattr__ (the evidence
    # classes have no __post_init__ and no slots: tests/auditor/test_column_cache.py)
    obj = object.__new__(cls)
    state = obj.__dict__
    state.update(zip(names, [v if v.__class__ in _PLAIN else decode(v, depth + 1) for v in values]))
    if left:
        state.update({k: copy.copy(v) for k, v in left.items()})
    return obj


def key_of(value: Any, depth: int = 0) -> Any:
    """`value` as canonical JSON-ready data for a cache key (never decoded): like `encode`, but any
    dataclass is written with all its fields under its qualified name, and sets are sorted."""
    if depth > MAX_DEPTH:
        raise CodecError(f"nested deeper than {MAX_DEPTH} levels")
    if value is None or value.__class__ in (bool, int, float, str):
        return value
    if value.__class__ in (list, tuple):
        return [value.__class__.__name__, [key_of(v, depth + 1) for v in value]]
    if value.__class__ in (frozenset, set):
        return ["set", sorted((key_of(v, depth + 1) for v in value), key=repr)]
    if value.__class__ is dict:
        return ["dict", sorted(([key_of(k, depth + 1), key_of(v, depth + 1)] for k, v in value.items()), key=repr)]
    if isinstance(value, PurePath):
        return ["path", str(value)]
    cls = value.__class__
    if dataclasses.is_dataclass(cls):
        return [f"{cls.__module__}.{cls.__qualname__}",
                [[f.name, key_of(getattr(value, f.name), depth + 1)] for f in dataclasses.fields(cls)]]
    raise CodecError(f"cannot key a {cls.__module__}.{cls.__qualname__}")
