"""Write a toy corpus (train.txt / valid.txt) with enough structure for a small LM to learn."""
import os
import random
import sys

SUBJECTS = ["the cat", "a dog", "my sister", "the old man", "our teacher", "a bird", "the robot"]
VERBS = ["sees", "likes", "follows", "draws", "finds", "carries", "forgets"]
OBJECTS = ["the ball", "a red box", "the river", "some bread", "the moon", "a small key", "the map"]
TAILS = ["today", "again", "in the garden", "before dinner", "at night", "quietly", ""]


def sentence(rng):
    return " ".join(w for w in [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS),
                                rng.choice(TAILS)] if w) + " ."


def main(out_dir, n_train=5960, n_valid=300, seed=0):
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    for split, n in (("train", n_train), ("valid", n_valid)):
        with open(os.path.join(out_dir, f"{split}.txt"), "w") as f:
            f.writelines(sentence(rng) + "\n" for _ in range(n))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/toy")
