import json
import os
import time


def write_status(path, **fields):
    """Replace `path` with a small JSON document describing the run right now."""
    fields["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    fields["pid"] = os.getpid()
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fields, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def read_status(path):
    with open(path) as f:
        return json.load(f)
