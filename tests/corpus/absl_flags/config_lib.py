"""A small stand-in for ml_collections.ConfigDict and config-file loading.

We only need attribute access, a readable dump for the log and `key=value`
overrides from the command line, so this is not worth a dependency.
"""

import importlib.util


class ConfigDict(dict):
  """A dict whose keys can also be read and set as attributes."""

  def __getattr__(self, name):
    try:
      return self[name]
    except KeyError as e:
      raise AttributeError(f'config has no field {name!r}') from e

  def __setattr__(self, name, value):
    self[name] = value

  def __str__(self):
    return '\n'.join(f'{k}: {self[k]!r}' for k in sorted(self))

  def copy(self):
    return ConfigDict(self)


def _parse_like(text, old):
  """Parses `text` as the type of the value it replaces."""
  if isinstance(old, bool):
    if text.lower() in ('1', 'true', 'yes'):
      return True
    if text.lower() in ('0', 'false', 'no'):
      return False
    raise ValueError(f'not a bool: {text!r}')
  if isinstance(old, int):
    return int(text)
  if isinstance(old, float):
    return float(text)
  return text


def apply_overrides(config, overrides):
  """Applies ['key=value', ...] to `config` in place; unknown keys are an error."""
  for item in overrides:
    key, sep, text = item.partition('=')
    if not sep:
      raise ValueError(f'override must look like key=value, got {item!r}')
    if key not in config:
      raise KeyError(f'unknown config field {key!r}')
    config[key] = _parse_like(text, config[key])
  return config


def load_config(path, overrides=()):
  """Imports the Python file at `path` and returns its get_config(), overridden."""
  spec = importlib.util.spec_from_file_location('_experiment_config', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return apply_overrides(module.get_config(), overrides)
