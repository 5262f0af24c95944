from .train_loop import HookBase, TrainerBase, SimpleTrainer  # noqa: F401
from .defaults import DefaultTrainer, default_argument_parser, default_setup  # noqa: F401
