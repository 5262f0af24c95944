import inspect


class Registry:
    """Maps a `type` string in a config dict to the class that builds it."""

    def __init__(self, name):
        self.name = name
        self._module_dict = {}

    def __len__(self):
        return len(self._module_dict)

    def __contains__(self, key):
        return key in self._module_dict

    def __repr__(self):
        return f"Registry(name={self.name}, items={sorted(self._module_dict)})"

    def get(self, key):
        return self._module_dict.get(key)

    def _register(self, module, name=None, force=False):
        if not inspect.isclass(module) and not inspect.isfunction(module):
            raise TypeError(f"only a class or function can be registered, got {type(module)}")
        name = name or module.__name__
        if not force and name in self._module_dict:
            raise KeyError(f"{name} is already registered in {self.name}")
        self._module_dict[name] = module

    def register_module(self, name=None, force=False, module=None):
        if module is not None:
            self._register(module, name, force)
            return module

        def _decorator(cls):
            self._register(cls, name, force)
            return cls

        return _decorator

    def build(self, cfg, **default_args):
        return build_from_cfg(cfg, self, default_args)


def build_from_cfg(cfg, registry, default_args=None):
    if not isinstance(cfg, dict) or "type" not in cfg:
        raise TypeError(f'cfg must be a dict with a "type" key, got {cfg!r}')
    args = dict(cfg)
    for key, value in (default_args or {}).items():
        args.setdefault(key, value)
    obj_type = args.pop("type")
    obj_cls = registry.get(obj_type) if isinstance(obj_type, str) else obj_type
    if obj_cls is None:
        raise KeyError(f"{obj_type} is not in the {registry.name} registry")
    return obj_cls(**args)


MODELS = Registry("model")
DATASETS = Registry("dataset")
HOOKS = Registry("hook")
OPTIMIZERS = Registry("optimizer")
