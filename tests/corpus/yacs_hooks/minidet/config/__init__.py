from .defaults import _C


def get_cfg():
    """A fresh copy of the defaults; merge a yaml and KEY VALUE pairs onto it."""
    return _C.clone()
