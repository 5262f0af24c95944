import pytest

from minirun import HOOKS, MODELS, Registry, build_from_cfg
from minirun.hooks import CheckpointHook


def test_build_from_cfg_passes_arguments():
    hook = HOOKS.build(dict(type="CheckpointHook", interval=3, by_epoch=False))
    assert isinstance(hook, CheckpointHook)
    assert (hook.interval, hook.by_epoch) == (3, False)


def test_unknown_type_names_the_registry():
    with pytest.raises(KeyError, match="model registry"):
        MODELS.build(dict(type="NoSuchNet"))


def test_duplicate_registration_is_refused():
    reg = Registry("thing")

    @reg.register_module()
    class A:
        pass

    with pytest.raises(KeyError, match="already registered"):
        reg.register_module(module=A)


def test_default_args_do_not_override_cfg():
    reg = Registry("thing")

    @reg.register_module()
    class B:
        def __init__(self, x, y=0):
            self.x, self.y = x, y

    b = build_from_cfg(dict(type="B", x=1), reg, dict(x=5, y=2))
    assert (b.x, b.y) == (1, 2)
