from argparse import ArgumentParser
from pathlib import Path

import torch
import torch.nn.functional as F
from ignite.engine import Engine, Events, create_supervised_evaluator
from ignite.handlers import Checkpoint, DiskSaver, ProgressBar, global_step_from_engine
from ignite.metrics import Accuracy, Loss
from ignite.utils import manual_seed, setup_logger

from utils import Net, get_data_loaders


def create_trainer(model, optimizer, device):
    def train_step(engine, batch):
        model.train()
        x, y = batch[0].to(device), batch[1].to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return Engine(train_step)


def run(config):
    manual_seed(config["seed"])
    device = "cpu"
    output_dir = Path(config["output_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    logger = setup_logger("trainer", filepath=str(output_dir / "train.log"))
    logger.info(f"Train on {device} with config: {config}")

    train_loader, val_loader = get_data_loaders(
        config["batch_size"], config["val_batch_size"], config["io_delay"])
    model = Net().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=config["momentum"])

    trainer = create_trainer(model, optimizer, device)
    trainer.logger = logger
    evaluator = create_supervised_evaluator(
        model, metrics={"accuracy": Accuracy(), "nll": Loss(F.cross_entropy)}, device=device)

    ProgressBar(persist=False).attach(trainer, output_transform=lambda loss: {"loss": loss})

    @trainer.on(Events.ITERATION_COMPLETED(every=config["log_interval"]))
    def log_training_loss(engine):
        logger.info(
            f"Epoch[{engine.state.epoch}] Iteration[{engine.state.iteration}] "
            f"Loss: {engine.state.output:.4f}")

    @trainer.on(Events.EPOCH_COMPLETED)
    def log_validation_results(engine):
        evaluator.run(val_loader)
        metrics = evaluator.state.metrics
        logger.info(
            f"Validation Results - Epoch[{engine.state.epoch}] "
            f"Avg accuracy: {metrics['accuracy']:.4f} Avg loss: {metrics['nll']:.4f}")

    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    training_checkpoint = Checkpoint(
        to_save,
        DiskSaver(output_dir / "checkpoints", require_empty=False),
        filename_prefix="training",
        n_saved=None,
        global_step_transform=global_step_from_engine(trainer, Events.ITERATION_COMPLETED),
    )
    trainer.add_event_handler(
        Events.ITERATION_COMPLETED(every=config["checkpoint_every"]), training_checkpoint)

    if config["resume_from"] is not None:
        checkpoint_fp = Path(config["resume_from"])
        assert checkpoint_fp.exists(), f"Checkpoint '{checkpoint_fp}' is not found"
        logger.info(f"Resume from a checkpoint: {checkpoint_fp}")
        checkpoint = torch.load(checkpoint_fp, map_location="cpu", weights_only=True)
        Checkpoint.load_objects(to_load=to_save, checkpoint=checkpoint)

    trainer.run(train_loader, max_epochs=config["epochs"])
    logger.info(f"Training finished at iteration {trainer.state.iteration}")


def get_parser():
    parser = ArgumentParser()
    parser.add_argument("--batch_size", type=int, default=32, help="input batch size for training")
    parser.add_argument("--val_batch_size", type=int, default=256, help="input batch size for validation")
    parser.add_argument("--epochs", type=int, default=13, help="number of epochs to train")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    parser.add_argument("--seed", type=int, default=17, help="random seed")
    parser.add_argument("--log_interval", type=int, default=16,
                        help="how many iterations to wait before logging training status")
    parser.add_argument("--checkpoint_every", type=int, default=200,
                        help="save a training checkpoint every this many iterations")
    parser.add_argument("--output_dir", type=str, default="outputs/exp1",
                        help="where train.log and checkpoints/ go")
    parser.add_argument("--resume_from", type=str, default=None,
                        help="path to a training_checkpoint_<iteration>.pt to continue from")
    parser.add_argument("--io_delay", type=float, default=0.0,
                        help="seconds of simulated storage latency per training batch")
    return parser


if __name__ == "__main__":
    args = get_parser().parse_args()
    run(vars(args))
