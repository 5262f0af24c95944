import json
import os
import time
from pathlib import Path

import lightning as L


class ProgressFile(L.Callback):
    """Keeps `<dirpath>/progress.json` current so a job can be checked without opening logs.

    The file is replaced atomically every `every_n_batches` training batches and once more
    when training ends.
    """

    def __init__(self, dirpath, every_n_batches: int = 20):
        self.path = Path(dirpath) / "progress.json"
        self.every_n_batches = every_n_batches

    def _write(self, trainer, status):
        loss = trainer.callback_metrics.get("train_loss")
        record = {
            "status": status,
            "epoch": trainer.current_epoch,
            "global_step": trainer.global_step,
            "max_epochs": trainer.max_epochs,
            "train_loss": None if loss is None else round(float(loss), 6),
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(record, indent=2))
        os.replace(tmp, self.path)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.is_global_zero and (batch_idx + 1) % self.every_n_batches == 0:
            self._write(trainer, "training")

    def on_train_end(self, trainer, pl_module):
        if trainer.is_global_zero:
            self._write(trainer, "finished")
