from fastai.vision.all import *
from fastcore.script import call_parse

from shapes import CLASSES, Shapes


def shape_net(n_classes=len(CLASSES)):
    "A small conv net for 16x16 inputs, built from fastai's `ConvLayer`."
    return nn.Sequential(
        ConvLayer(1, 16, stride=2),   # 8x8
        ConvLayer(16, 32, stride=2),  # 4x4
        ConvLayer(32, 64, stride=2),  # 2x2
        nn.AdaptiveAvgPool2d(1), Flatten(),
        nn.Linear(64, n_classes))


def get_learner(path, bs=64, n_train=4096, n_valid=512):
    "The `Learner` every entry point shares: data, model, loss, metric, and where files go."
    dls = DataLoaders.from_dsets(Shapes(n_train, seed=0), Shapes(n_valid, seed=1), bs=bs,
                                 device=default_device())
    return Learner(dls, shape_net(), loss_func=CrossEntropyLossFlat(), metrics=accuracy,
                   path=Path(path))


@call_parse
def main(
    epochs:int=8,          # total epochs of the one-cycle schedule
    lr:float=3e-3,         # maximum learning rate
    bs:int=64,             # batch size
    path:str='work',       # models/, history.csv and export.pkl go here
    resume:str=None,       # a file in <path>/models to load first, e.g. model_3
    start_epoch:int=0,     # epoch to continue the schedule at (the resumed epoch + 1)
):
    "Train the shape classifier with the one-cycle policy."
    learn = get_learner(path, bs=bs)
    if resume:
        learn.load(resume)  # weights and optimizer state, as saved below with with_opt=True
    cbs = [SaveModelCallback(every_epoch=True, with_opt=True),  # models/model_<epoch>.pth
           CSVLogger(fname='history.csv', append=bool(resume))]
    learn.fit_one_cycle(epochs, lr, cbs=cbs, start_epoch=start_epoch)
    learn.export('export.pkl')
    return learn
