"""The MAGVIT 3D-VQ tokenizer and its configuration."""

from magvit.models.config import TokenizerConfig
from magvit.models.quantizer import VectorQuantizer
from magvit.models.tokenizer import TokenizerOutput, VQTokenizer

__all__ = ["TokenizerConfig", "TokenizerOutput", "VQTokenizer", "VectorQuantizer"]
