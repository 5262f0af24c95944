import logging
import time
import weakref
from collections import defaultdict

logger = logging.getLogger("minidet.engine")


class HookBase:
    """Something the trainer calls around every iteration. Override what you need.

    ``self.trainer`` is set by ``TrainerBase.register_hooks``.
    """

    trainer = None

    def before_train(self):
        pass

    def after_train(self):
        pass

    def before_step(self):
        pass

    def after_step(self):
        pass


class EventStorage:
    """Scalars of the current run, keyed by name; writers read the latest values."""

    def __init__(self, start_iter=0):
        self.iter = start_iter
        self._history = defaultdict(list)

    def put_scalar(self, name, value):
        self._history[name].append((self.iter, float(value)))

    def put_scalars(self, **kwargs):
        for k, v in kwargs.items():
            self.put_scalar(k, v)

    def latest(self):
        return {k: v[-1] for k, v in self._history.items() if v}

    def median(self, name, window=20):
        vals = sorted(v for _, v in self._history[name][-window:])
        return vals[len(vals) // 2] if vals else float("nan")


class TrainerBase:
    def __init__(self):
        self._hooks = []
        self.iter = 0
        self.start_iter = 0
        self.max_iter = 0

    def register_hooks(self, hooks):
        hooks = [h for h in hooks if h is not None]
        for h in hooks:
            # a proxy so hooks do not keep the trainer alive
            h.trainer = weakref.proxy(self)
        self._hooks.extend(hooks)

    def train(self, start_iter, max_iter):
        logger.info("Starting training from iteration %d", start_iter)
        self.iter = self.start_iter = start_iter
        self.max_iter = max_iter
        self.storage = EventStorage(start_iter)
        try:
            self.before_train()
            for self.iter in range(start_iter, max_iter):
                self.storage.iter = self.iter
                self.before_step()
                self.run_step()
                self.after_step()
            self.iter += 1
        finally:
            self.after_train()

    def before_train(self):
        for h in self._hooks:
            h.before_train()

    def after_train(self):
        self.storage.iter = self.iter
        for h in self._hooks:
            h.after_train()

    def before_step(self):
        for h in self._hooks:
            h.before_step()

    def after_step(self):
        for h in self._hooks:
            h.after_step()

    def run_step(self):
        raise NotImplementedError


class SimpleTrainer(TrainerBase):
    """One batch, one forward/backward, one optimizer step per iteration."""

    def __init__(self, model, data_loader, optimizer):
        super().__init__()
        model.train()
        self.model = model
        self.data_loader = data_loader
        self._data_iter = iter(data_loader)
        self.optimizer = optimizer

    def run_step(self):
        start = time.perf_counter()
        data = next(self._data_iter)
        data_time = time.perf_counter() - start

        loss_dict = self.model(data)
        losses = sum(loss_dict.values())
        self.optimizer.zero_grad()
        losses.backward()
        self.optimizer.step()

        self.storage.put_scalars(total_loss=losses.item(), data_time=data_time,
                                 **{k: v.item() for k, v in loss_dict.items()})
