"""tinyreg: a toy regression model we use to shake out the training harness."""

__version__ = "0.3.1"
