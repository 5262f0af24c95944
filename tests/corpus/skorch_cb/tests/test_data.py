import numpy as np

from meterfc.data import MeterWindows, synth_load


def test_synth_load_is_deterministic():
    a = synth_load(500, seed=3)
    b = synth_load(500, seed=3)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


def test_windows_shapes_and_target_alignment():
    load = synth_load(100, seed=0)
    ds = MeterWindows(load, window=24)
    assert len(ds) == 76
    x, y = ds[5]
    assert x.shape == (24, 3)
    assert y.shape == (1,)
    # the target is the normalised load right after the window
    assert float(y) == float(ds.feats[29, 0])
