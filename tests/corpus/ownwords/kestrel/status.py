import json
import os
import time
from pathlib import Path


def write_status(out_dir, **fields):
    path = Path(out_dir) / "status.json"
    fields["touched"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(fields, indent=2))
    os.replace(tmp, path)
