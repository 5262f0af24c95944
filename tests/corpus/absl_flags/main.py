r"""Trains the teacher/student MLP.

  python main.py --workdir=runs/base --config=configs/base.py \
      [--override=num_steps=3000 ...] [--resume]
"""

import os
import sys

from absl import app
from absl import flags
from absl import logging

import config_lib
import heartbeat
import train_lib

FLAGS = flags.FLAGS

flags.DEFINE_string('workdir', None, 'Where checkpoints, metrics and logs go.')
flags.DEFINE_string('config', 'configs/base.py',
                    'Python file whose get_config() returns the config.')
flags.DEFINE_multi_string('override', [],
                          'key=value, applied to the config; repeatable.')
flags.DEFINE_bool('resume', False,
                  'Continue from the newest checkpoint in --workdir instead '
                  'of starting at step 0.')
flags.mark_flag_as_required('workdir')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('Too many command-line arguments.')

  log_dir = os.path.join(FLAGS.workdir, 'logs')
  os.makedirs(log_dir, exist_ok=True)
  logging.get_absl_handler().use_absl_log_file('train', log_dir)
  logging.info('Command line: %s', ' '.join(sys.argv))

  config = config_lib.load_config(FLAGS.config, FLAGS.override)
  logging.info('Config:\n%s', config)

  beat = heartbeat.Heartbeat(os.path.join(FLAGS.workdir, 'heartbeat'),
                             every_secs=config.heartbeat_every_secs)
  beat.start()
  try:
    train_lib.train_and_evaluate(config, FLAGS.workdir, resume=FLAGS.resume)
  finally:
    beat.stop()


if __name__ == '__main__':
  app.run(main)
