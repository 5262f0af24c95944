import random
from typing import Optional

import numpy as np
import torch


def set_seed(seed: Optional[int] = None) -> int:
    """Seed python, numpy and torch; picks a seed when none is given and returns it."""
    if seed is None:
        seed = random.SystemRandom().randint(0, 2**31 - 1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed
