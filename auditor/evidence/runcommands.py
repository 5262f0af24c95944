"""Command lines a run's logs record (`Command: python train.py --resume x`, `argv: ...`, a JSON
record's `"argv"` string or list, `pid 4242: python -m pkg.train`, `start pid 17163 argv train.py --resume`:
`argv` and a script, as `" ".join(sys.argv)` prints it; `argv=['train.py', '--resume']`, sys.argv as
`log.info("argv=%s", sys.argv)` prints the list, read item by item; detectron2's `Command line arguments:
Namespace(...)`, its parsed options) and the resume option one carries
(`--resume PATH`, `--from x`, `ckpt_path=...`; not `--resume auto`, nor `resume=None`)."""

from __future__ import annotations

import functools
import re

from auditor import rxcache
from auditor.evidence.steplines import LINE_CACHE

_COMMAND = rxcache.compile(r'"(?:command(?:[ _]line)?|argv|cmd)"\s*:\s*(?:"(?P<c>(?:[^"\\]|\\.)*)"|\[(?P<d>[^\]]*)\])'  # JSON
                      r"|(?:\bcommand(?:[ _]line)?(?:[ _]arg(?:ument)?s)?|\bargv|\bcmd|\bstart(?:ed)?)\s*[:=]\s*(?P<a>\S.*?)\s*$"
                      r"|\bpid[ =]?\d+\s*:\s*(?P<b>(?:\S+\.py\b|\S*python[\d.]*\s+-m\s+\w).*?)\s*$"
                      r"|\bargv\s+(?P<e>(?:\S+\.py\b|\S*python[\d.]*\s).*?)\s*$", re.I)
_JSON_STRING = rxcache.compile(r'"((?:[^"\\]|\\.)*)"')
# a Python list of strings, as a logger prints sys.argv: `['train.py', '--resume']`, `[]`
_PY_LIST = rxcache.compile(r"""\[\s*(?:(?:'[^']*'|"[^"]*")\s*(?:,\s*(?:'[^']*'|"[^"]*")\s*)*,?\s*)?\]""")
_PY_ITEM = rxcache.compile(r"'([^']*)'|\"([^\"]*)\"")
NO_ARGUMENTS = "(no arguments)"
# an option that names a checkpoint or asks for a resume, on a recorded command line
_RESUME_OPTION = rxcache.compile(
    r"(?:^|\s)(--?(?:resume[\w-]*|from|ckpt[_-]?path|load[_-](?:from|checkpoint|ckpt)[\w-]*|init[_-]from[= ]resume|"
    r"continue[\w-]*)(?:[= ](?!None\b|null\b|False\b|-)\S+)?)"
    r"|(?:^|\s)((?:\+{0,2})(?:ckpt_path|resume[\w]*|init_from)=(?!None\b|null\b|False\b|scratch\b|['\"]?(?:last|auto|"
    r"latest)\b)\S+)"
    # a configuration binding of a dotted key (gin's `--gin_param=train.auto_resume = True`, ml_collections'
    # `--config.resume=True`, OmegaConf's `trainer.resume_from_checkpoint=path`)
    r"|(?:^|[\s=]['\"]?)((?:--?)?(?:\w+\.)+(?:auto_?)?resume\w*\s*=\s*['\"]?(?!None\b|null\b|False\b|false\b|0\b|['\"])"
    r"[^\s'\"]+)", re.I)


@functools.lru_cache(maxsize=LINE_CACHE)
def command_of(text: str) -> str | None:
    """The command line a log line records, else None."""
    m = _COMMAND.search(text)
    if not m:
        return None
    if m.group("d") is not None:  # a JSON record's argv list: ["train.py", "--resume", "x"]
        return " ".join(_JSON_STRING.findall(m.group("d")))
    if m.group("a") is not None and _PY_LIST.fullmatch(m.group("a").strip()):  # sys.argv printed as a list
        return " ".join(a or b for a, b in _PY_ITEM.findall(m.group("a"))) or NO_ARGUMENTS
    return (m.group("c") or m.group("a") or m.group("b") or m.group("e") or "").strip()


def resume_option(command: str) -> str:
    """The option of a command line that names a checkpoint or asks for a resume, else ""."""
    m = _RESUME_OPTION.search(command)
    return next(g for g in m.groups() if g).strip() if m else ""
