"""Default hyperparameters for the teacher/student MLP."""

from config_lib import ConfigDict


def get_config():
  config = ConfigDict()
  config.seed = 42

  # Problem and model.
  config.input_dim = 16
  config.teacher_hidden = 32
  config.hidden_dims = (64, 64)

  # Optimisation.
  config.batch_size = 128
  config.learning_rate = 3e-3
  config.num_steps = 1500

  # Input pipeline. Mimics reading shards from remote storage; tests set 0.
  config.simulated_read_latency_ms = 180
  config.eval_batch_size = 1024

  # Reporting.
  config.log_every_steps = 25
  config.eval_every_steps = 300
  config.heartbeat_every_secs = 30.0

  # Checkpointing.
  config.checkpoint_period = 120
  config.max_checkpoints_to_keep = 3
  return config
