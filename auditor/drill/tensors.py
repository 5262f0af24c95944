"""The tensors of a torch zip checkpoint, read without torch and without unpickling.

`torch.save` writes a zip whose `data.pkl` describes the saved object and whose `data/<key>`
members hold each storage's raw bytes. The pickle is walked opcode by opcode
(`pickletools.genops`); only the few globals a tensor is made of are understood
(`torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`, `collections.OrderedDict`, the
`torch.<Type>Storage` classes); every other global stays an opaque placeholder and nothing
is imported or called. The drill compares two final checkpoints this way: same names, same
dtypes, shapes and strides, and the same bytes.
"""

from __future__ import annotations

import array
import io
import pickletools
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_PICKLE_BYTES = 64 * 1024 * 1024
MAX_MEMBER_BYTES = 4 * 1024 * 1024 * 1024  # one storage; larger ones are not compared byte for byte

# bytes per element of each legacy storage class that torch.save names in a persistent id
ITEM_BYTES = {
    "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "LongStorage": 8,
    "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1,
    "ComplexDoubleStorage": 16, "ComplexFloatStorage": 8, "UntypedStorage": 1,
}
_ARRAY_CODES = {"DoubleStorage": "d", "FloatStorage": "f"}  # dtypes whose largest difference is reported
_TENSOR_BUILDERS = {"torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor"}
_PARAMETER_BUILDERS = {"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"}


class TensorReadError(Exception):
    """The file is not a torch zip whose tensors can be read statically; the message says why."""


@dataclass(frozen=True)
class TensorRef:
    """One tensor: where its elements lie in a storage of the zip."""

    storage: str  # the zip member's key under data/
    dtype: str  # the storage class, e.g. "FloatStorage"
    offset: int  # in elements
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    @property
    def contiguous(self) -> bool:
        expected, step = [], 1
        for size in reversed(self.shape):
            expected.insert(0, step)
            step *= size
        return tuple(self.stride) == tuple(expected)

    @property
    def numel(self) -> int:
        n = 1
        for size in self.shape:
            n *= size
        return n


class _Global:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Opaque:
    """Anything the pickle would build by calling code other than a tensor's builders."""


_MARK = object()


def _pop_mark(stack: list[Any]) -> list[Any]:
    items: list[Any] = []
    while stack:
        item = stack.pop()
        if item is _MARK:
            break
        items.append(item)
    items.reverse()
    return items


def _reduce(fn: Any, args: Any) -> Any:
    name = fn.name if isinstance(fn, _Global) else ""
    if name == "collections.OrderedDict" and args == ():
        return {}
    if name in _TENSOR_BUILDERS and isinstance(args, tuple) and len(args) >= 4:
        storage, offset, shape, stride = args[:4]
        if isinstance(storage, tuple) and len(storage) == 2 and all(isinstance(v, int) for v in (offset,)) \
                and isinstance(shape, tuple) and isinstance(stride, tuple):
            return TensorRef(storage[0], storage[1], offset, shape, stride)
    if name in _PARAMETER_BUILDERS and isinstance(args, tuple) and args and isinstance(args[0], TensorRef):
        return args[0]
    return _Opaque()


def _persistent(pid: Any) -> Any:
    """('storage', <torch.FloatStorage>, key, location, numel) -> (key, "FloatStorage")."""
    if isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage" and isinstance(pid[1], _Global):
        return (str(pid[2]), pid[1].name.rsplit(".", 1)[-1])
    return _Opaque()


_LITERALS = {"BINUNICODE", "SHORT_BINUNICODE", "UNICODE", "BINUNICODE8", "STRING", "BINSTRING",
             "SHORT_BINSTRING", "BININT", "BININT1", "BININT2", "INT", "LONG", "LONG1", "LONG4",
             "BINFLOAT", "FLOAT"}


def _step(name: str, arg: Any, stack: list[Any], memo: dict[Any, Any]) -> None:
    """One opcode of the subset torch.save writes; an unknown one raises TensorReadError."""
    if name in _LITERALS:
        stack.append(arg)
    elif name in ("EMPTY_DICT", "EMPTY_LIST", "EMPTY_TUPLE"):
        stack.append({} if name == "EMPTY_DICT" else [] if name == "EMPTY_LIST" else ())
    elif name == "MARK":
        stack.append(_MARK)
    elif name in ("NONE", "NEWTRUE", "NEWFALSE"):
        stack.append(None if name == "NONE" else name == "NEWTRUE")
    elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
        memo[arg] = stack[-1]
    elif name == "MEMOIZE":
        memo[len(memo)] = stack[-1]
    elif name in ("BINGET", "LONG_BINGET", "GET"):
        stack.append(memo.get(arg, _Opaque()))
    elif name == "GLOBAL":
        stack.append(_Global(str(arg).replace(" ", ".", 1)))
    elif name == "STACK_GLOBAL":
        attr, module = stack.pop(), stack.pop()
        stack.append(_Global(f"{module}.{attr}"))
    elif name == "REDUCE":
        args = stack.pop()
        stack.append(_reduce(stack.pop(), args))
    elif name == "BINPERSID":
        stack.append(_persistent(stack.pop()))
    elif name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3"):
        if name == "TUPLE":
            stack.append(tuple(_pop_mark(stack)))
        else:
            k = int(name[-1])
            items = tuple(stack[-k:])
            del stack[-k:]
            stack.append(items)
    elif name in ("SETITEM", "SETITEMS"):
        items = [stack.pop(), stack.pop()][::-1] if name == "SETITEM" else _pop_mark(stack)
        if isinstance(stack[-1], dict):
            for key, value in zip(items[::2], items[1::2]):
                if isinstance(key, (str, int, float, bool)) or key is None:
                    stack[-1][key] = value
    elif name in ("APPEND", "APPENDS"):
        items = [stack.pop()] if name == "APPEND" else _pop_mark(stack)
        if isinstance(stack[-1], list):
            stack[-1].extend(items)
    elif name == "BUILD":
        stack.pop()  # an OrderedDict's _metadata, an object's state: never applied
    elif name in ("LIST", "DICT"):
        items = _pop_mark(stack)
        stack.append(items if name == "LIST" else {k: v for k, v in zip(items[::2], items[1::2])
                                                   if isinstance(k, (str, int, float, bool))})
    elif name in ("POP", "POP_MARK"):
        stack.pop() if name == "POP" else _pop_mark(stack)
    elif name in ("NEWOBJ", "EMPTY_SET", "FROZENSET", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8"):
        if name == "NEWOBJ":
            del stack[-2:]
        elif name == "FROZENSET":
            _pop_mark(stack)
        stack.append(_Opaque())
    else:
        raise TensorReadError(f"pickle opcode {name} is not one torch.save writes for tensors")


def _walk(data: bytes) -> Any:
    stack: list[Any] = []
    memo: dict[Any, Any] = {}
    try:
        for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
            if op.name in ("PROTO", "FRAME"):
                continue
            if op.name == "STOP":
                return stack[-1] if stack else None
            _step(op.name, arg, stack, memo)
    except TensorReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed pickle is a finding, not a crash
        raise TensorReadError(f"data.pkl cannot be walked: {type(exc).__name__}: {exc}") from None
    raise TensorReadError("data.pkl has no STOP opcode")


def _flatten(obj: Any, prefix: str, out: dict[str, TensorRef]) -> None:
    if isinstance(obj, TensorRef):
        out[prefix or "<root>"] = obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _flatten(value, f"{prefix}[{i}]", out)


@dataclass(frozen=True)
class TorchZip:
    """The tensors of one torch zip by dotted name, and the zip they live in."""

    path: Path
    prefix: str  # the archive's top folder, e.g. "archive/"
    tensors: dict[str, TensorRef]

    def element_bytes(self, zf: zipfile.ZipFile, ref: TensorRef) -> bytes:
        """The bytes of the tensor's elements (a contiguous one), or of its whole storage."""
        info = zf.getinfo(f"{self.prefix}data/{ref.storage}")
        if info.file_size > MAX_MEMBER_BYTES:
            raise TensorReadError(f"storage {ref.storage} is larger than {MAX_MEMBER_BYTES} bytes")
        data = zf.read(info)
        size = ITEM_BYTES.get(ref.dtype)
        if size is None or not ref.contiguous:
            return data
        return data[ref.offset * size:(ref.offset + ref.numel) * size]


def read_torch_zip(path: Path) -> TorchZip:
    """The tensors a torch zip holds; TensorReadError when it is not one or cannot be walked."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n == "data.pkl" or n.endswith("/data.pkl")]
            if not names:
                raise TensorReadError("no data.pkl in the zip")
            info = zf.getinfo(names[0])
            if info.file_size > MAX_PICKLE_BYTES:
                raise TensorReadError(f"data.pkl is larger than {MAX_PICKLE_BYTES} bytes")
            top = _walk(zf.read(info))
    except (OSError, zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise TensorReadError(f"not a readable zip: {exc}") from None
    tensors: dict[str, TensorRef] = {}
    _flatten(top, "", tensors)
    return TorchZip(path, names[0][: -len("data.pkl")], tensors)


def largest_difference(ref: TensorRef, a: bytes, b: bytes) -> float | None:
    """max |a - b| over the elements of float32/float64 tensors of the same length, else None."""
    code = _ARRAY_CODES.get(ref.dtype)
    if code is None or len(a) != len(b) or len(a) % array.array(code).itemsize:
        return None
    x, y = array.array(code, a), array.array(code, b)
    if sys.byteorder != "little":  # torch writes little-endian storages
        x.byteswap()
        y.byteswap()
    return max((abs(p - q) for p, q in zip(x, y)), default=0.0)
