"""meterfc: next-hour load forecasting for the building meters, trained with skorch."""

__version__ = "0.3.1"
