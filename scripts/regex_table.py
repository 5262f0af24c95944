"""Write auditor/regex_table.json: the auditor's compiled regular expressions, for this interpreter.

    .venv/bin/python scripts/regex_table.py

The first audit on a machine uses the table instead of compiling every pattern (auditor.rxcache).
It collects what audits compile: `audit check` of this repository (with and without a run) and
of every tests/corpus project, one process each, sharing a fresh cache folder, whose regular
expression file then becomes the table. Run it again after changing the auditor's patterns
(tests/auditor/test_rxcache_shipped.py says when too few of them are in it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor import rxcache  # noqa: E402


def _audits() -> list[list[str]]:
    corpus = ROOT / "tests" / "corpus"
    projects = [ROOT] + sorted(p for p in corpus.iterdir() if (p / "expected.yaml").is_file())
    out = [["check", "--project", str(p), "--format", "json"] for p in projects]
    out.append(["check", "--project", str(ROOT), "--run", str(ROOT / "tests" / "fixtures" / "compliant_run"),
                "--format", "json"])
    return out


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="regex-table-") as cache:
        env = dict(os.environ, AUDIT_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        env.pop("AUDIT_NO_CACHE", None)
        env["AUDIT_IGNORE_SHIPPED_REGEX"] = "1"  # what the audits compile, not what an older table held
        for args in _audits():
            done = subprocess.run([sys.executable, "-m", "auditor", *args], env=env, capture_output=True, text=True,
                                  timeout=600)
            if done.returncode not in (0, 1):
                print(f"audit {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
        files = list(Path(cache).glob("regex-*.json"))
        if len(files) != 1:
            print(f"expected one regular expression file in the cache folder, found {len(files)}", file=sys.stderr)
            return 1
        data = json.loads(files[0].read_text(encoding="utf-8"))
        kept = {(p, f): parts for p, f, parts in data["patterns"]}
    rxcache.SHIPPED.write_text(rxcache.table_text(kept), encoding="utf-8")
    print(f"wrote {rxcache.SHIPPED.relative_to(ROOT)}: {len(kept)} patterns, key {rxcache.shipped_key()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
