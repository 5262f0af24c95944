from .progress_file_hook import ProgressFileHook
from .stall_watchdog_hook import StallWatchdogHook

__all__ = ['ProgressFileHook', 'StallWatchdogHook']
