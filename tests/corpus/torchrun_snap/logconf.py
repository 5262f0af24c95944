"""Logging setup shared by the training entry point and the tests."""

import logging.config
import os

LOG_MAX_BYTES = 8 * 1024  # keep files small enough to page through on the cluster
LOG_BACKUPS = 5


def setup_logging(run_dir, level="INFO"):
    os.makedirs(run_dir, exist_ok=True)
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {
                "format": "%(asctime)s %(levelname)s [rank%(rank)s] %(name)s: %(message)s",
            },
        },
        "filters": {
            "rank": {"()": "logconf.RankFilter"},
        },
        "handlers": {
            "file": {
                "class": "logging.handlers.RotatingFileHandler",
                "filename": os.path.join(run_dir, "train.log"),
                "maxBytes": LOG_MAX_BYTES,
                "backupCount": LOG_BACKUPS,
                "formatter": "plain",
                "filters": ["rank"],
            },
            "console": {
                "class": "logging.StreamHandler",
                "level": "WARNING",
                "formatter": "plain",
                "filters": ["rank"],
            },
        },
        "loggers": {
            "snap": {"handlers": ["file", "console"], "level": level, "propagate": False},
        },
    })


class RankFilter(logging.Filter):
    """Stamp every record with the torchrun rank (0 when launched without torchrun)."""

    def filter(self, record):
        record.rank = os.environ.get("RANK", "0")
        return True
