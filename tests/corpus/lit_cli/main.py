"""Entry point for training. Usage is in README.md, e.g.

    python main.py fit --config configs/fit.yaml
"""

from pytorch_lightning.cli import LightningCLI

from wavefit import LitDataModule, LitModel


def cli_main():
    # `fit`, `validate`, `test`, `predict` subcommands; every argument of LitModel,
    # LitDataModule and the Trainer can be set from a YAML config or the command line
    return LightningCLI(LitModel, LitDataModule)


if __name__ == "__main__":
    cli = cli_main()
