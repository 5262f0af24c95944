import os

import pytest
import torch

from datautils import RandomRegression
from train import load_train_objs, prepare_dataloader

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def objs():
    torch.manual_seed(0)
    dataset, model, optimizer = load_train_objs(dataset_size=128)
    return dataset, model, optimizer


@pytest.fixture
def loader(objs):
    return prepare_dataloader(objs[0], batch_size=16)


@pytest.fixture
def tiny_dataset():
    return RandomRegression(64)
