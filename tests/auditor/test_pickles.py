"""Static pickle reading: the globals a pickle names and calls, judged without loading it."""

from __future__ import annotations

import os
import pathlib
import pickle
import subprocess

import pytest
import torch
from torch import _weights_only_unpickler

from auditor.evidence.pickles import code_calls, read_pickle, refused_globals


class Calls:
    """Pickles as a call of `fn(*args)`: what a hostile checkpoint holds."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def test_the_weights_only_mirror_agrees_with_torchs_own_allowlist():
    allowed = tuple(_weights_only_unpickler._get_allowed_globals())
    assert len(allowed) > 100
    assert refused_globals(allowed) == ()
    outside = ("torch.load", "torch.hub.load", "torch.jit.load", "io.open", "builtins.eval", "os.system",
               "argparse.Namespace", "numpy.ndarray", "torch.nn.modules.conv.Conv2d")
    assert refused_globals(outside) == outside


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
