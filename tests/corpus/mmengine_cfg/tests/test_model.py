import torch

from toyreg.models import MLPRegressor


def test_loss_mode_returns_scalar_mse():
    model = MLPRegressor(hidden_dims=(8, ))
    x, y = torch.randn(4, 1), torch.randn(4, 1)
    losses = model(x, y, mode='loss')
    assert set(losses) == {'loss'}
    assert losses['loss'].ndim == 0


def test_predict_mode_one_dict_per_sample():
    model = MLPRegressor(hidden_dims=(8, ))
    out = model(torch.randn(5, 1), torch.randn(5, 1), mode='predict')
    assert len(out) == 5 and 'pred' in out[0]
