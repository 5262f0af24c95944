"""
Builds a small character-level corpus for train.py.

There is no download: the text is generated from a toy grammar with a fixed
seed, so every machine gets the same train.bin / val.bin / meta.pkl.
"""

import os
import pickle
import random

import numpy as np

SUBJECTS = ['the cat', 'a dog', 'my neighbour', 'the old sailor', 'a child', 'the baker',
            'her brother', 'the mayor', 'a stranger', 'the teacher']
VERBS = ['sees', 'follows', 'greets', 'paints', 'forgets', 'finds', 'calls', 'remembers']
OBJECTS = ['the river', 'a red kite', 'the harbour', 'an empty chair', 'the last train',
           'a paper boat', 'the garden gate', 'a quiet song']
ENDINGS = ['.', ' at dawn.', ' every morning.', ' in the rain.', ' again.', '!']


def sentence(rng):
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(ENDINGS)}"
    return s[0].upper() + s[1:]


def main():
    rng = random.Random(0)
    lines = []
    for _ in range(1200):
        lines.append(' '.join(sentence(rng) for _ in range(rng.randint(1, 3))))
    text = '\n'.join(lines) + '\n'
    print(f"length of dataset in characters: {len(text):,}")

    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for i, ch in enumerate(chars)}
    print(f"vocab size: {len(chars)}")

    n = len(text)
    split = int(n * 0.9)
    here = os.path.dirname(__file__)
    for name, part in (('train', text[:split]), ('val', text[split:])):
        ids = np.array([stoi[c] for c in part], dtype=np.uint16)
        ids.tofile(os.path.join(here, f'{name}.bin'))
        print(f"{name} has {len(ids):,} tokens")

    with open(os.path.join(here, 'meta.pkl'), 'wb') as f:
        pickle.dump({'vocab_size': len(chars), 'itos': itos, 'stoi': stoi}, f)


if __name__ == '__main__':
    main()
