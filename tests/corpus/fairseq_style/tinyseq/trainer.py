import logging
import os

import torch
import torch.nn.functional as F

logger = logging.getLogger("tinyseq.trainer")


class Trainer:
    """Owns the model, the optimizer and the update counter."""

    def __init__(self, args, model):
        self.args = args
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        self._num_updates = 0

    def get_num_updates(self):
        return self._num_updates

    def _loss(self, sample):
        inp, target = sample[:, :-1], sample[:, 1:]
        logits = self.model(inp)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1))

    def train_step(self, sample):
        self.model.train()
        self.optimizer.zero_grad()
        loss = self._loss(sample)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.args.clip_norm)
        self.optimizer.step()
        self._num_updates += 1
        return {"loss": loss.item(), "gnorm": gnorm.item(), "ntokens": sample[:, 1:].numel(), "bsz": len(sample)}

    @torch.no_grad()
    def valid_step(self, sample):
        self.model.eval()
        return self._loss(sample).item()

    def save_checkpoint(self, filename, extra_state):
        state = {
            "args": vars(self.args),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "num_updates": self._num_updates,
            "extra_state": extra_state,
        }
        tmp = filename + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, filename)

    def load_checkpoint(self, filename, reset_optimizer=False):
        """Load model (and optimizer) state; returns extra_state, or None if there is no file."""
        if not os.path.exists(filename):
            logger.info("no existing checkpoint found %s", filename)
            return None
        state = torch.load(filename, map_location="cpu", weights_only=False)
        self.model.load_state_dict(state["model"])
        if not reset_optimizer:
            self.optimizer.load_state_dict(state["optimizer"])
        self._num_updates = state["num_updates"]
        return state["extra_state"]
