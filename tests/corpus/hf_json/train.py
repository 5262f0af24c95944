"""Train the ticket classifier with the Hugging Face Trainer.

    python train.py configs/train_args.json [--resume_from_checkpoint outputs/checkpoint-N]

All options live in the JSON file; see README.md.
"""

import argparse
import logging
import sys
from dataclasses import dataclass, field

import transformers
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    HfArgumentParser,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

from synthetic import FirstVsLast

logger = logging.getLogger("train")


@dataclass
class ModelConfig:
    vocab_size: int = field(default=48, metadata={"help": "Tokenizer vocabulary size."})
    hidden_size: int = field(default=32, metadata={"help": "Encoder width."})
    num_hidden_layers: int = field(default=1, metadata={"help": "Encoder depth."})
    num_attention_heads: int = field(default=2, metadata={"help": "Heads per layer."})
    intermediate_size: int = field(default=64, metadata={"help": "Feed-forward width."})
    max_length: int = field(default=24, metadata={"help": "Tokens per example."})


@dataclass
class DataConfig:
    train_examples: int = field(default=512, metadata={"help": "Examples per training epoch."})
    eval_examples: int = field(default=128, metadata={"help": "Held-out examples."})
    io_delay_ms: float = field(default=0.0, metadata={"help": "Per-example read latency to reproduce on a laptop."})


def parse_arguments(argv):
    """The JSON file holds every option; only a resume path may be added on the command line."""
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("config", help="JSON file with model, data and TrainingArguments fields")
    cli.add_argument("--resume_from_checkpoint", default=None, help="checkpoint-N folder to continue from")
    options = cli.parse_args(argv)

    parser = HfArgumentParser((ModelConfig, DataConfig, TrainingArguments))
    model_cfg, data_cfg, training_args = parser.parse_json_file(json_file=options.config)
    if options.resume_from_checkpoint is not None:
        training_args.resume_from_checkpoint = options.resume_from_checkpoint
    return model_cfg, data_cfg, training_args


def build_model(cfg: ModelConfig) -> BertForSequenceClassification:
    config = BertConfig(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        intermediate_size=cfg.intermediate_size,
        max_position_embeddings=cfg.max_length,
        num_labels=2,
    )
    return BertForSequenceClassification(config)


class AnnounceSaves(TrainerCallback):
    """One log line per checkpoint, so the console log shows when state was persisted."""

    def on_save(self, args, state, control, **kwargs):
        logger.info("state persisted: %s/checkpoint-%d (epoch %.0f)", args.output_dir, state.global_step, state.epoch)


def accuracy(eval_pred):
    logits, labels = eval_pred
    return {"accuracy": float((logits.argmax(-1) == labels).mean())}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    model_cfg, data_cfg, training_args = parse_arguments(argv)

    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        level=logging.INFO,
        handlers=[logging.StreamHandler(sys.stdout)],
    )
    transformers.utils.logging.set_verbosity_warning()
    logger.info("argv: %s", " ".join(["train.py", *argv]))
    logger.info(
        "save_strategy=%s logging_strategy=%s logging_steps=%s epochs=%s resume_from_checkpoint=%s",
        training_args.save_strategy,
        training_args.logging_strategy,
        training_args.logging_steps,
        training_args.num_train_epochs,
        training_args.resume_from_checkpoint,
    )

    set_seed(training_args.seed)
    model = build_model(model_cfg)
    train_set = FirstVsLast(
        data_cfg.train_examples, model_cfg.max_length, model_cfg.vocab_size, seed=1, io_delay_ms=data_cfg.io_delay_ms
    )
    eval_set = FirstVsLast(data_cfg.eval_examples, model_cfg.max_length, model_cfg.vocab_size, seed=2)

    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train_set,
        eval_dataset=eval_set,
        compute_metrics=accuracy,
        callbacks=[AnnounceSaves()],
    )
    if training_args.resume_from_checkpoint:
        logger.info("continuing from %s", training_args.resume_from_checkpoint)
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model()
    metrics = trainer.evaluate()
    logger.info("final eval: %s", metrics)
    return metrics


if __name__ == "__main__":
    main()
