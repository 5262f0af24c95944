"""Evidence.prefetch: a kind collected in a forked child while the audit goes on, with the same result."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.evidence import tests as tests_ev

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="prefetch needs os.fork")


def test_prefetched_tests_evidence_equals_the_sequential_one_and_comes_from_another_process(monkeypatch):
    real = tests_ev.collect

    def collect_noting_the_process(config):
        ev = real(config)
        ev.info["collected_by_pid"] = os.getpid()
        return ev

    monkeypatch.setattr(tests_ev, "collect", collect_noting_the_process)
    config = load_config(SEED)
    sequential = Evidence(config).tests
    prefetched = Evidence(config)
    prefetched.prefetch(["tests"])
    got = prefetched.tests
    assert got.info.pop("collected_by_pid") != os.getpid()
    assert sequential.info.pop("collected_by_pid") == os.getpid()
    assert got == sequential
    assert len(got.tests) > 0


def test_a_collector_that_fails_in_the_child_raises_its_error_here(monkeypatch):
    def broken(config):
        raise RuntimeError("tests folder unreadable")

    monkeypatch.setattr(tests_ev, "collect", broken)
    ev = Evidence(load_config(SEED))
    ev.prefetch(["tests"])
    with pytest.raises(RuntimeError, match="tests folder unreadable"):
        ev.tests


def test_prefetch_of_a_kind_already_collected_starts_nothing(monkeypatch):
    ev = Evidence(load_config(SEED))
    first = ev.tests
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked for a kind already collected"))
    ev.prefetch(["tests"])
    assert ev.tests is first
