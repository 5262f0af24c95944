"""Static reading of pickles: what a checkpoint's pickle holds and which globals it names,
found by walking its opcodes with `pickletools.genops`. Nothing is imported or called.

`refused_globals` and `code_calls` judge the globals a pickle names without loading it:
which ones `torch.load(weights_only=True)` refuses (a mirror of torch's allowlist, checked
against torch's own in the tests), and which of those are functions whose call reaches
outside the data (files, processes, imports, evaluation): a pickle naming one would run it
when loaded with `weights_only=False`.

`blocking_globals` is what keeps a checkpoint from being read as data at all. Other
libraries' objects are data: mmengine's HistoryBuffer and ConfigDict, timm's argparse.Namespace,
a project's own config class, made without their constructor (NEWOBJ: the class's `__new__`)
and filled with state. Any call is refused but of torch's allowlist, plain data constructors and
the classes of torch, numpy and a few standard-library data modules: a function whatever its
name (an allowlist, not a list of bad names: `cProfile.run`, `pydoc.pipepager`), any other
class's constructor (`logging.FileHandler` opens a file, and a library's module may hold any
class under any name, `pkg.utils.Popen`), a value the pickle computed; so is state set on a
class or function itself, and any mention of a module that acts (os, subprocess, io, ...). `getattr(Class, "name")`, how protocols 0-2 pickle a method or
a nested name, is read as a reference to `Class.name`, so calling it is a method call.
"""

from __future__ import annotations

import _compat_pickle
import io
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class StaticPickle:
    """What a pickle holds, read opcode by opcode without loading it: its scalars, the globals it names and calls."""

    scalars: dict[str, Any] | None
    """Top-level int/float/str/bool entries when the pickle is a dict, else None."""
    globals: tuple[str, ...]
    """Every global the pickle names (`module.qualname`), in first-use order."""
    calls: tuple[str, ...]
    """The globals it calls when loaded (REDUCE, INST, OBJ): functions, or classes built by their constructor."""


# torch.load(weights_only=True)'s default allowlist, name for name: torch 2.13's
# `_weights_only_unpickler._get_allowed_globals()` (tests/auditor/test_pickles.py checks both
# directions against torch's own list; no pattern, so no name torch refuses slips in)
_DENSE = ("BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long", "Short")
_SPARSE = tuple(kind for kind in _DENSE if kind != "Bool")
_STORAGE = _DENSE + ("ComplexDouble", "ComplexFloat")
_QUANTIZED_STORAGE = ("QInt32", "QInt8", "QUInt2x4", "QUInt4x2", "QUInt8")
_DTYPES = (
    "bfloat16", "bits16", "bits1x8", "bits2x4", "bits4x2", "bits8", "bool", "complex128", "complex32",
    "complex64", "float16", "float32", "float4_e2m1fn_x2", "float64", "float8_e4m3fn", "float8_e4m3fnuz",
    "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "int1", "int2", "int3", "int4", "int5", "int6", "int7",
    "int8", "int16", "int32", "int64", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7", "uint8",
    "uint16", "uint32", "uint64", "qint32", "qint8", "quint2x4", "quint4x2", "quint8",
)
_QSCHEMES = ("per_channel_affine", "per_channel_affine_float_qparams", "per_channel_symmetric",
             "per_tensor_affine", "per_tensor_symmetric")
_REBUILDS = ("device_tensor_from_cpu_tensor", "device_tensor_from_numpy", "meta_tensor_no_storage",
             "nested_tensor", "parameter", "parameter_with_state", "qtensor", "sparse_tensor", "tensor",
             "tensor_v2", "tensor_v3", "wrapper_subclass")
WEIGHTS_ONLY_GLOBALS = frozenset({
    "_codecs.encode", "builtins.bytearray", "builtins.complex", "builtins.set",
    "collections.Counter", "collections.OrderedDict",
    "torch.Size", "torch.Tensor", "torch.device", "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout", "torch._tensor._rebuild_from_type_v2",
    "torch.storage.TypedStorage", "torch.storage.UntypedStorage",
    *(f"torch._utils._rebuild_{what}" for what in _REBUILDS),
    *(f"torch.{prefix}{kind}Tensor" for prefix in ("", "cuda.") for kind in _DENSE),
    *(f"torch.{prefix}{kind}Tensor" for prefix in ("sparse.", "cuda.sparse.") for kind in _SPARSE),
    *(f"torch.{prefix}{kind}Storage" for prefix in ("", "cuda.") for kind in _STORAGE),
    *(f"torch.{kind}Storage" for kind in _QUANTIZED_STORAGE),
    *(f"torch.{name}" for name in _DTYPES + _QSCHEMES),
})

# modules whose callables act outside the data: files, processes, the interpreter, the network
_ACTING_MODULES = frozenset({
    "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "_posixsubprocess", "sys", "io", "_io", "shutil",
    "socket", "importlib", "runpy", "pty", "pickle", "_pickle", "marshal", "ctypes", "code", "codeop",
    "webbrowser", "multiprocessing", "types", "signal", "tempfile", "urllib", "http", "ftplib", "smtplib",
    "requests", "glob", "tarfile", "zipfile", "operator", "functools", "copyreg", "inspect", "pdb",
    "bdb", "timeit", "platform", "threading", "_thread", "asyncio", "builtins",
})
# libraries whose classes are data but some of whose functions act (torch.load, numpy.load)
_DATA_LIBRARIES = frozenset({"torch", "numpy"})
# plain data constructors in the modules above: calling them runs nothing of the file's choosing
_PLAIN = frozenset({
    "builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.bytes", "builtins.complex",
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.int", "builtins.float", "builtins.str",
    "builtins.bool", "builtins.slice", "builtins.range", "builtins.object",
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.dtype", "numpy.ndarray",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
    "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor",
})


# standard-library modules whose classes are data: building one touches nothing outside it
_STDLIB_DATA = frozenset({"argparse", "collections", "datetime", "decimal", "fractions", "uuid", "pathlib",
                          "enum", "numbers", "ipaddress"})
COMPUTED_CALL = "<a computed value>"  # the callable of a call was itself built by the pickle
_GETATTR = "builtins.getattr"


def blocking_globals(read: StaticPickle) -> tuple[str, ...]:
    """The globals (or calls) that keep a pickle from being read as data: see the module's docstring."""
    called = set(read.calls)
    out = []
    for name in dict.fromkeys(refused_globals(read.globals + read.calls)):
        if name in _PLAIN:
            continue
        if name in called:
            if not _data_class(name):
                out.append(name)
        elif name.split(".")[0] in _ACTING_MODULES and name != _GETATTR:  # getattr uncalled, or read as a reference
            out.append(name)
    return tuple(out)


def _data_class(name: str) -> bool:
    """A class whose construction builds data: not a function or method, of torch, numpy or a
    standard-library data module."""
    parts = name.split(".")
    if not parts[-1][:1].isupper() or not all(p.isidentifier() for p in parts):
        return False
    if any(a[:1].isupper() and not b[:1].isupper() for a, b in zip(parts, parts[1:])):
        return False  # a method or attribute of a class
    return parts[0] in _STDLIB_DATA or parts[0] in _DATA_LIBRARIES


def refused_globals(names: tuple[str, ...]) -> tuple[str, ...]:
    """The globals torch.load(weights_only=True) would refuse."""
    return tuple(n for n in names if n not in WEIGHTS_ONLY_GLOBALS)


def code_calls(read: StaticPickle) -> tuple[str, ...]:
    """The calls the pickle would make when loaded that act outside the data: io.open,
    os.system, builtins.eval, torch.load, a class's method (`pathlib.Path.unlink`), ...
    Constructing the project's own classes, argparse.Namespace or numpy arrays is not one."""
    out = []
    for name in refused_globals(read.calls):
        if name in _PLAIN:
            continue
        parts = name.split(".")
        method = any(a[:1].isupper() and b[:1].islower() for a, b in zip(parts, parts[1:]))
        if parts[0] in _DATA_LIBRARIES:
            acting = method or not parts[-1][:1].isupper()  # a function, not a class
        else:
            acting = parts[0] in _ACTING_MODULES or method
        if acting:
            out.append(name)
    return tuple(out)


class _Opaque:
    """Something the pickle would build by calling code: never built, only named."""

    __slots__ = ("what", "name")

    def __init__(self, what: str, name: str | None = None):
        self.what = what
        self.name = name  # `module.qualname` of a global

    def __repr__(self) -> str:
        return f"<{self.what}>"


_MARK = object()


def _pop_mark(stack: list) -> list:
    items = []
    while stack:
        item = stack.pop()
        if item is _MARK:
            break
        items.append(item)
    items.reverse()
    return items


def read_pickle(data: bytes) -> StaticPickle | None:
    """What a pickle holds, read by walking its opcodes; None when it cannot be walked.

    Globals, reductions and persistent ids (tensors) become opaque placeholders: nothing is
    imported or called.
    """
    return _Walk(data).run()


_VALUES = frozenset({"BINUNICODE", "SHORT_BINUNICODE", "UNICODE", "BINUNICODE8", "STRING", "BINSTRING",
                     "SHORT_BINSTRING", "BININT", "BININT1", "BININT2", "INT", "LONG", "LONG1", "LONG4",
                     "BINFLOAT", "FLOAT"})


class _Walk:
    """One walk over a pickle's opcodes: a stack machine that builds only plain data."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.stack: list[Any] = []
        self.memo: dict[Any, Any] = {}
        self.named: list[str] = []
        self.called: list[str] = []
        self.protocol = 0

    def run(self) -> StaticPickle | None:
        import pickletools  # here and in pickle_end: imported (with pickle) only where a run holds a pickle

        try:
            for op, arg, pos in pickletools.genops(io.BytesIO(self.data)):
                n = op.name
                if n == "PROTO":
                    self.protocol = arg
                    continue
                if n in ("FRAME", "READONLY_BUFFER"):
                    continue
                if n == "STOP":
                    break
                handler = _HANDLERS.get(n)
                if handler is not None:
                    handler(self, n, arg, pos)
                elif not self._first(n, arg, pos):
                    return None  # an opcode this walker does not know: not read statically
        except Exception:  # noqa: BLE001 - a malformed or unusual pickle: report as unreadable statically
            return None
        top = self.stack[-1] if self.stack else None
        scalars = None
        if isinstance(top, dict):
            scalars = {k: v for k, v in top.items() if isinstance(k, str) and isinstance(v, (int, float, str, bool))}
        return StaticPickle(scalars, tuple(dict.fromkeys(self.named)), tuple(dict.fromkeys(self.called)))

    def _first(self, n: str, arg: Any, pos: int) -> bool:
        """The first of an opcode: the handler that takes it is learned (each takes or leaves an
        opcode by its name alone, and leaves it untouched), so later ones go straight to it."""
        for handler in (_Walk._value, _Walk._memo_op, _Walk._container, _Walk._code):
            if handler(self, n, arg, pos):
                _HANDLERS[n] = handler
                return True
        return False

    def _call(self, fn: Any) -> None:
        if isinstance(fn, _Opaque) and fn.name is not None:
            self.called.append(fn.name)
        else:
            self.called.append(COMPUTED_CALL)

    def _value(self, n: str, arg: Any, _pos: int = 0) -> bool:
        """Opcodes that push one value: literals, empty containers, opaque bytes."""
        stack = self.stack
        if n in _VALUES:
            stack.append(arg)
        elif n in ("EMPTY_DICT", "EMPTY_LIST", "EMPTY_TUPLE"):
            stack.append({} if n == "EMPTY_DICT" else [] if n == "EMPTY_LIST" else ())
        elif n == "EMPTY_SET":
            stack.append(_Opaque("set"))
        elif n == "MARK":
            stack.append(_MARK)
        elif n == "NONE":
            stack.append(None)
        elif n in ("NEWTRUE", "NEWFALSE"):
            stack.append(n == "NEWTRUE")
        elif n in ("BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"):
            stack.append(_Opaque("bytes"))
        elif n in ("EXT1", "EXT2", "EXT4", "NEXT_BUFFER"):
            stack.append(_Opaque(n.lower()))
        else:
            return False
        return True

    def _memo_op(self, n: str, arg: Any, _pos: int = 0) -> bool:
        if n in ("BINPUT", "LONG_BINPUT", "PUT"):
            self.memo[arg] = self.stack[-1]
        elif n == "MEMOIZE":
            self.memo[len(self.memo)] = self.stack[-1]
        elif n in ("BINGET", "LONG_BINGET", "GET"):
            self.stack.append(self.memo.get(arg, _Opaque("memo")))
        else:
            return False
        return True

    def _container(self, n: str, _arg: Any = None, _pos: int = 0) -> bool:
        """Opcodes that fill or build lists, tuples and dicts, or move the stack."""
        stack = self.stack
        if n in ("SETITEM", "SETITEMS"):
            items = [*reversed([stack.pop(), stack.pop()])] if n == "SETITEM" else _pop_mark(stack)
            if isinstance(stack[-1], dict):
                for key, value in zip(items[::2], items[1::2]):
                    if _hashable(key):
                        stack[-1][key] = value
        elif n in ("APPEND", "APPENDS", "ADDITEMS"):
            items = [stack.pop()] if n == "APPEND" else _pop_mark(stack)
            if isinstance(stack[-1], list):
                stack[-1].extend(items)
        elif n in ("LIST", "TUPLE"):
            items = _pop_mark(stack)
            stack.append(items if n == "LIST" else tuple(items))
        elif n in ("TUPLE1", "TUPLE2", "TUPLE3"):
            k = int(n[-1])
            items = stack[-k:]
            del stack[-k:]
            stack.append(tuple(items))
        elif n == "DICT":
            items = _pop_mark(stack)
            stack.append({k: v for k, v in zip(items[::2], items[1::2]) if _hashable(k)})
        elif n == "FROZENSET":
            _pop_mark(stack)
            stack.append(_Opaque("frozenset"))
        elif n in ("POP", "POP_MARK", "DUP"):
            if n == "DUP":
                stack.append(stack[-1])
            else:
                stack.pop() if n == "POP" else _pop_mark(stack)
        else:
            return False
        return True

    def _code(self, n: str, arg: Any, pos: int) -> bool:
        """Opcodes that name a global or would call one: recorded, never performed."""
        stack = self.stack
        if n in ("GLOBAL", "INST"):
            dotted = _loaded_name(*_raw_global(self.data, pos), self.protocol)
            self.named.append(dotted)
            found = _Opaque(f"global {arg}", dotted)
            if n == "INST":  # names a class and calls it with the items since the mark
                _pop_mark(stack)
                self._call(found)
            stack.append(found)
        elif n == "STACK_GLOBAL":
            name, module = stack.pop(), stack.pop()
            dotted = _loaded_name(str(module), str(name), self.protocol)
            self.named.append(dotted)
            stack.append(_Opaque(f"global {module} {name}", dotted))
        elif n == "REDUCE":
            args = stack.pop()
            fn = stack.pop()
            ref = _attribute(fn, args)
            if ref is not None:
                self.named.append(ref.name)
                stack.append(ref)
                return True
            self._call(fn)
            stack.append(_Opaque(f"call of {getattr(fn, 'what', fn)}"))
        elif n in ("NEWOBJ", "NEWOBJ_EX"):
            del stack[-(2 if n == "NEWOBJ" else 3) + 1:]
            cls = stack.pop()
            stack.append(_Opaque(f"new {getattr(cls, 'what', cls)}"))
        elif n == "OBJ":
            items = _pop_mark(stack)
            if items:
                self._call(items[0])
            stack.append(_Opaque("object"))
        elif n == "BUILD":
            stack.pop()
            target = stack[-1]
            if isinstance(target, _Opaque) and target.name is not None:  # state set on a class or function itself
                self.called.append(f"{target.name}.__setstate__")
        elif n in ("BINPERSID", "PERSID"):
            if n == "BINPERSID":
                stack.pop()
            stack.append(_Opaque("persistent"))
        else:
            return False
        return True


# opcode name -> the _Walk method that handles it (_Walk._first learns them)
_HANDLERS: dict[str, Callable[[_Walk, str, Any, int], bool]] = {}


def _attribute(fn: Any, args: Any) -> _Opaque | None:
    """`getattr(Class, "name")` with a global and a public name: a reference to `Class.name`, else None."""
    if not (isinstance(fn, _Opaque) and fn.name == _GETATTR and isinstance(args, tuple) and len(args) == 2):
        return None
    owner, attr = args
    if not (isinstance(owner, _Opaque) and owner.name is not None and isinstance(attr, str)):
        return None
    if not attr.isidentifier() or attr.startswith("_"):
        return None
    dotted = f"{owner.name}.{attr}"
    return _Opaque(f"global {dotted}", dotted)


def _raw_global(data: bytes, pos: int) -> tuple[str, str]:
    """The module and name lines after the GLOBAL or INST opcode at `pos`, as the unpicklers
    (pickle's and torch's weights_only one) read them: bytes decoded as UTF-8, nothing
    unescaped. pickletools undoes backslash escapes, so its `\\x74orch Size` reads `torch Size`."""
    module_end = data.index(b"\n", pos + 1)
    name_end = data.index(b"\n", module_end + 1)
    return data[pos + 1:module_end].decode("utf-8"), data[module_end + 1:name_end].decode("utf-8")


def _loaded_name(module: str, name: str, protocol: int) -> str:
    """`module.name` as the unpickler finds it: protocols 0-2 name Python 2 modules
    (`__builtin__.eval`), which it maps to Python 3's (`builtins.eval`)."""
    if protocol < 3:
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    return f"{module}.{name}"


def _hashable(key: Any) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True




def pickle_end(data: bytes) -> int | None:
    """The offset just past the first pickle in `data` (its STOP opcode); None when it cannot be walked."""
    import pickletools

    try:
        for op, _arg, pos in pickletools.genops(io.BytesIO(data)):
            if op.name == "STOP":
                return pos + 1
    except Exception:  # noqa: BLE001 - a malformed pickle: no end to report
        return None
    return None
