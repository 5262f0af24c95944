"""Checkpoints that hold other libraries' objects (mmengine's HistoryBuffer and message-hub state,
argparse.Namespace in timm's checkpoints) are read statically as data: an instance made without
its constructor and filled with state is not a call acting outside the data. A pickle that would
call a function (any one, not only a known-bad list), a class's constructor outside torch, numpy
and the standard library's data modules (a file handler; a library's re-export of anything), or
a method reached through getattr stays unloadable."""

from __future__ import annotations

import argparse
import logging
import pathlib
import pickle
import sys
import types
import zipfile
from pathlib import Path

import pytest

from auditor.evidence.checkpoints import read_checkpoint_metadata
from auditor.evidence.pickles import blocking_globals, read_pickle


class _Calls:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


@pytest.fixture
def thirdlib(monkeypatch):
    """A third-party library's module, as mmengine.logging.history_buffer is to a checkpoint."""
    module = types.ModuleType("thirdlib.history")

    class HistoryBuffer:
        def __init__(self):
            self.max_length = 1000
            self._log_history = [0.5, 0.25]

        def min(self):
            return min(self._log_history)

    HistoryBuffer.__module__ = HistoryBuffer.min.__module__ = module.__name__
    HistoryBuffer.__qualname__ = "HistoryBuffer"
    HistoryBuffer.min.__qualname__ = "HistoryBuffer.min"
    module.HistoryBuffer = HistoryBuffer
    monkeypatch.setitem(sys.modules, "thirdlib", types.ModuleType("thirdlib"))
    monkeypatch.setitem(sys.modules, "thirdlib.history", module)
    return module


def _checkpoint(path: Path, state: dict) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(state, protocol=2))
    return path


def test_a_checkpoint_of_third_party_objects_and_namespaces_is_read_as_data(tmp_path, thirdlib):
    buffer = thirdlib.HistoryBuffer()
    state = {"iter": 6000, "message_hub": {"log_scalars": {"train/loss": buffer}, "statistics": [buffer.min.__func__]},
             "args": argparse.Namespace(lr=0.05, resume="x.pth.tar")}
    meta = read_checkpoint_metadata(_checkpoint(tmp_path / "iter_6000.pth", state))
    assert not meta.runs_code, meta.note
    assert meta.scalars == {"iter": 6000}


@pytest.mark.parametrize("fn, args, blocked", [
    ("Popen", ("rm -rf x",), "thirdlib.history.Popen"),  # a library's module may hold any class
    (__import__("cProfile").run, ("print(1)",), "cProfile.run"),  # a function nobody listed
    (logging.FileHandler, ("/tmp/never-written.log",), "logging.FileHandler"),  # a stdlib class that acts
    (pathlib.Path.unlink, (pathlib.Path("x"),), "pathlib.Path.unlink"),  # a method, reached by getattr
    (open, ("x", "w"), "io.open"),
])
def test_a_pickle_that_would_call_something_acting_stays_unloadable(tmp_path, thirdlib, fn, args, blocked):
    if isinstance(fn, str):
        fn = type(fn, (), {"__init__": lambda self, *a: None, "__module__": thirdlib.__name__})
        setattr(thirdlib, fn.__name__, fn)
    meta = read_checkpoint_metadata(_checkpoint(tmp_path / "model_epoch_3.pt", {"epoch": 3, "x": _Calls(fn, *args)}))
    assert meta.runs_code and blocked in meta.note, meta.note
    read = read_pickle(pickle.dumps({"x": _Calls(fn, *args)}, protocol=2))
    assert read is not None and blocked in blocking_globals(read)


def test_getattr_of_a_dunder_or_of_a_computed_value_is_not_taken_for_a_reference():
    read = read_pickle(pickle.dumps({"x": _Calls(getattr, argparse.Namespace, "__init__")}, protocol=2))
    assert read is not None and "builtins.getattr" in blocking_globals(read)
