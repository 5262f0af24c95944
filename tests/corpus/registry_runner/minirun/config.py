import ast
import copy
import runpy
from pathlib import Path

BASE_KEY = "_base_"


def _merge(base, update):
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and not value.pop(
                "_delete_", False):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class Config(dict):
    """A python config file read into a dict; `_base_` files are merged underneath."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(name) from err

    def __setattr__(self, name, value):
        self[name] = value

    @classmethod
    def fromfile(cls, filename):
        filename = Path(filename)
        raw = {k: v for k, v in runpy.run_path(str(filename)).items()
               if not k.startswith("__") and not callable(v) and not hasattr(v, "__file__")}
        bases = raw.pop(BASE_KEY, [])
        if isinstance(bases, str):
            bases = [bases]
        merged = {}
        for base in bases:
            merged = _merge(merged, dict(cls.fromfile(filename.parent / base)))
        cfg = cls(_merge(merged, raw))
        cfg["filename"] = str(filename)
        return cfg

    def merge_from_dict(self, options):
        """`--cfg-options a.b=1` style overrides."""
        for dotted, value in options.items():
            keys = dotted.split(".")
            node = self
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = value

    @staticmethod
    def parse_option(text):
        key, _, value = text.partition("=")
        try:
            return key, ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return key, value
