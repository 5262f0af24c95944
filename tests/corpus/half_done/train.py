import argparse
import json
import logging
import os
import time

import torch
import torch.nn as nn

import config
from model import Net
from utils import load_checkpoint, save_checkpoint


def get_batch(batch_size, generator):
    # fake dataset: 4 classes, the label is which quarter the sum of the first 4 features falls in
    time.sleep(config.DATA_DELAY)
    x = torch.randn(batch_size, 20, generator=generator)
    s = x[:, :4].sum(dim=1)
    y = torch.bucketize(s, torch.tensor([-1.35, 0.0, 1.35]))
    return x, y


def write_progress(epoch, epochs, loss):
    progress = {
        "epoch": epoch,
        "total_epochs": epochs,
        "loss": loss,
        "last_update": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    with open(os.path.join(config.OUTPUT_DIR, "progress.json"), "w") as f:
        json.dump(progress, f, indent=2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=config.EPOCHS)
    parser.add_argument("--batches", type=int, default=config.BATCHES_PER_EPOCH)
    parser.add_argument("--ckpt-every-min", type=float, default=config.CHECKPOINT_EVERY_MIN)
    parser.add_argument("--resume", type=str, default=None)
    parser.add_argument("--output-dir", type=str, default=config.OUTPUT_DIR)
    args = parser.parse_args()
    config.OUTPUT_DIR = args.output_dir

    os.makedirs(os.path.join(config.OUTPUT_DIR, "checkpoints"), exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s - %(message)s",
        handlers=[logging.FileHandler(os.path.join(config.OUTPUT_DIR, "train.log")), logging.StreamHandler()],
    )
    logger = logging.getLogger(__name__)

    model = Net(hidden=config.HIDDEN)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.LR)
    criterion = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(42)

    if args.resume:
        load_checkpoint(model, args.resume)
        logger.info(f"Loaded checkpoint {args.resume}")

    logger.info(f"Training for {args.epochs} epochs, {args.batches} batches each")
    last_ckpt_time = time.time()
    step = 0
    for epoch in range(args.epochs):
        total_loss = 0
        for i in range(args.batches):
            x, y = get_batch(config.BATCH_SIZE, g)
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            step += 1
            total_loss += loss.item()
            logger.info(f"Epoch {epoch} Batch {i} Loss {loss.item():.4f}")

            # save a checkpoint every N minutes
            if time.time() - last_ckpt_time > args.ckpt_every_min * 60:
                path = os.path.join(config.OUTPUT_DIR, "checkpoints", f"ckpt_epoch{epoch}_step{step}.pt")
                save_checkpoint(model, optimizer, epoch, step, path)
                logger.info(f"Saved checkpoint {path}")
                last_ckpt_time = time.time()

        avg = total_loss / args.batches
        write_progress(epoch, args.epochs, avg)
        logger.info(f"Epoch {epoch} finished, avg loss {avg:.4f} (progress.json updated)")

    final = os.path.join(config.OUTPUT_DIR, "checkpoints", "final_model.pt")
    save_checkpoint(model, optimizer, args.epochs - 1, step, final)
    logger.info(f"Training done, saved {final}")


if __name__ == "__main__":
    main()
