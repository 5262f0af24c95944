import time

from conftest import FakeTrainer
from minidet.engine import HookBase, TrainerBase
from minidet.engine import hooks


class Recorder(HookBase):
    def __init__(self, calls):
        self.calls = calls

    def before_train(self):
        self.calls.append("before_train")

    def before_step(self):
        self.calls.append(f"before_step:{self.trainer.iter}")

    def after_step(self):
        self.calls.append(f"after_step:{self.trainer.iter}")

    def after_train(self):
        self.calls.append("after_train")


class NoopTrainer(TrainerBase):
    def run_step(self):
        pass


def test_hook_order():
    calls = []
    t = NoopTrainer()
    t.register_hooks([Recorder(calls), None])
    t.train(3, 5)
    assert calls == ["before_train", "before_step:3", "after_step:3",
                     "before_step:4", "after_step:4", "after_train"]
    assert t.iter == 5


def test_after_train_runs_on_error():
    calls = []

    class Boom(TrainerBase):
        def run_step(self):
            raise RuntimeError("nan loss")

    t = Boom()
    t.register_hooks([Recorder(calls)])
    try:
        t.train(0, 10)
    except RuntimeError:
        pass
    assert calls[-1] == "after_train"


def test_metrics_printer_line():
    trainer = FakeTrainer(max_iter=100)
    s = trainer.storage
    for i in range(20):
        s.iter = i
        s.put_scalars(total_loss=1.0 - i * 0.01, loss_cls=1.0 - i * 0.01,
                      time=0.1, data_time=0.02, lr=0.05)
    line = hooks.CommonMetricPrinter(100).format(s, 19)
    assert "iter: 19" in line
    assert "total_loss: 0.9" in line
    assert "lr: 0.05000" in line
    assert line.startswith("eta: 0:00:08")


def test_heartbeat_writer_refreshes_file(tmp_path):
    trainer = FakeTrainer()
    hb = hooks.HeartbeatWriter(str(tmp_path), period_s=0.05)
    hb.trainer = trainer
    hb.before_train()
    time.sleep(0.12)
    first = (tmp_path / "heartbeat").read_text()
    trainer.iter = 7
    time.sleep(0.12)
    hb.after_train()
    assert "iter=0" in first
    assert "iter=7" in (tmp_path / "heartbeat").read_text()
