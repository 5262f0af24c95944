from fastai.vision.all import *
from fastcore.script import call_parse

from shapes import CLASSES, Shapes


@call_parse
def main(
    path:str='work',  # folder holding export.pkl
    n:int=8,          # how many fresh samples to classify
):
    "Classify a few freshly drawn shapes with the exported learner."
    learn = load_learner(Path(path)/'export.pkl')
    ds = Shapes(n, seed=99)
    for img, y in ds:
        pred, _, probs = learn.predict(img)
        print(f"true {CLASSES[int(y)]:6s} predicted {CLASSES[int(pred)]:6s} p={probs.max():.2f}")
