"""Appends scalar metrics to a JSON-lines file."""

import json
import time


class JsonlWriter:
  """One JSON object per write: {"step": ..., "time": ..., <scalars>}."""

  def __init__(self, path):
    self._path = path
    self._file = open(path, 'a', encoding='utf-8')

  def write_scalars(self, step, scalars):
    record = {'step': int(step), 'time': round(time.time(), 3)}
    record.update({k: float(v) for k, v in scalars.items()})
    self._file.write(json.dumps(record) + '\n')
    self._file.flush()

  def close(self):
    self._file.close()
