import random
import time


class GridWorld:
    """An NxN grid: start top-left, goal bottom-right, a few walls. -0.01 a move, +1 at the goal.

    `reset_delay` / `step_delay` stand in for the latency of the real simulator.
    """

    ACTIONS = ((-1, 0), (1, 0), (0, -1), (0, 1))

    def __init__(self, size=5, max_steps=30, walls=((1, 1), (2, 3), (3, 1)), reset_delay=0.0,
                 step_delay=0.0, seed=0):
        self.size = size
        self.max_steps = max_steps
        self.walls = set(walls)
        self.goal = (size - 1, size - 1)
        self.reset_delay = reset_delay
        self.step_delay = step_delay
        self.rng = random.Random(seed)
        self.pos = (0, 0)
        self.t = 0

    @property
    def n_states(self):
        return self.size * self.size

    def observe(self):
        return self.pos[0] * self.size + self.pos[1]

    def reset(self):
        if self.reset_delay:
            time.sleep(self.reset_delay)
        self.pos = (0, 0)
        self.t = 0
        return self.observe()

    def step(self, action):
        if self.step_delay:
            time.sleep(self.step_delay)
        if self.rng.random() < 0.05:  # slippery floor
            action = self.rng.randrange(4)
        dr, dc = self.ACTIONS[action]
        r, c = self.pos[0] + dr, self.pos[1] + dc
        if 0 <= r < self.size and 0 <= c < self.size and (r, c) not in self.walls:
            self.pos = (r, c)
        self.t += 1
        done = self.pos == self.goal
        reward = 1.0 if done else -0.01
        truncated = self.t >= self.max_steps
        return self.observe(), reward, done or truncated, done
