import logging

from svctrain import config
from svctrain.trainer import Trainer


def test_loss_line_format(svc_env, caplog):
    trainer = Trainer(config.load(environ=svc_env), max_steps=40)
    with caplog.at_level(logging.INFO, logger="svctrain"):
        trainer._log_step(20, 0.1234, 0.05)
        trainer._log_step(40, 0.0987, 0.05)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["step 20 loss 0.1234 0.05s/step", "step 40 loss 0.0987 0.05s/step"]
