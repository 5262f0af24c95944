from absl.testing import absltest

import config_lib


class ConfigLibTest(absltest.TestCase):

  def test_load_base_config_with_overrides(self):
    config = config_lib.load_config(
        'configs/base.py', ['num_steps=10', 'learning_rate=0.1',
                            'heartbeat_every_secs=2'])
    self.assertEqual(config.num_steps, 10)
    self.assertEqual(config.learning_rate, 0.1)
    self.assertIsInstance(config.heartbeat_every_secs, float)

  def test_unknown_field_is_an_error(self):
    with self.assertRaises(KeyError):
      config_lib.apply_overrides(config_lib.ConfigDict(a=1), ['b=2'])

  def test_bool_override(self):
    config = config_lib.ConfigDict(flag=False)
    config_lib.apply_overrides(config, ['flag=true'])
    self.assertIs(config.flag, True)


if __name__ == '__main__':
  absltest.main()
