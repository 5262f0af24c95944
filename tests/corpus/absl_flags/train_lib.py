"""Training and evaluation of the student MLP."""

import os
import time

from absl import logging
import torch
import torch.nn.functional as F

import checkpoint_lib
import input_pipeline
import metric_writers
import models


def evaluate(model, batch):
  x, y = batch
  model.eval()
  with torch.no_grad():
    loss = F.mse_loss(model(x), y).item()
  model.train()
  return loss


def _state(step, model, optimizer):
  return {'step': step, 'model': model.state_dict(),
          'optimizer': optimizer.state_dict()}


def train_and_evaluate(config, workdir, resume=False):
  """Trains for config.num_steps steps, writing everything under `workdir`.

  Args:
    config: a ConfigDict, see configs/base.py.
    workdir: checkpoints/, metrics.jsonl go here.
    resume: continue from the newest checkpoint in workdir/checkpoints. When
      False the run starts at step 0 even if checkpoints are there.

  Returns:
    A dict with the first and last step run and the final eval loss.
  """
  os.makedirs(workdir, exist_ok=True)
  torch.manual_seed(config.seed)
  teacher = models.make_teacher(config)
  model = models.MLP(config.input_dim, config.hidden_dims)
  optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)

  manager = checkpoint_lib.CheckpointManager(
      os.path.join(workdir, 'checkpoints'), config.max_checkpoints_to_keep)
  start_step = 0
  latest = manager.latest_step()
  if resume and latest is not None:
    state = manager.restore(latest)
    model.load_state_dict(state['model'])
    optimizer.load_state_dict(state['optimizer'])
    start_step = state['step']
    logging.info('Resumed from %s at step %d.', manager.path_for(latest),
                 start_step)
  elif resume:
    logging.warning('--resume given but %s holds no checkpoint; starting at '
                    'step 0.', manager.directory)
  elif latest is not None:
    logging.warning('%s already holds checkpoints up to step %d; starting at '
                    'step 0 anyway (pass --resume to continue).',
                    manager.directory, latest)

  writer = metric_writers.JsonlWriter(os.path.join(workdir, 'metrics.jsonl'))
  batches = input_pipeline.train_iterator(teacher, config, start_step)
  held_out = input_pipeline.eval_batch(teacher, config)
  logging.info('Training from step %d to %d.', start_step + 1, config.num_steps)

  eval_loss = evaluate(model, held_out)
  window, window_start = [], time.time()
  step = start_step
  for step in range(start_step + 1, config.num_steps + 1):
    x, y = next(batches)
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    window.append(loss.item())

    if step % config.log_every_steps == 0:
      elapsed = time.time() - window_start
      writer.write_scalars(step, {'train_loss': sum(window) / len(window),
                                  'steps_per_sec': len(window) / elapsed})
      window, window_start = [], time.time()

    if step % config.eval_every_steps == 0 or step == config.num_steps:
      eval_loss = evaluate(model, held_out)
      writer.write_scalars(step, {'eval_loss': eval_loss})
      logging.info('step %d: eval_loss=%.6f', step, eval_loss)

    if step % config.checkpoint_period == 0 or step == config.num_steps:
      path = manager.save(step, _state(step, model, optimizer))
      logging.info('Saved checkpoint %s', path)

  writer.close()
  logging.info('Finished at step %d, eval_loss=%.6f.', step, eval_loss)
  return {'start_step': start_step, 'step': step, 'eval_loss': eval_loss}
