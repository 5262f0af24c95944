from .heartbeat import Heartbeat
from .logging import get_logger
from .metric_logging import MetricLogger
from .seed import set_seed

__all__ = ["Heartbeat", "MetricLogger", "get_logger", "set_seed"]
