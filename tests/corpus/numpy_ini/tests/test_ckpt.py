import os
import tempfile
import unittest

import numpy as np

from mlp import ckpt
from mlp.model import MLP
from mlp.optim import SGDMomentum


class TestSnapshots(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.rng = np.random.default_rng(3)
        self.model = MLP(4, 8, 2, self.rng)
        self.opt = SGDMomentum(self.model.params)
        x, y = self.rng.standard_normal((5, 4)), np.array([0, 1, 1, 0, 1])
        self.model.loss_and_grads(x, y)
        self.opt.step(self.model.params, self.model.grads)

    def tearDown(self):
        self.tmp.cleanup()

    def test_roundtrip_restores_weights_velocity_and_rng(self):
        path = ckpt.save(self.dir, 12, self.model, self.opt, self.rng, 0.75)
        expected_draw = self.rng.random(3)

        rng2 = np.random.default_rng(99)
        model2 = MLP(4, 8, 2, rng2)
        opt2 = SGDMomentum(model2.params)
        step, best = ckpt.restore(ckpt.load(path), model2, opt2, rng2)

        self.assertEqual((step, best), (12, 0.75))
        for k in self.model.params:
            np.testing.assert_array_equal(model2.params[k], self.model.params[k])
            np.testing.assert_array_equal(opt2.velocity[k], self.opt.velocity[k])
        np.testing.assert_array_equal(rng2.random(3), expected_draw)

    def test_no_temporary_file_left(self):
        ckpt.save(self.dir, 5, self.model, self.opt, self.rng, 1.0)
        self.assertEqual(os.listdir(self.dir), ["ckpt_0000005.npz"])

    def test_latest_is_highest_step(self):
        for step in (900, 10000, 40):
            ckpt.save(self.dir, step, self.model, self.opt, self.rng, 1.0)
        self.assertTrue(ckpt.latest(self.dir).endswith("ckpt_0010000.npz"))

    def test_latest_of_empty_dir(self):
        self.assertIsNone(ckpt.latest(self.dir))


if __name__ == "__main__":
    unittest.main()
