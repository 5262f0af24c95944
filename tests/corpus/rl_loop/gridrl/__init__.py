"""DQN on a small gridworld, with checkpoints that keep the replay buffer."""
