import random
from collections import deque

import torch
import torch.nn.functional as F
from torch import nn


class QNet(nn.Module):
    def __init__(self, n_states, n_actions=4, hidden=32):
        super().__init__()
        self.embed = nn.Embedding(n_states, hidden)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                  nn.Linear(hidden, n_actions))

    def forward(self, states):
        return self.head(self.embed(states))


class ReplayBuffer:
    def __init__(self, capacity=5000):
        self.capacity = capacity
        self.items = deque(maxlen=capacity)

    def __len__(self):
        return len(self.items)

    def push(self, s, a, r, s2, done):
        self.items.append((s, a, r, s2, float(done)))

    def sample(self, batch_size, rng):
        batch = rng.sample(list(self.items), batch_size)
        s, a, r, s2, d = zip(*batch)
        return (torch.tensor(s), torch.tensor(a), torch.tensor(r), torch.tensor(s2),
                torch.tensor(d))

    def state_dict(self):
        if not self.items:
            return {"capacity": self.capacity, "data": torch.zeros(0, 5)}
        return {"capacity": self.capacity, "data": torch.tensor(list(self.items))}

    def load_state_dict(self, state):
        self.capacity = state["capacity"]
        self.items = deque(((int(s), int(a), float(r), int(s2), float(d))
                            for s, a, r, s2, d in state["data"].tolist()), maxlen=self.capacity)


class DQNAgent:
    def __init__(self, n_states, lr=1e-2, gamma=0.97, batch_size=32, target_every=100, seed=0):
        self.q = QNet(n_states)
        self.target = QNet(n_states)
        self.target.load_state_dict(self.q.state_dict())
        self.optimizer = torch.optim.Adam(self.q.parameters(), lr=lr)
        self.gamma = gamma
        self.batch_size = batch_size
        self.target_every = target_every
        self.updates = 0
        self.rng = random.Random(seed)

    def act(self, state, epsilon):
        if self.rng.random() < epsilon:
            return self.rng.randrange(4)
        with torch.no_grad():
            return int(self.q(torch.tensor([state])).argmax(1))

    def update(self, buffer):
        s, a, r, s2, d = buffer.sample(self.batch_size, self.rng)
        q = self.q(s).gather(1, a.unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            target = r + self.gamma * (1 - d) * self.target(s2).max(1).values
        loss = F.smooth_l1_loss(q, target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.updates += 1
        if self.updates % self.target_every == 0:
            self.target.load_state_dict(self.q.state_dict())
        return loss.item()
