from toydata.synthetic import SeriesConfig, WindowStream

__all__ = ["SeriesConfig", "WindowStream"]
