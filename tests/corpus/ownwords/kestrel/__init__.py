"""kestrel: a small regression trainer for trying out job tooling."""

__version__ = "0.3.0"
