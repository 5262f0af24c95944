from .checkpoint_saver import CheckpointSaver, resume_checkpoint
from .metrics import AverageMeter, accuracy
from .summary import update_summary, get_outdir
