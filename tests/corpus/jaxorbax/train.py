"""Training and evaluation loop for the MLP regression example."""

from absl import logging
from etils import epath
from flax.training import train_state
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import orbax.checkpoint as ocp
import tensorflow as tf

import input_pipeline
import models


def create_train_state(rng, config: ml_collections.ConfigDict) -> train_state.TrainState:
  model = models.MLP(hidden_sizes=config.hidden_sizes)
  params = model.init(rng, jnp.ones((1, config.num_features)))['params']
  tx = optax.adam(config.learning_rate)
  return train_state.TrainState.create(apply_fn=model.apply, params=params, tx=tx)


@jax.jit
def train_step(state, batch):
  def loss_fn(params):
    pred = state.apply_fn({'params': params}, batch['x'])
    return jnp.mean((pred - batch['y']) ** 2)

  loss, grads = jax.value_and_grad(loss_fn)(state.params)
  return state.apply_gradients(grads=grads), loss


@jax.jit
def eval_step(state, batch):
  pred = state.apply_fn({'params': state.params}, batch['x'])
  return jnp.mean((pred - batch['y']) ** 2)


def evaluate(state, config) -> float:
  eval_iter = input_pipeline.batches(config, split='eval')
  losses = [eval_step(state, next(eval_iter)) for _ in range(config.num_eval_batches)]
  return float(np.mean(jax.device_get(losses)))


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> train_state.TrainState:
  """Runs the training loop; checkpoints and TensorBoard summaries go to workdir."""
  workdir = epath.Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)

  state = create_train_state(jax.random.key(config.seed), config)

  options = ocp.CheckpointManagerOptions(
      save_interval_steps=config.checkpoint_every_steps,
      max_to_keep=config.max_checkpoints_to_keep,
      create=True,
  )
  mngr = ocp.CheckpointManager(workdir / 'checkpoints', options=options)
  latest = mngr.latest_step()
  if latest is not None:
    state = mngr.restore(latest, args=ocp.args.StandardRestore(state))
    logging.info('Restored checkpoint from step %d', latest)
  initial_step = int(state.step) + 1

  writer = tf.summary.create_file_writer(str(workdir / 'tensorboard'))
  train_iter = input_pipeline.batches(config, start_step=initial_step)

  logging.info('Starting training loop at step %d.', initial_step)
  for step in range(initial_step, config.num_train_steps + 1):
    state, loss = train_step(state, next(train_iter))
    # the manager only writes when step % save_interval_steps == 0
    mngr.save(step, args=ocp.args.StandardSave(state))

    with writer.as_default():
      tf.summary.scalar('train_loss', loss, step=step)
    if step % config.log_every_steps == 0:
      print(f'step {step}: train_loss={float(loss):.5f}', flush=True)

    if step % config.eval_every_steps == 0 or step == config.num_train_steps:
      eval_loss = evaluate(state, config)
      print(f'step {step}: eval_loss={eval_loss:.5f}', flush=True)
      with writer.as_default():
        tf.summary.scalar('eval_loss', eval_loss, step=step)

  mngr.wait_until_finished()
  mngr.close()
  writer.flush()
  return state
