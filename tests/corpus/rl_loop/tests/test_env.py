from gridrl.env import GridWorld


def test_walls_block_moves():
    env = GridWorld(seed=1)
    env.reset()
    env.rng.random = lambda: 1.0  # no slipping
    env.pos = (1, 0)
    env.step(3)  # right, into the wall at (1, 1)
    assert env.pos == (1, 0)


def test_goal_ends_the_episode_with_reward():
    env = GridWorld(seed=1)
    env.reset()
    env.rng.random = lambda: 1.0
    env.pos = (4, 3)
    _, reward, done, reached = env.step(3)
    assert (reward, done, reached) == (1.0, True, True)


def test_episode_is_truncated_at_max_steps():
    env = GridWorld(max_steps=3, seed=1)
    env.reset()
    env.rng.random = lambda: 1.0
    dones = [env.step(0)[2] for _ in range(3)]
    assert dones == [False, False, True]
