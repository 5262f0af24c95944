"""End-to-end runs of tools/train.py on a shrunken config (a few seconds)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = 'configs/mlp-3x256_noisysine_8k.py'
SMALL = [
    'model.hidden_dims=(16,16)', 'train_dataloader.batch_size=16',
    'default_hooks.logger.interval=10', 'default_hooks.checkpoint.interval=20'
]


def _train(work_dir, max_iters, *extra):
    cmd = [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        f'train_cfg.max_iters={max_iters}', *SMALL
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _log_text(work_dir):
    logs = sorted(Path(work_dir).glob('*/*.log'))
    return logs[-1].read_text()


def test_iter_checkpoints_and_loss_lines(tmp_path):
    _train(tmp_path, 60)
    names = sorted(p.name for p in tmp_path.glob('iter_*.pth'))
    assert names == ['iter_20.pth', 'iter_40.pth', 'iter_60.pth']
    assert (tmp_path / 'last_checkpoint').read_text().strip().endswith(
        'iter_60.pth')
    log = _log_text(tmp_path)
    logged = [int(m) for m in re.findall(r'Iter\(train\) \[\s*(\d+)/60\]', log)]
    assert logged == list(range(10, 61, 10))
    assert 'loss:' in log


@pytest.mark.skipif(
    not os.environ.get('TOYREG_SLOW_TESTS'),
    reason='two runs back to back; set TOYREG_SLOW_TESTS=1')
def test_resume_continues_from_last_checkpoint(tmp_path):
    _train(tmp_path, 40)
    _train(tmp_path, 80, '--resume')
    log = _log_text(tmp_path)
    assert 'resumed from' in log.lower() or 'resumed epoch' in log
    assert re.search(r'Iter\(train\) \[\s*50/80\]', log)
    assert not re.search(r'Iter\(train\) \[\s*10/80\]', log)
