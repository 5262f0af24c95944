from .mlp_regressor import MLPRegressor

__all__ = ['MLPRegressor']
