#!/usr/bin/env python3
""" Image classification training script (synthetic data, tiny CNNs)

Loosely follows pytorch-image-models' train.py: same flags where they mean the same thing,
same checkpoint names, same summary.csv. Stripped of distributed, AMP, EMA and mixup.
"""
import argparse
import logging
import os
import time
from collections import OrderedDict
from datetime import datetime

import torch
import torch.nn as nn
import yaml
from torch.utils.data import DataLoader

from data import SyntheticImages
from models import create_model
from utils import AverageMeter, CheckpointSaver, accuracy, get_outdir, resume_checkpoint, update_summary

try:
    import wandb
    has_wandb = True
except ImportError:
    has_wandb = False

_logger = logging.getLogger('train')

# The first arg parser parses out only the --config argument, this argument is used to
# load a yaml file containing key-values that override the defaults for the main parser below
config_parser = parser = argparse.ArgumentParser(description='Training Config', add_help=False)
parser.add_argument('-c', '--config', default='', type=str, metavar='FILE',
                    help='YAML config file specifying default arguments')

parser = argparse.ArgumentParser(description='Tiny image classification training')

group = parser.add_argument_group('Dataset parameters')
group.add_argument('--num-classes', type=int, default=10, metavar='N', help='number of label classes')
group.add_argument('--img-size', type=int, default=32, metavar='N', help='image size')
group.add_argument('--train-size', type=int, default=3200, metavar='N', help='synthetic train images')
group.add_argument('--val-size', type=int, default=320, metavar='N', help='synthetic val images')
group.add_argument('--fake-io-ms', type=float, default=0., metavar='MS',
                   help='per-image sleep in the dataset, mimics decode/disk time (default: 0)')
group.add_argument('-j', '--workers', type=int, default=0, metavar='N', help='data loading workers')

group = parser.add_argument_group('Model parameters')
group.add_argument('--model', default='tiny_cnn', type=str, metavar='MODEL', help='model name')
group.add_argument('--drop', type=float, default=0.0, metavar='PCT', help='dropout rate')
group.add_argument('--resume', default='', type=str, metavar='PATH',
                   help='Resume full model and optimizer state from checkpoint (default: none)')
group.add_argument('--no-resume-opt', action='store_true', default=False,
                   help='prevent resume of optimizer state when resuming model')
group.add_argument('-b', '--batch-size', type=int, default=32, metavar='N', help='input batch size')
group.add_argument('-vb', '--validation-batch-size', type=int, default=None, metavar='N')

group = parser.add_argument_group('Optimizer parameters')
group.add_argument('--opt', default='sgd', type=str, metavar='OPTIMIZER', help='sgd or adamw')
group.add_argument('--momentum', type=float, default=0.9, metavar='M')
group.add_argument('--weight-decay', type=float, default=1e-4)
group.add_argument('--lr', type=float, default=0.05, metavar='LR', help='learning rate')
group.add_argument('--epochs', type=int, default=10, metavar='N', help='number of epochs to train')
group.add_argument('--start-epoch', default=None, type=int, metavar='N',
                   help='manual epoch number (useful on restarts)')

group = parser.add_argument_group('Miscellaneous parameters')
group.add_argument('--seed', type=int, default=42, metavar='S', help='random seed')
group.add_argument('--log-interval', type=int, default=50, metavar='N',
                   help='how many batches to wait before logging training status')
group.add_argument('--recovery-interval', type=int, default=0, metavar='N',
                   help='how many batches to wait before writing recovery checkpoint')
group.add_argument('--checkpoint-hist', type=int, default=10, metavar='N',
                   help='number of checkpoints to keep (default: 10)')
group.add_argument('--output', default='', type=str, metavar='PATH',
                   help='path to output folder (default: none, current dir)')
group.add_argument('--experiment', default='', type=str, metavar='NAME',
                   help='name of train experiment, name of sub-folder for output')
group.add_argument('--eval-metric', default='top1', type=str, metavar='EVAL_METRIC')
group.add_argument('--log-wandb', action='store_true', default=False,
                   help='log training and validation metrics to wandb')


def _parse_args():
    # Do we have a config file to parse?
    args_config, remaining = config_parser.parse_known_args()
    if args_config.config:
        with open(args_config.config, 'r') as f:
            cfg = yaml.safe_load(f)
            parser.set_defaults(**cfg)

    # The main arg parser parses the rest of the args, the usual
    # defaults will have been overridden if config file specified.
    args = parser.parse_args(remaining)

    # Cache the args as a text string to save them in the output dir later
    args_text = yaml.safe_dump(args.__dict__, default_flow_style=False)
    return args, args_text


def setup_logging(log_file=None):
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter('%(message)s'))
    root.addHandler(console)
    if log_file:
        fh = logging.FileHandler(log_file, mode='a')
        fh.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(message)s'))
        root.addHandler(fh)


def main():
    args, args_text = _parse_args()
    torch.manual_seed(args.seed)

    if args.experiment:
        exp_name = args.experiment
    else:
        exp_name = '-'.join([datetime.now().strftime("%Y%m%d-%H%M%S"), args.model, str(args.img_size)])
    output_dir = get_outdir(args.output if args.output else './output/train', exp_name)
    setup_logging(os.path.join(output_dir, 'log.txt'))

    model = create_model(args.model, num_classes=args.num_classes, drop_rate=args.drop)
    _logger.info(f'Model {args.model} created, param count: {sum(p.numel() for p in model.parameters())}')

    if args.opt == 'adamw':
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                                    weight_decay=args.weight_decay, nesterov=True)

    # optionally resume from a checkpoint
    resume_epoch = None
    if args.resume:
        resume_epoch = resume_checkpoint(
            model, args.resume, optimizer=None if args.no_resume_opt else optimizer)

    lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    start_epoch = 0
    if args.start_epoch is not None:
        start_epoch = args.start_epoch
    elif resume_epoch is not None:
        start_epoch = resume_epoch
    for _ in range(start_epoch):
        lr_scheduler.step()
    _logger.info(f'Scheduled epochs: {args.epochs}. Starting at epoch {start_epoch}.')

    dataset_train = SyntheticImages(args.train_size, args.num_classes, args.img_size, seed=args.seed,
                                    io_ms=args.fake_io_ms)
    dataset_eval = SyntheticImages(args.val_size, args.num_classes, args.img_size, seed=args.seed + 1,
                                   io_ms=args.fake_io_ms)
    loader_train = DataLoader(dataset_train, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers, drop_last=True)
    loader_eval = DataLoader(dataset_eval, batch_size=args.validation_batch_size or args.batch_size,
                             num_workers=args.workers)
    train_loss_fn = nn.CrossEntropyLoss()
    validate_loss_fn = nn.CrossEntropyLoss()

    eval_metric = args.eval_metric
    decreasing = True if eval_metric == 'loss' else False
    saver = CheckpointSaver(
        model=model, optimizer=optimizer, args=args, checkpoint_dir=output_dir,
        recovery_dir=output_dir, decreasing=decreasing, max_history=args.checkpoint_hist)
    with open(os.path.join(output_dir, 'args.yaml'), 'w') as f:
        f.write(args_text)

    if args.log_wandb:
        if has_wandb:
            wandb.init(project=args.experiment or 'tiny-cls', config=args)
        else:
            _logger.warning("You've requested to log metrics to wandb but package not found.")

    best_metric = None
    best_epoch = None
    try:
        for epoch in range(start_epoch, args.epochs):
            train_metrics = train_one_epoch(
                epoch, model, loader_train, optimizer, train_loss_fn, args, saver=saver)
            eval_metrics = validate(model, loader_eval, validate_loss_fn, args)

            lrs = [param_group['lr'] for param_group in optimizer.param_groups]
            update_summary(
                epoch, train_metrics, eval_metrics, filename=os.path.join(output_dir, 'summary.csv'),
                lr=sum(lrs) / len(lrs), write_header=best_metric is None)
            if args.log_wandb and has_wandb:
                wandb.log(dict(epoch=epoch, **train_metrics, **eval_metrics))

            # save proper checkpoint with eval metric
            save_metric = eval_metrics[eval_metric]
            best_metric, best_epoch = saver.save_checkpoint(epoch, metric=save_metric)

            lr_scheduler.step()
    except KeyboardInterrupt:
        pass

    if best_metric is not None:
        _logger.info('*** Best metric: {0} (epoch {1})'.format(best_metric, best_epoch))


def train_one_epoch(epoch, model, loader, optimizer, loss_fn, args, saver=None):
    batch_time_m = AverageMeter()
    data_time_m = AverageMeter()
    losses_m = AverageMeter()

    model.train()

    end = time.time()
    last_idx = len(loader) - 1
    for batch_idx, (input, target) in enumerate(loader):
        last_batch = batch_idx == last_idx
        data_time_m.update(time.time() - end)

        output = model(input)
        loss = loss_fn(output, target)
        losses_m.update(loss.item(), input.size(0))

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        batch_time_m.update(time.time() - end)
        if last_batch or batch_idx % args.log_interval == 0:
            lrl = [param_group['lr'] for param_group in optimizer.param_groups]
            lr = sum(lrl) / len(lrl)
            _logger.info(
                'Train: {} [{:>4d}/{} ({:>3.0f}%)]  '
                'Loss: {loss.val:#.4g} ({loss.avg:#.3g})  '
                'Time: {batch_time.val:.3f}s, {rate:>7.2f}/s  '
                '({batch_time.avg:.3f}s, {rate_avg:>7.2f}/s)  '
                'LR: {lr:.3e}  '
                'Data: {data_time.val:.3f} ({data_time.avg:.3f})'.format(
                    epoch, batch_idx, len(loader), 100. * batch_idx / last_idx,
                    loss=losses_m, batch_time=batch_time_m,
                    rate=input.size(0) / batch_time_m.val, rate_avg=input.size(0) / batch_time_m.avg,
                    lr=lr, data_time=data_time_m))

        if saver is not None and args.recovery_interval and (
                last_batch or (batch_idx + 1) % args.recovery_interval == 0):
            saver.save_recovery(epoch, batch_idx=batch_idx)

        end = time.time()
        # end for

    return OrderedDict([('loss', losses_m.avg)])


def validate(model, loader, loss_fn, args, log_suffix=''):
    batch_time_m = AverageMeter()
    losses_m = AverageMeter()
    top1_m = AverageMeter()
    top5_m = AverageMeter()

    model.eval()

    end = time.time()
    last_idx = len(loader) - 1
    with torch.no_grad():
        for batch_idx, (input, target) in enumerate(loader):
            last_batch = batch_idx == last_idx
            output = model(input)
            loss = loss_fn(output, target)
            acc1, acc5 = accuracy(output, target, topk=(1, 5))
            losses_m.update(loss.item(), input.size(0))
            top1_m.update(acc1.item(), output.size(0))
            top5_m.update(acc5.item(), output.size(0))
            batch_time_m.update(time.time() - end)
            end = time.time()
            if last_batch:
                log_name = 'Test' + log_suffix
                _logger.info(
                    '{0}: [{1:>4d}/{2}]  '
                    'Time: {batch_time.val:.3f} ({batch_time.avg:.3f})  '
                    'Loss: {loss.val:>7.3f} ({loss.avg:>6.3f})  '
                    'Acc@1: {top1.val:>7.3f} ({top1.avg:>7.3f})  '
                    'Acc@5: {top5.val:>7.3f} ({top5.avg:>7.3f})'.format(
                        log_name, batch_idx, last_idx, batch_time=batch_time_m,
                        loss=losses_m, top1=top1_m, top5=top5_m))

    return OrderedDict([('loss', losses_m.avg), ('top1', top1_m.avg), ('top5', top5_m.avg)])


if __name__ == '__main__':
    main()
