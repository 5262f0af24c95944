import sys

import train


def test_yaml_values_become_defaults(tmp_path, monkeypatch):
    cfg = tmp_path / 'args.yaml'
    cfg.write_text('lr: 0.2\nrecovery_interval: 7\nmodel: tiny_cnn_wide\n')
    monkeypatch.setattr(sys, 'argv', ['train.py', '--config', str(cfg), '--lr', '0.3'])
    args, args_text = train._parse_args()
    assert args.recovery_interval == 7
    assert args.model == 'tiny_cnn_wide'
    assert args.lr == 0.3  # command line beats the file
    assert 'recovery_interval: 7' in args_text
