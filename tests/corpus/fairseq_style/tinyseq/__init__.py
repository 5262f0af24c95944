"""tinyseq: train small sequence models the fairseq way, without fairseq."""

__version__ = "0.3.1"
