"""status.json in the run folder: what `pulsefit status` prints."""

import json
import os
import time
from pathlib import Path


def write_status(path: Path, **fields) -> None:
    fields["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(fields, indent=2) + "\n")
    os.replace(tmp, path)


def read_status(path: Path) -> dict | None:
    if not path.exists():
        return None
    return json.loads(path.read_text())
