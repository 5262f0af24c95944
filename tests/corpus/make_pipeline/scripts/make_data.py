"""Write the synthetic tabular dataset: 16 features, 4 classes, a noisy linear rule."""

import argparse
from pathlib import Path

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=Path("data/train.npz"))
    p.add_argument("--n", type=int, default=3200)
    p.add_argument("--seed", type=int, default=11)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    x = rng.normal(size=(args.n, 16)).astype(np.float32)
    w = rng.normal(size=(16, 4)).astype(np.float32)
    y = (x @ w + 0.5 * rng.normal(size=(args.n, 4))).argmax(axis=1).astype(np.int64)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, x=x, y=y)
    print(f"wrote {args.out}: {args.n} rows")


if __name__ == "__main__":
    main()
