"""Train the small trajectory tokenizer.

python train_tokenizer.py --epochs 14 --out results/run_001 [--resume CHECKPOINT]
"""
import argparse
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from checkpointing import load_checkpoint, save_checkpoint
from dataset import TrajectoryClips
from model import TinyTokenizer
from monitoring import Heartbeat, write_progress

CHECKPOINT_EVERY_S = 120   # R1.1: checkpoint every 2 minutes
HEARTBEAT_EVERY_S = 30     # R1.4
PRINT_EVERY = 10           # R1.3: batches


def evaluate(model, loader):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for clip in loader:
            total += torch.nn.functional.mse_loss(model(clip), clip, reduction="sum").item()
            n += clip.numel()
    model.train()
    return total / n


def train(epochs=14, out_dir="results/run_001", resume=None, lr=2e-3, n_train=640,
          n_val=128, batch_size=32, render_delay=0.0):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    train_loader = DataLoader(TrajectoryClips(n_train, seed=1, render_delay=render_delay),
                              batch_size=batch_size, shuffle=True)
    val_loader = DataLoader(TrajectoryClips(n_val, seed=2), batch_size=batch_size)

    model = TinyTokenizer()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    if resume:
        load_checkpoint(model, resume)
        print(f"Resumed from {resume}")

    heartbeat = Heartbeat(out / "heartbeat.txt", interval=HEARTBEAT_EVERY_S)
    print(f"Training for {epochs} epochs, checkpoint every {CHECKPOINT_EVERY_S}s, "
          f"heartbeat every {HEARTBEAT_EVERY_S}s")

    best_loss = float("inf")
    best_val = float("inf")
    val_loss = float("nan")
    for epoch in range(epochs):
        for i, clip in enumerate(train_loader):
            loss = torch.nn.functional.mse_loss(model(clip), clip)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            if i % PRINT_EVERY == 0:
                print(f"epoch {epoch} batch {i}/{len(train_loader)} loss {loss.item():.5f}", flush=True)

            # R1.2: progress file
            if loss.item() < best_loss:
                best_loss = loss.item()
                write_progress(out / "PROGRESS.txt", epoch, epochs, i, len(train_loader), loss.item())

        val_loss = evaluate(model, val_loader)
        print(f"epoch {epoch} done, val_loss {val_loss:.5f}", flush=True)

        # R1.1: periodic checkpoint
        if val_loss < best_val:
            best_val = val_loss
            save_checkpoint(model, optimizer, epoch, val_loss, out / "best_model.pt")
            print(f"Saved checkpoint {out / 'best_model.pt'} (val_loss {val_loss:.5f})", flush=True)

    save_checkpoint(model, optimizer, epochs - 1, val_loss, out / "final_model.pt")
    print(f"Saved final checkpoint {out / 'final_model.pt'}", flush=True)
    heartbeat.stop()
    return {"best_val": best_val, "final_val": val_loss}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--out", default="results/run_001")
    parser.add_argument("--resume", default=None)
    parser.add_argument("--render-delay", type=float, default=0.012,
                        help="seconds per clip; the renderer's cost on the real data")
    args = parser.parse_args()
    result = train(epochs=args.epochs, out_dir=args.out, resume=args.resume,
                   render_delay=args.render_delay)
    print(f"Done: best val_loss {result['best_val']:.5f}")


if __name__ == "__main__":
    main()
