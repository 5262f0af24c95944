"""Metric logging for recipes: one text file per launch, mirrored to stdout."""

import logging
import time
from pathlib import Path
from typing import Dict, Union

from .logging import add_file_handler


def _fmt(name: str, value) -> str:
    if name == "lr":
        return f"{value:.1e}"
    if isinstance(value, float):
        return f"{value:.4f}" if name == "loss" else f"{value:.0f}"
    return str(value)


class MetricLogger:
    """Writes ``Step N | loss ... | lr ... | tokens/s ...`` lines to ``<log_dir>/log_<unix time>.txt``.

    Everything else the recipe logs through the same logger lands in that file as well, so
    one file holds the whole story of a launch.
    """

    def __init__(self, log_dir: Union[str, Path], logger: logging.Logger):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.log_dir / f"log_{int(time.time())}.txt"
        self._logger = logger
        self._handler = add_file_handler(logger, self.path)

    def log_step(self, step: int, metrics: Dict[str, float]) -> None:
        parts = [f"Step {step}"] + [f"{k} {_fmt(k, v)}" for k, v in metrics.items()]
        self._logger.info(" | ".join(parts))

    def close(self) -> None:
        self._handler.flush()
        self._logger.removeHandler(self._handler)
        self._handler.close()
