"""seqlab: small sequence-model experiments, configured with gin."""

__version__ = "0.3.1"
