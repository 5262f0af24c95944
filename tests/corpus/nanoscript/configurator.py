"""
Tiny override mechanism for train.py's module-level settings.

    python train.py config/some_config.py --batch_size=32 --init_from=resume

Positional arguments are Python files whose top-level assignments replace the
defaults; `--key=value` arguments replace a single setting afterwards. Values
are parsed as Python literals when possible (so `--decay_lr=False` is a bool)
and must keep the type of the default they replace.

Used as:  from configurator import apply_overrides; apply_overrides(globals())
"""

import runpy
import sys
from ast import literal_eval


def _parse(raw):
    try:
        return literal_eval(raw)
    except (SyntaxError, ValueError):
        return raw  # plain strings such as --out_dir=out2


def apply_overrides(settings, argv=None):
    argv = sys.argv[1:] if argv is None else argv
    for arg in argv:
        if not arg.startswith('--'):
            print(f"Overriding config with {arg}:")
            with open(arg) as f:
                print(f.read())
            for key, value in runpy.run_path(arg).items():
                if key in settings and not key.startswith('_'):
                    settings[key] = value
            continue
        key, sep, raw = arg[2:].partition('=')
        if not sep:
            raise SystemExit(f"expected --key=value, got {arg}")
        if key not in settings:
            raise SystemExit(f"unknown config key: {key}")
        value = _parse(raw)
        default = settings[key]
        if type(value) is not type(default) and not (isinstance(default, float) and isinstance(value, int)):
            raise SystemExit(f"--{key} must be {type(default).__name__}, got {raw!r}")
        print(f"Overriding: {key} = {value}")
        settings[key] = value
