#!/usr/bin/env bash
# One node, all eight GPUs. Extra arguments go to train.py.
set -euo pipefail
cd "$(dirname "$0")/.."
deepspeed --num_gpus 8 train.py --deepspeed_config ds_config.json --save_dir checkpoints "$@" \
    2>&1 | tee -a train_$(date +%Y%m%d).log
