"""Which fields of a Python syntax-tree node can hold nodes: the table that the walks over every
parsed file (auditor.evidence.code.syntax.walk, safeio's depth check) read instead of every field."""

from __future__ import annotations

import ast

# Expression contexts and operators: a third of the nodes of a typical tree, leaves that no
# probe looks at (an operator is read from its BinOp, never found by walking).
LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)

# Fields that never hold a node to walk: the LEAVES (ctx, op, ops) and identifiers, strings,
# numbers and constants (Python.asdl). Names, constants and attributes, over half the nodes
# of a tree, then have no field left to look at.
_NOT_NODES = {"ctx", "op", "ops", "id", "attr", "name", "asname", "arg", "module", "level", "simple",
              "conversion", "is_async", "type_comment", "kind", "tag", "rest", "kwd_attrs"}
_NOT_NODES_OF = {"Constant": {"value"}, "MatchSingleton": {"value"}, "Global": {"names"}, "Nonlocal": {"names"},
                 "TypeIgnore": {"lineno"}, "TypeAlias": set()}  # 3.12's TypeAlias.name is a node


def node_fields(cls: type) -> tuple[str, ...]:
    """The fields of `cls` that can hold a node to walk, in _fields order."""
    skip = _NOT_NODES_OF.get(cls.__name__, set()) | (_NOT_NODES if cls.__name__ != "TypeAlias" else set())
    return tuple(f for f in cls._fields if f not in skip)


def _all_classes(cls: type) -> list[type]:
    return [cls] + [c for sub in cls.__subclasses__() for c in _all_classes(sub)]


FIELDS: dict[type, tuple[str, ...]] = {cls: node_fields(cls) for cls in _all_classes(ast.AST)}


def children(node: ast.AST) -> list[ast.AST]:
    """ast.iter_child_nodes less the LEAVES, as a list."""
    out = []
    fields = FIELDS.get(node.__class__)
    for name in fields if fields is not None else node_fields(node.__class__):
        value = getattr(node, name, None)
        if value.__class__ is list:
            if value:
                out += [item for item in value if isinstance(item, ast.AST) and not isinstance(item, LEAVES)]
        elif isinstance(value, ast.AST) and not isinstance(value, LEAVES):
            out.append(value)
    return out
