import logging
import sys
from pathlib import Path

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import to_absolute_path
from omegaconf import DictConfig, OmegaConf

from mini.data import SyntheticStream
from mini.model import build_model, build_optimizer
from mini.utils import load_checkpoint, save_checkpoint, seed_everything

log = logging.getLogger(__name__)


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
    hc = HydraConfig.get()
    log.info("command: %s", " ".join(sys.argv))
    log.info("overrides: %s", list(hc.overrides.task))
    log.info("output dir: %s", hc.runtime.output_dir)
    log.debug("config:\n%s", OmegaConf.to_yaml(cfg))

    seed_everything(cfg.seed)
    data = SyntheticStream(cfg.data.in_dim, cfg.batch_size, cfg.data.noise, cfg.data.delay_s, cfg.seed)
    model = build_model(cfg.model, cfg.data.in_dim)
    optimizer = build_optimizer(cfg.optim, model.parameters())
    loss_fn = torch.nn.MSELoss()

    # checkpoints live outside the per-launch hydra dir so a relaunch can find them
    ckpt_dir = Path(to_absolute_path(cfg.ckpt_dir))
    last = ckpt_dir / "last.pt"
    step = 0
    if cfg.resume and last.exists():
        step = load_checkpoint(last, model, optimizer)
        log.info(f"resumed from {last} at step {step}")
    else:
        log.info(f"starting from scratch (checkpoints go to {ckpt_dir})")

    model.train()
    loss = torch.tensor(float("nan"))
    saved_at = step
    batches = iter(data)
    while step < cfg.max_steps:
        x, y = next(batches)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1

        if step % cfg.log_every == 0:
            log.info(f"step {step} loss {loss.item():.4f}")
        if step % cfg.save_every_steps == 0:
            path = save_checkpoint(ckpt_dir, step, model, optimizer, cfg.keep_last)
            saved_at = step
            log.info(f"saved checkpoint {path.name} at step {step}")

    if saved_at != step:
        path = save_checkpoint(ckpt_dir, step, model, optimizer, cfg.keep_last)
        log.info(f"saved final checkpoint {path.name} at step {step}")
    log.info(f"done at step {step}, final loss {loss.item():.4f}")
    return loss.item()


if __name__ == "__main__":
    main()
