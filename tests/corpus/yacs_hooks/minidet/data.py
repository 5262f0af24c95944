import time

import torch


def build_dataset(cfg, seed=None):
    """Gaussian blobs, one per class: enough signal for the loss to move."""
    g = torch.Generator().manual_seed(cfg.SEED if seed is None else seed)
    n, d, k = cfg.INPUT.NUM_SAMPLES, cfg.MODEL.IN_FEATURES, cfg.MODEL.NUM_CLASSES
    centers = torch.randn(k, d, generator=g) * 0.5
    labels = torch.randint(0, k, (n,), generator=g)
    feats = centers[labels] + torch.randn(n, d, generator=g)
    return feats, labels


def build_train_loader(cfg):
    """Infinite iterator of batches, like the samplers we use on the real data."""
    feats, labels = build_dataset(cfg)
    bs = cfg.SOLVER.IMS_PER_BATCH
    g = torch.Generator().manual_seed(cfg.SEED + 1)
    while True:
        order = torch.randperm(len(labels), generator=g)
        for i in range(0, len(order) - bs + 1, bs):
            if cfg.INPUT.READ_LATENCY > 0:
                time.sleep(cfg.INPUT.READ_LATENCY)
            idx = order[i:i + bs]
            yield {"x": feats[idx], "y": labels[idx]}
