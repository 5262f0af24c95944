import os

import torch

from utils.checkpoint_saver import CheckpointSaver, resume_checkpoint


def _saver(tmp_path, hist=2, decreasing=False):
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return CheckpointSaver(model, opt, checkpoint_dir=str(tmp_path), recovery_dir=str(tmp_path),
                           decreasing=decreasing, max_history=hist), model, opt


def test_keeps_only_best_history(tmp_path):
    saver, _, _ = _saver(tmp_path, hist=2)
    for epoch, top1 in enumerate([10.0, 30.0, 20.0, 5.0]):
        saver.save_checkpoint(epoch, metric=top1)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert 'checkpoint-1.pth.tar' in names and 'checkpoint-2.pth.tar' in names
    assert 'checkpoint-0.pth.tar' not in names and 'checkpoint-3.pth.tar' not in names
    assert torch.load(tmp_path / 'model_best.pth.tar', weights_only=False)['epoch'] == 1
    assert torch.load(tmp_path / 'last.pth.tar', weights_only=False)['epoch'] == 3


def test_lower_is_better_for_loss(tmp_path):
    saver, _, _ = _saver(tmp_path, hist=1, decreasing=True)
    saver.save_checkpoint(0, metric=2.0)
    best, best_epoch = saver.save_checkpoint(1, metric=1.5)
    assert (best, best_epoch) == (1.5, 1)


def test_recovery_files_rotate(tmp_path):
    saver, _, _ = _saver(tmp_path)
    for batch_idx in (39, 79, 99):
        saver.save_recovery(3, batch_idx=batch_idx)
    recovery = sorted(p.name for p in tmp_path.glob('recovery-*.pth.tar'))
    assert recovery == ['recovery-3-79.pth.tar', 'recovery-3-99.pth.tar']


def test_resume_checkpoint_returns_next_epoch(tmp_path):
    saver, model, opt = _saver(tmp_path)
    saver.save_checkpoint(4, metric=1.0)
    fresh = torch.nn.Linear(4, 2)
    epoch = resume_checkpoint(fresh, os.path.join(tmp_path, 'last.pth.tar'))
    assert epoch == 5
    assert torch.equal(fresh.weight, model.weight)
