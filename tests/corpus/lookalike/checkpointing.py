from pathlib import Path

import torch


def save_checkpoint(model, optimizer, epoch, val_loss, path):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "epoch": epoch, "val_loss": val_loss}, path)


def load_checkpoint(model, path):
    checkpoint = torch.load(path, weights_only=False)
    model.load_state_dict(checkpoint["model"])
    return checkpoint


def latest_checkpoint(out_dir):
    """Newest checkpoint in out_dir, for resuming after a restart."""
    candidates = sorted(Path(out_dir).glob("*.pt"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None
