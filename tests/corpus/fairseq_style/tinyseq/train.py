"""Train a language model: ``python -m tinyseq.train DATA [options]`` or ``tinyseq-train``."""
import logging
import math
import os
import shlex
import sys
import time

import torch

from tinyseq import checkpoint_utils, options, utils
from tinyseq.data import build_dictionary, load_split
from tinyseq.models import build_model
from tinyseq.trainer import Trainer

logger = logging.getLogger("tinyseq.train")


def main(args, argv):
    utils.setup_logging()
    logger.info("command line: tinyseq-train %s", " ".join(shlex.quote(a) for a in argv))
    logger.info(args)
    torch.manual_seed(args.seed)
    os.makedirs(args.save_dir, exist_ok=True)

    dictionary = build_dictionary(args.data)
    train_blocks = load_split(args.data, "train", dictionary, args.tokens_per_sample)
    valid_blocks = load_split(args.data, "valid", dictionary, args.tokens_per_sample)
    logger.info("dictionary: %d types; train: %d blocks; valid: %d blocks",
                len(dictionary), len(train_blocks), len(valid_blocks))

    model = build_model(args, dictionary)
    trainer = Trainer(args, model)
    logger.info("model %s, num. params: %d", args.arch, sum(p.numel() for p in model.parameters()))

    # restores model, optimizer and data position from --restore-file (checkpoint_last.pt by default)
    _, epoch_itr = checkpoint_utils.load_checkpoint(args, trainer, train_blocks)

    heartbeat = utils.Heartbeat(os.path.join(args.save_dir, "heartbeat"), args.heartbeat_interval)
    max_epoch = args.max_epoch or math.inf
    max_update = args.max_update or math.inf
    start = time.time()
    try:
        while epoch_itr.epoch <= max_epoch and trainer.get_num_updates() < max_update:
            should_stop = train(args, trainer, epoch_itr, valid_blocks, start)
            if should_stop:
                break
    finally:
        heartbeat.stop()
    logger.info("done training in %.1f seconds", time.time() - start)


def train(args, trainer, epoch_itr, valid_blocks, start):
    """Run one epoch (or what is left of it). Returns True when training should stop."""
    itr = epoch_itr.next_epoch_itr()
    epoch, total = epoch_itr.epoch, len(epoch_itr)
    inner = logging.getLogger("train_inner")
    window, window_start = [], time.time()
    epoch_losses = []
    should_stop = False
    for sample in itr:
        out = trainer.train_step(sample)
        window.append(out)
        epoch_losses.append(out["loss"])
        num_updates = trainer.get_num_updates()

        if num_updates % args.log_interval == 0:
            elapsed = time.time() - window_start
            loss = sum(o["loss"] for o in window) / len(window)
            utils.log_stats(inner, args.log_format, epoch, epoch_itr.iterations_in_epoch, total, {
                "loss": loss,
                "ppl": 2 ** (loss / math.log(2)),
                "wps": round(sum(o["ntokens"] for o in window) / elapsed),
                "ups": len(window) / elapsed,
                "bsz": window[-1]["bsz"],
                "num_updates": num_updates,
                "lr": args.lr,
                "gnorm": sum(o["gnorm"] for o in window) / len(window),
                "wall": round(time.time() - start),
            })
            window, window_start = [], time.time()

        should_stop = validate_and_save(args, trainer, epoch_itr, valid_blocks, epoch_itr.end_of_epoch())
        if should_stop:
            break

    if epoch_losses:
        logger.info("end of epoch %d (average epoch stats below)", epoch)
        logging.getLogger("train").info("epoch %03d | loss %.3f | num_updates %d",
                                        epoch, sum(epoch_losses) / len(epoch_losses),
                                        trainer.get_num_updates())
    return should_stop


def validate_and_save(args, trainer, epoch_itr, valid_blocks, end_of_epoch):
    num_updates = trainer.get_num_updates()
    max_update = args.max_update or math.inf
    should_stop = num_updates >= max_update or (end_of_epoch and epoch_itr.epoch >= (args.max_epoch or math.inf))
    do_save = (
        (end_of_epoch and epoch_itr.epoch % args.save_interval == 0)
        or should_stop
        or (args.save_interval_updates > 0 and num_updates % args.save_interval_updates == 0)
    )
    if not do_save:
        return should_stop

    valid_loss = validate(args, trainer, valid_blocks)
    prev_best = getattr(checkpoint_utils.save_checkpoint, "best", valid_loss)
    logging.getLogger("valid").info(
        "epoch %03d | valid on 'valid' subset | loss %.3f | ppl %.2f | num_updates %d | best_loss %.3f",
        epoch_itr.epoch, valid_loss, math.exp(valid_loss), num_updates, min(prev_best, valid_loss),
    )
    is_best = checkpoint_utils.save_checkpoint(args, trainer, epoch_itr, valid_loss)
    if is_best:
        # the dashboard only cares about the best model so far
        utils.write_status(args.save_dir, epoch=epoch_itr.epoch, num_updates=num_updates,
                           best_loss=round(valid_loss, 4))
    return should_stop


def validate(args, trainer, valid_blocks):
    losses = [trainer.valid_step(valid_blocks[i:i + args.batch_size])
              for i in range(0, len(valid_blocks), args.batch_size)]
    return sum(losses) / len(losses)


def cli_main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = options.parse_args(argv)
    main(args, argv)


if __name__ == "__main__":
    cli_main()
