"""Static pickle reading: the globals a pickle names and calls, judged without loading it."""

from __future__ import annotations

import importlib
import io
import os
import pathlib
import pickle
import subprocess

import pytest
import torch
from torch import _weights_only_unpickler

from auditor.evidence import pickles
from auditor.evidence.pickles import code_calls, read_pickle, refused_globals


class Calls:
    """Pickles as a call of `fn(*args)`: what a hostile checkpoint holds."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def _torch_accepts(name: str) -> bool:
    """Whether torch's own weights_only unpickler (the one torch.load(weights_only=True) runs)
    accepts a pickle that names the global `name`."""
    module, _, qualname = name.rpartition(".")
    data = b"\x80\x02c" + module.encode() + b"\n" + qualname.encode() + b"\nq\x00."
    try:
        _weights_only_unpickler.load(io.BytesIO(data))
    except pickle.UnpicklingError:
        return False
    return True


def _names_that_matter() -> set[str]:
    """torch's allowed globals, every name defined in a module that holds one (torch.float_power
    beside torch.float16, torch.storage.Storage beside torch.storage.TypedStorage, ...), and
    near misses a loose pattern would take."""
    allowed = set(_weights_only_unpickler._get_allowed_globals())
    names = set(allowed)
    for module in {n.rpartition(".")[0] for n in allowed}:
        names |= {f"{module}.{attr}" for attr in dir(importlib.import_module(module))}
    names |= {n + suffix for n in allowed for suffix in ("_", "x", ".x", "Tensor", "Storage")}
    names |= {"torch.load", "torch.hub.load", "torch.jit.load", "io.open", "builtins.eval", "os.system",
              "argparse.Namespace", "numpy.ndarray", "torch.nn.modules.conv.Conv2d", "torch.float",
              "torch.float_power", "torch.bits16x", "torch.per_tensor_affine_x", "torch.Tensor.__reduce_ex__"}
    return names


def test_the_weights_only_mirror_is_exactly_torchs_own_allowlist():
    """Both directions: every global torch's weights_only unpickler accepts, the mirror accepts,
    and the mirror accepts nothing torch refuses (the mirror is an explicit list of torch 2.13's
    names; moving the torch bound makes this fail until the list follows)."""
    allowed = set(_weights_only_unpickler._get_allowed_globals())
    assert len(allowed) > 100
    assert {n for n in _names_that_matter() if _torch_accepts(n)} == allowed  # the enumeration is torch's
    assert refused_globals(tuple(sorted(allowed))) == ()
    names = tuple(sorted(_names_that_matter()))
    accepted_by_mirror = set(names) - set(refused_globals(names))
    assert accepted_by_mirror == allowed, sorted(accepted_by_mirror ^ allowed)
    assert pickles.WEIGHTS_ONLY_GLOBALS == frozenset(allowed)  # for every string, not only these


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
@pytest.mark.parametrize("fn, args, names", [
    (os.system, ("true",), {"posix.system"}),
    (eval, ("1",), {"builtins.eval"}),
    (subprocess.Popen, (["true"],), {"subprocess.Popen"}),
    # protocols 0-2 pickle a method as getattr(class, name)
    (pathlib.Path.unlink, (pathlib.Path("x"),), {"pathlib.Path.unlink", "builtins.getattr"}),
    (torch.load, ("x",), {"torch.serialization.load"}),
])
def test_calls_acting_outside_the_data_are_found_in_every_protocol(fn, args, names, protocol):
    data = pickle.dumps({"epoch": 1, "evil": Calls(fn, *args)}, protocol=protocol)
    read = read_pickle(data)
    assert read is not None and read.scalars == {"epoch": 1}
    found = code_calls(read)
    assert len(found) == 1 and set(found) <= names, read


def test_data_constructors_and_mere_references_are_not_code_calls():
    import argparse

    import numpy as np

    state = {"args": argparse.Namespace(lr=0.1), "rng": np.random.RandomState(0).get_state(), "a": np.zeros(3),
             "od": __import__("collections").OrderedDict(x=1), "activation": torch.nn.functional.relu,
             "opener": open}
    read = read_pickle(pickle.dumps(state, protocol=2))
    assert read is not None and code_calls(read) == ()
    assert "torch.nn.functional.relu" in read.globals and "torch.nn.functional.relu" not in read.calls
    assert "argparse.Namespace" in refused_globals(read.globals)


def test_an_unwalkable_pickle_is_none():
    assert read_pickle(b"\x80\x04not a pickle") is None


@pytest.mark.parametrize("module, name", [(b"\\x74orch", b"Size"), (b"torch", b"\\x53ize"),
                                          (b"collections", b"Ordered\\x44ict")])
def test_a_global_is_judged_by_its_bytes_as_the_unpickler_reads_them(module, name):
    """pickletools undoes backslash escapes in a GLOBAL's names; the unpicklers do not: to torch,
    `\\x74orch.Size` is not torch.Size, so the mirror must not take it for one."""
    data = b"\x80\x02}q\x00X\x01\x00\x00\x00sq\x01c" + module + b"\n" + name + b"\nq\x02s."
    with pytest.raises(pickle.UnpicklingError):
        _weights_only_unpickler.load(io.BytesIO(data))
    read = read_pickle(data)
    assert read is not None
    assert read.globals == ((module + b"." + name).decode(),)
    assert refused_globals(read.globals) == read.globals
