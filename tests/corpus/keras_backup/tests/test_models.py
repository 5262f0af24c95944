import numpy as np

from data import SpiralBatches, make_spirals
from models import build_classifier


def test_spirals_are_balanced():
    x, y = make_spirals(200, seed=1)
    assert x.shape == (200, 2)
    assert int(y.sum()) == 100


def test_batches_cover_the_data():
    x, y = make_spirals(100)
    ds = SpiralBatches(x, y, batch_size=16)
    assert len(ds) == 7
    assert sum(len(ds[i][1]) for i in range(len(ds))) == 100


def test_classifier_outputs_two_logits():
    model = build_classifier(hidden=8)
    out = model.predict(np.zeros((3, 2), dtype="float32"), verbose=0)
    assert out.shape == (3, 2)
