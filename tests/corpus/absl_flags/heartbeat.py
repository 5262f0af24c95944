"""A daemon thread that proves the process is alive.

It appends {"time", "utc", "pid"} to a file on its own clock, so the file keeps
growing while a step, an evaluation or a checkpoint write takes long, and stops
growing only when the process is gone or wedged as a whole.
"""

import datetime
import json
import os
import threading
import time


class Heartbeat(threading.Thread):

  def __init__(self, path, every_secs=30.0):
    super().__init__(name='heartbeat', daemon=True)
    self.path = path
    self.every_secs = every_secs
    self._done = threading.Event()

  def beat(self):
    now = time.time()
    record = {
        'time': round(now, 3),
        'utc': datetime.datetime.fromtimestamp(
            now, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'pid': os.getpid(),
    }
    with open(self.path, 'a', encoding='utf-8') as f:
      f.write(json.dumps(record) + '\n')

  def run(self):
    self.beat()
    while not self._done.wait(self.every_secs):
      self.beat()

  def stop(self):
    self._done.set()
    if self.is_alive():
      self.join(timeout=5)
