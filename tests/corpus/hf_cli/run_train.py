#!/usr/bin/env python
"""Train a tiny GPT-2 style causal language model on synthetic token sequences.

Everything is built locally: the model comes from a config (no hub download) and the
data is generated on the fly, so the script runs anywhere in a few minutes on a CPU.
Arguments follow the usual transformers example layout; see README.md for a command.
"""

import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field

import torch
import transformers
from torch.utils.data import Dataset
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    HfArgumentParser,
    Trainer,
    TrainingArguments,
    default_data_collator,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

logger = logging.getLogger(__name__)


@dataclass
class ModelArguments:
    """Shape of the model that is built from scratch."""

    vocab_size: int = field(default=64, metadata={"help": "Number of token ids."})
    n_positions: int = field(default=32, metadata={"help": "Longest sequence the model accepts."})
    n_embd: int = field(default=32, metadata={"help": "Hidden size."})
    n_layer: int = field(default=1, metadata={"help": "Number of transformer blocks."})
    n_head: int = field(default=2, metadata={"help": "Attention heads per block."})


@dataclass
class DataArguments:
    """Synthetic corpus and output-folder handling."""

    num_train_sequences: int = field(default=2048, metadata={"help": "Sequences in the training set."})
    num_eval_sequences: int = field(default=128, metadata={"help": "Sequences in the evaluation set."})
    block_size: int = field(default=32, metadata={"help": "Tokens per sequence."})
    read_latency_ms: float = field(
        default=0.0,
        metadata={"help": "Simulated storage latency per sequence, to mimic a slow data source."},
    )
    overwrite_output_dir: bool = field(
        default=False,
        metadata={"help": "Start from scratch even if output_dir already holds checkpoints."},
    )


class ArithmeticSequences(Dataset):
    """Sequences a, a+d, a+2d, ... modulo the vocabulary: easy to learn, cheap to make."""

    def __init__(self, size, block_size, vocab_size, seed, read_latency_ms=0.0):
        generator = torch.Generator().manual_seed(seed)
        starts = torch.randint(0, vocab_size, (size, 1), generator=generator)
        steps = torch.randint(1, 5, (size, 1), generator=generator)
        positions = torch.arange(block_size).unsqueeze(0)
        self.tokens = (starts + steps * positions) % vocab_size
        self.read_latency_s = read_latency_ms / 1000.0

    def __len__(self):
        return self.tokens.shape[0]

    def __getitem__(self, index):
        if self.read_latency_s:
            time.sleep(self.read_latency_s)
        ids = self.tokens[index]
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}


def main():
    parser = HfArgumentParser((ModelArguments, DataArguments, TrainingArguments))
    if len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
        model_args, data_args, training_args = parser.parse_json_file(json_file=os.path.abspath(sys.argv[1]))
    else:
        model_args, data_args, training_args = parser.parse_args_into_dataclasses()

    logging.basicConfig(
        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s",
        datefmt="%m/%d/%Y %H:%M:%S",
        handlers=[logging.StreamHandler(sys.stdout)],
    )
    log_level = training_args.get_process_log_level()
    logger.setLevel(log_level)
    transformers.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.enable_default_handler()
    transformers.utils.logging.enable_explicit_format()
    logger.info(f"Command line: {' '.join(sys.argv)}")
    logger.info(f"Training/evaluation parameters {training_args}")

    # Detecting last checkpoint.
    last_checkpoint = None
    if os.path.isdir(training_args.output_dir) and training_args.do_train and not data_args.overwrite_output_dir:
        last_checkpoint = get_last_checkpoint(training_args.output_dir)
        if last_checkpoint is None and len(os.listdir(training_args.output_dir)) > 0:
            raise ValueError(
                f"Output directory ({training_args.output_dir}) already exists and is not empty. "
                "Use --overwrite_output_dir to train from scratch anyway."
            )
        elif last_checkpoint is not None and training_args.resume_from_checkpoint is None:
            logger.info(
                f"Checkpoint detected, resuming training at {last_checkpoint}. To avoid this behavior, change "
                "the `--output_dir` or add `--overwrite_output_dir` to train from scratch."
            )

    set_seed(training_args.seed)

    config = GPT2Config(
        vocab_size=model_args.vocab_size,
        n_positions=model_args.n_positions,
        n_embd=model_args.n_embd,
        n_layer=model_args.n_layer,
        n_head=model_args.n_head,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = GPT2LMHeadModel(config)
    n_params = sum(p.numel() for p in model.parameters())
    logger.info(f"Training new model from scratch - Total size={n_params / 1e3:.1f}K params")

    train_dataset = ArithmeticSequences(
        data_args.num_train_sequences,
        data_args.block_size,
        model_args.vocab_size,
        seed=training_args.seed,
        read_latency_ms=data_args.read_latency_ms,
    )
    eval_dataset = ArithmeticSequences(
        data_args.num_eval_sequences, data_args.block_size, model_args.vocab_size, seed=training_args.seed + 1
    )

    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset if training_args.do_train else None,
        eval_dataset=eval_dataset if training_args.do_eval else None,
        data_collator=default_data_collator,
    )

    if training_args.do_train:
        checkpoint = None
        if training_args.resume_from_checkpoint is not None:
            checkpoint = training_args.resume_from_checkpoint
        elif last_checkpoint is not None:
            checkpoint = last_checkpoint
        train_result = trainer.train(resume_from_checkpoint=checkpoint)
        trainer.save_model()

        metrics = train_result.metrics
        metrics["train_samples"] = len(train_dataset)
        trainer.log_metrics("train", metrics)
        trainer.save_metrics("train", metrics)
        trainer.save_state()

    if training_args.do_eval:
        logger.info("*** Evaluate ***")
        metrics = trainer.evaluate()
        metrics["eval_samples"] = len(eval_dataset)
        try:
            metrics["perplexity"] = math.exp(metrics["eval_loss"])
        except OverflowError:
            metrics["perplexity"] = float("inf")
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)


if __name__ == "__main__":
    main()
