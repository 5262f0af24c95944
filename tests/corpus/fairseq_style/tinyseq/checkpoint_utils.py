import collections
import logging
import os
import re
import shutil
import time

from tinyseq.data import EpochBatchIterator

logger = logging.getLogger("tinyseq.checkpoint_utils")


def save_checkpoint(args, trainer, epoch_itr, val_loss):
    """Write checkpoint_last.pt and whichever of epoch / update / best files are due.

    Returns True when val_loss is the best seen so far."""
    if args.no_save:
        return False
    os.makedirs(args.save_dir, exist_ok=True)
    prev_best = getattr(save_checkpoint, "best", val_loss)
    if val_loss is not None:
        save_checkpoint.best = min(val_loss, prev_best)
    is_best = val_loss is not None and val_loss <= prev_best

    epoch = epoch_itr.epoch
    end_of_epoch = epoch_itr.end_of_epoch()
    updates = trainer.get_num_updates()

    conds = collections.OrderedDict()
    conds[f"checkpoint{epoch}.pt"] = (
        end_of_epoch and not args.no_epoch_checkpoints and epoch % args.save_interval == 0
    )
    conds[f"checkpoint_{epoch}_{updates}.pt"] = (
        not end_of_epoch and args.save_interval_updates > 0 and updates % args.save_interval_updates == 0
    )
    conds["checkpoint_best.pt"] = is_best
    conds["checkpoint_last.pt"] = True

    extra_state = {
        "train_iterator": epoch_itr.state_dict(),
        "val_loss": val_loss,
        "best": getattr(save_checkpoint, "best", None),
    }
    t0 = time.time()
    paths = [os.path.join(args.save_dir, fn) for fn, cond in conds.items() if cond]
    trainer.save_checkpoint(paths[0], extra_state)
    for p in paths[1:]:
        shutil.copyfile(paths[0], p)
    logger.info(
        "saved checkpoint %s (epoch %d @ %d updates, score %s) (writing took %.3f seconds)",
        paths[0], epoch, updates, "n/a" if val_loss is None else f"{val_loss:.3f}", time.time() - t0,
    )

    if not end_of_epoch and args.keep_interval_updates > 0:
        for old in interval_checkpoints(args.save_dir)[args.keep_interval_updates:]:
            os.remove(old)
    return is_best


def interval_checkpoints(save_dir):
    """checkpoint_<epoch>_<updates>.pt files, newest (highest update count) first."""
    pattern = re.compile(r"checkpoint_\d+_(\d+)\.pt$")
    found = []
    for name in os.listdir(save_dir):
        m = pattern.match(name)
        if m:
            found.append((int(m.group(1)), os.path.join(save_dir, name)))
    return [path for _, path in sorted(found, reverse=True)]


def load_checkpoint(args, trainer, train_blocks):
    """Restore trainer state and build the epoch iterator; returns (extra_state, epoch_itr)."""
    if args.restore_file == "checkpoint_last.pt":
        checkpoint_path = os.path.join(args.save_dir, "checkpoint_last.pt")
    else:
        checkpoint_path = args.restore_file
    extra_state = trainer.load_checkpoint(checkpoint_path, reset_optimizer=args.reset_optimizer)

    epoch_itr = EpochBatchIterator(train_blocks, args.batch_size, seed=args.seed,
                                   fetch_delay_ms=args.fetch_delay_ms)
    if extra_state is not None:
        if extra_state.get("best") is not None:
            save_checkpoint.best = extra_state["best"]
        if not args.reset_dataloader:
            epoch_itr.load_state_dict(extra_state["train_iterator"])
        logger.info(
            "loaded checkpoint %s (epoch %d @ %d updates)",
            checkpoint_path, extra_state["train_iterator"]["epoch"], trainer.get_num_updates(),
        )
    return extra_state, epoch_itr
