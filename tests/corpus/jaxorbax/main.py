"""Entry point: python main.py --workdir=/tmp/mlp --config=configs/default.py"""

from absl import app
from absl import flags
from absl import logging
import jax
from ml_collections import config_flags
import tensorflow as tf

import train

FLAGS = flags.FLAGS

flags.DEFINE_string('workdir', None, 'Directory for checkpoints and TensorBoard summaries.')
config_flags.DEFINE_config_file(
    'config', None, 'File path to the training hyperparameter configuration.', lock_config=True)
flags.mark_flags_as_required(['config', 'workdir'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('Too many command-line arguments.')
  # keep TensorFlow (used only for summaries) off the accelerators
  tf.config.experimental.set_visible_devices([], 'GPU')
  logging.info('JAX devices: %r', jax.devices())
  train.train_and_evaluate(FLAGS.config, FLAGS.workdir)


if __name__ == '__main__':
  app.run(main)
