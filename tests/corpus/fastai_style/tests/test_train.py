import csv

import pytest

fastai = pytest.importorskip("fastai")
torch = pytest.importorskip("torch")

import train  # noqa: E402


def test_a_model_file_after_every_epoch(tmp_path):
    train.main(epochs=3, bs=32, path=str(tmp_path))
    saved = sorted(p.name for p in (tmp_path/'models').glob('*.pth'))
    assert saved == ['model_0.pth', 'model_1.pth', 'model_2.pth']


def test_history_csv_has_a_row_per_epoch(tmp_path):
    train.main(epochs=2, bs=32, path=str(tmp_path))
    with open(tmp_path/'history.csv') as f:
        rows = list(csv.DictReader(f))
    assert [int(r['epoch']) for r in rows] == [0, 1]
    assert all(float(r['train_loss']) > 0 for r in rows)


def test_load_restores_the_saved_weights(tmp_path):
    trained = train.main(epochs=1, bs=32, path=str(tmp_path))
    fresh = train.get_learner(tmp_path, bs=32)
    fresh.load('model_0')
    for a, b in zip(trained.model.parameters(), fresh.model.parameters()):
        assert torch.equal(a.detach().cpu(), b.detach().cpu())
