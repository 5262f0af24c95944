"""Write auditor/regex_table.json and auditor/regex_library.json: the auditor's compiled regular
expressions, and those its libraries compile as they are imported, for this interpreter.

    .venv/bin/python scripts/regex_table.py

The first audit on a machine uses the table instead of compiling every pattern (auditor.rxcache).
It collects what audits compile: `audit check` of this repository (with and without a run) and
of every tests/corpus project, one process each, sharing a fresh cache folder, whose regular
expression file then becomes the table. Each audit also notes the patterns compiled by code
outside the auditor while a module is being imported: those make the library table
(auditor.rxcache.seed_libraries). Run it again after changing the auditor's patterns or its
dependencies (tests/auditor/test_rxcache_shipped.py and test_rxcache_libraries.py say when).
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


# the audit, with `re`'s compile watched: a pattern compiled outside the auditor while a module is
# imported (a frame of importlib's below it) is written to the file named first, one JSON list per audit
NOTING = r"""
import atexit, json, re, sys
noted, compile_ = [], re._compile
def noting(pattern, flags):
    flags = flags.value if isinstance(flags, re.RegexFlag) else flags
    if pattern.__class__ is str and not flags & re.DEBUG and (str, pattern, flags) not in re._cache:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.endswith("re/__init__.py"):
            frame = frame.f_back
        caller, importing = frame.f_code.co_filename if frame else "", False
        while frame is not None:
            importing = importing or frame.f_code.co_filename.startswith("<frozen importlib")
            frame = frame.f_back
        if importing and "/auditor/" not in caller:
            noted.append([pattern, flags])
    return compile_(pattern, flags)
re._compile = noting
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "a", encoding="utf-8").write(json.dumps(noted) + "\n"))
from auditor.cli import main
main(sys.argv[1:])
"""


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="regex-table-") as cache:
        env = dict(os.environ, AUDIT_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        env.pop("AUDIT_NO_CACHE", None)
        env["AUDIT_IGNORE_SHIPPED_REGEX"] = "1"  # what the audits compile, not what an older table held
        noted = Path(cache) / "library-patterns.jsonl"
        for args in _audits():
            done = subprocess.run([sys.executable, "-c", NOTING, str(noted), *args], env=env, capture_output=True,
                                  text=True, timeout=600)
            if done.returncode not in (0, 1):
                print(f"audit {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
        library = {(p, f): rxcache._parts(p, f) for line in noted.read_text(encoding="utf-8").splitlines()
                   for p, f in json.loads(line)}
        files = list(Path(cache).glob("regex-*.json"))
        if len(files) != 1:
            print(f"expected one regular expression file in the cache folder, found {len(files)}", file=sys.stderr)
            return 1
        data = json.loads(files[0].read_text(encoding="utf-8"))
        kept = {(p, f): parts for p, f, parts in data["patterns"]}
    for path, table in ((rxcache.SHIPPED, kept), (rxcache.LIBRARY, library)):
        path.write_text(rxcache.table_text(table), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}: {len(table)} patterns, key {rxcache.shipped_key()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
