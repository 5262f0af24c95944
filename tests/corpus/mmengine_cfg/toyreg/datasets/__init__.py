from .noisy_sine import NoisySineDataset

__all__ = ['NoisySineDataset']
