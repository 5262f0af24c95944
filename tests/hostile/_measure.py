"""Run a command as a child of this small process and write its exit code, time and peak RSS.

Linux carries a process's pre-exec memory into its `ru_maxrss`, so a child forked straight
from a large pytest process would be charged for pytest's pages. Forked from this small
launcher instead, the audit's `ru_maxrss` (read with os.wait4, i.e. `resource`'s rusage of
exactly that child) is its own peak plus at most this launcher's few megabytes: a bound.
Its CPU seconds (user + system, same rusage) tell a slow audit from a loaded machine.
Usage: python _measure.py RESULT.json -- COMMAND ...
"""

import json
import os
import subprocess
import sys
import time

result, argv = sys.argv[1], sys.argv[3:]
start = time.monotonic()
proc = subprocess.Popen(argv)
_, status, usage = os.wait4(proc.pid, 0)
with open(result, "w", encoding="utf-8") as fh:
    json.dump({"exit_code": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - start,
               "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_kb": usage.ru_maxrss}, fh)
