import argparse


def get_training_parser():
    parser = argparse.ArgumentParser(
        prog="tinyseq-train", description="Train a small language model on a tokenized text folder."
    )
    parser.add_argument("data", help="folder holding train.txt and valid.txt (one sentence a line)")
    parser.add_argument("--seed", type=int, default=1)

    group = parser.add_argument_group("Model configuration")
    group.add_argument("--arch", default="lstm_lm", choices=["lstm_lm"])
    group.add_argument("--embed-dim", type=int, default=64)
    group.add_argument("--hidden-dim", type=int, default=128)
    group.add_argument("--layers", type=int, default=1)

    group = parser.add_argument_group("Optimization")
    group.add_argument("--lr", type=float, default=1e-3)
    group.add_argument("--clip-norm", type=float, default=1.0)
    group.add_argument("--batch-size", type=int, default=16)
    group.add_argument("--tokens-per-sample", type=int, default=32)
    group.add_argument("--max-epoch", type=int, default=0, help="stop after this epoch (0: no limit)")
    group.add_argument("--max-update", type=int, default=0, help="stop after this many updates (0: no limit)")
    group.add_argument("--fetch-delay-ms", type=float, default=0.0,
                       help="sleep this long before each batch (the dev box reads data over NFS; "
                            "set it to reproduce production step times)")

    group = parser.add_argument_group("Checkpointing")
    group.add_argument("--save-dir", default="checkpoints", help="where checkpoints are written")
    group.add_argument("--restore-file", default="checkpoint_last.pt",
                       help="checkpoint to load at start-up; a bare checkpoint_last.pt is looked up in "
                            "--save-dir and skipped if it does not exist")
    group.add_argument("--reset-optimizer", action="store_true", help="do not load the optimizer state")
    group.add_argument("--reset-dataloader", action="store_true", help="start the epoch iterator afresh")
    group.add_argument("--save-interval", type=int, default=1, help="save a checkpoint every N epochs")
    group.add_argument("--save-interval-updates", type=int, default=0,
                       help="also save (and validate) every N updates; 0 turns it off")
    group.add_argument("--keep-interval-updates", type=int, default=-1,
                       help="keep only the last N checkpoint_<epoch>_<updates>.pt files")
    group.add_argument("--no-epoch-checkpoints", action="store_true", help="only keep last and best")
    group.add_argument("--no-save", action="store_true", help="never write checkpoints")

    group = parser.add_argument_group("Logging")
    group.add_argument("--log-format", default="simple", choices=["simple", "json"])
    group.add_argument("--log-interval", type=int, default=100, help="log training stats every N updates")
    group.add_argument("--heartbeat-interval", type=float, default=30.0,
                       help="seconds between touches of <save-dir>/heartbeat")
    return parser


def parse_args(argv=None):
    return get_training_parser().parse_args(argv)
