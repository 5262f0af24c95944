"""Default hyperparameters for the MLP regression example."""

import ml_collections


def get_config():
  """Returns the default configuration."""
  config = ml_collections.ConfigDict()

  config.seed = 42
  config.learning_rate = 1e-3
  config.batch_size = 128
  config.num_train_steps = 20_000
  config.hidden_sizes = (128, 128)
  config.num_features = 16

  config.log_every_steps = 100
  config.eval_every_steps = 1_000
  config.num_eval_batches = 10

  config.checkpoint_every_steps = 2_000
  config.max_checkpoints_to_keep = 3
  return config
