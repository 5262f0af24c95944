import logging
import os

import torch

logger = logging.getLogger("minidet.checkpoint")


class Checkpointer:
    """Saves and restores a model plus any other objects with a state_dict.

    Every save also rewrites ``<save_dir>/last_checkpoint`` with the file name of the newest
    snapshot; ``resume_or_load`` reads it back.
    """

    def __init__(self, model, save_dir="", **checkpointables):
        self.model = model
        self.save_dir = save_dir
        self.checkpointables = checkpointables

    def save(self, name, **extra):
        data = {"model": self.model.state_dict()}
        for key, obj in self.checkpointables.items():
            data[key] = obj.state_dict()
        data.update(extra)
        basename = f"{name}.pth"
        path = os.path.join(self.save_dir, basename)
        logger.info("Saving checkpoint to %s", path)
        torch.save(data, path)
        self.tag_last_checkpoint(basename)

    def load(self, path, checkpointables=None):
        if not path:
            logger.info("No checkpoint found. Initializing model from scratch")
            return {}
        logger.info("Loading checkpoint from %s", path)
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        self.model.load_state_dict(ckpt.pop("model"))
        names = self.checkpointables.keys() if checkpointables is None else checkpointables
        for key in names:
            if key in ckpt:
                logger.info("Loading %s from %s", key, path)
                self.checkpointables[key].load_state_dict(ckpt.pop(key))
        return ckpt

    def has_checkpoint(self):
        return os.path.exists(os.path.join(self.save_dir, "last_checkpoint"))

    def get_checkpoint_file(self):
        with open(os.path.join(self.save_dir, "last_checkpoint")) as f:
            return os.path.join(self.save_dir, f.read().strip())

    def tag_last_checkpoint(self, basename):
        with open(os.path.join(self.save_dir, "last_checkpoint"), "w") as f:
            f.write(basename)

    def resume_or_load(self, path, *, resume=True):
        """With resume=True and a last_checkpoint present, restore everything from it.
        Otherwise load only the model weights at ``path`` (if any)."""
        if resume and self.has_checkpoint():
            return self.load(self.get_checkpoint_file())
        return self.load(path, checkpointables=[])
