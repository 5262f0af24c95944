import numpy as np

from skstream.data import Stream


def test_chunk_is_replayable():
    a = Stream(seed=3, n_features=5, chunk_rows=16)
    b = Stream(seed=3, n_features=5, chunk_rows=16)
    Xa, ya = a.chunk(11)
    Xb, yb = b.chunk(11)
    assert np.array_equal(Xa, Xb) and np.array_equal(ya, yb)


def test_chunks_differ_and_both_classes_show_up():
    s = Stream(seed=3, n_features=5, chunk_rows=256)
    X0, y0 = s.chunk(0)
    X1, _ = s.chunk(1)
    assert not np.array_equal(X0, X1)
    assert set(np.unique(y0)) == {0, 1}
