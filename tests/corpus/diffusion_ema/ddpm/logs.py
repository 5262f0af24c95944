import logging
import sys


class StepFormatter(logging.Formatter):
    """`2026-01-05 14:02:11.204 | INFO  | step 120 | loss 0.0841 | lr 2.00e-04`

    Records that carry `fields` (logger.info("", extra={"fields": {...}})) are printed as
    aligned `key value` columns, anything else as its plain message."""

    def format(self, record):
        stamp = f"{self.formatTime(record, '%Y-%m-%d %H:%M:%S')}.{int(record.msecs):03d}"
        fields = getattr(record, "fields", None)
        body = " | ".join(f"{k} {v}" for k, v in fields.items()) if fields else record.getMessage()
        line = f"{stamp} | {record.levelname:<5} | {body}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup(log_file):
    logger = logging.getLogger("ddpm")
    logger.handlers.clear()
    logger.setLevel(logging.INFO)
    logger.propagate = False
    formatter = StepFormatter()
    for handler in (logging.StreamHandler(sys.stdout), logging.FileHandler(log_file)):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger
