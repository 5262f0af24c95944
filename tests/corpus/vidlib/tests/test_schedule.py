import math

import pytest

from vidlib.schedule import warmup_cosine


def lr(step, **kw):
    args = dict(base_lr=1e-3, warmup_steps=10, total_steps=110, min_lr=1e-4)
    args.update(kw)
    return warmup_cosine(step, **args)


def test_warmup_rises_linearly_to_the_base_rate():
    assert lr(0) == pytest.approx(1e-4)
    assert lr(4) == pytest.approx(5e-4)
    assert lr(9) == pytest.approx(1e-3)


def test_cosine_reaches_the_midpoint_halfway():
    assert lr(60) == pytest.approx((1e-3 + 1e-4) / 2)


def test_ends_at_min_lr_and_stays_there():
    assert lr(110) == pytest.approx(1e-4)
    assert lr(10_000) == pytest.approx(1e-4)


def test_decay_is_monotonic_after_warmup():
    values = [lr(s) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert not math.isnan(sum(values))


@pytest.mark.parametrize("kw", [dict(total_steps=0), dict(warmup_steps=200), dict(warmup_steps=-1)])
def test_rejects_impossible_settings(kw):
    with pytest.raises(ValueError):
        lr(0, **kw)
