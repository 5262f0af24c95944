import unittest

import numpy as np

from mlp.model import MLP
from mlp.optim import SGDMomentum


class TestMLP(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(0)
        self.model = MLP(6, 5, 3, self.rng)
        self.x = self.rng.standard_normal((4, 6))
        self.y = np.array([0, 2, 1, 2])

    def test_forward_shape(self):
        self.assertEqual(self.model.forward(self.x).shape, (4, 3))

    def test_uniform_logits_give_log_k(self):
        for v in self.model.params.values():
            v[...] = 0.0
        self.assertAlmostEqual(self.model.loss(self.model.forward(self.x), self.y), np.log(3))

    def test_gradients_match_finite_differences(self):
        self.model.loss_and_grads(self.x, self.y)
        analytic = {k: g.copy() for k, g in self.model.grads.items()}
        eps = 1e-6
        for name, p in self.model.params.items():
            it = np.nditer(p, flags=["multi_index"])
            for _ in it:
                i = it.multi_index
                old = p[i]
                p[i] = old + eps
                up = self.model.loss(self.model.forward(self.x), self.y)
                p[i] = old - eps
                down = self.model.loss(self.model.forward(self.x), self.y)
                p[i] = old
                self.assertAlmostEqual(analytic[name][i], (up - down) / (2 * eps), places=5,
                                       msg=f"{name}{i}")


class TestSGDMomentum(unittest.TestCase):
    def test_velocity_accumulates(self):
        params = {"W": np.zeros(2)}
        grads = {"W": np.ones(2)}
        opt = SGDMomentum(params, lr=0.1, momentum=0.5)
        opt.step(params, grads)
        opt.step(params, grads)
        # v1 = -0.1, v2 = 0.5 * -0.1 - 0.1 = -0.15, p = -0.25
        np.testing.assert_allclose(opt.velocity["W"], [-0.15, -0.15])
        np.testing.assert_allclose(params["W"], [-0.25, -0.25])

    def test_weight_decay_only_on_matrices(self):
        params = {"W1": np.ones(2), "b1": np.ones(2)}
        grads = {"W1": np.zeros(2), "b1": np.zeros(2)}
        SGDMomentum(params, lr=1.0, momentum=0.0, weight_decay=0.1).step(params, grads)
        np.testing.assert_allclose(params["W1"], [0.9, 0.9])
        np.testing.assert_allclose(params["b1"], [1.0, 1.0])


if __name__ == "__main__":
    unittest.main()
