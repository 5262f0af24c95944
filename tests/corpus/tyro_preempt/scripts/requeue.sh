#!/usr/bin/env bash
#SBATCH --job-name=rhea
#SBATCH --partition=preempt
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --signal=USR1@120
#SBATCH --requeue
#SBATCH --output=slurm-%j.out
#
# Launcher for rhea.train on the preemptible partition, and locally:
#
#   RUN_DIR=runs/try1 bash scripts/requeue.sh --max-steps 5000 [more rhea.train flags]
#
# Exit code 99 from the trainer means "caught USR1/TERM, checkpoint written, run me again".
# Under SLURM we hand the job back with `scontrol requeue`; the requeued job has
# SLURM_RESTART_COUNT>0 and gets --resume. Without SLURM we just loop here.
# Any other non-zero exit (crash, OOM kill, node gone) is NOT retried: look first.
set -u

RUN_DIR=${RUN_DIR:-runs/dev}
PYTHON=${PYTHON:-python}
MAX_ATTEMPTS=${MAX_ATTEMPTS:-10}
LOG="$RUN_DIR/train.log"
mkdir -p "$RUN_DIR"

stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }

resume=()
if [[ ${SLURM_RESTART_COUNT:-0} -gt 0 ]]; then
    resume=(--resume)
fi

attempt=$(( ${SLURM_RESTART_COUNT:-0} + 1 ))
while :; do
    echo "=== $(stamp) attempt $attempt on $(hostname) job ${SLURM_JOB_ID:-local} ===" >> "$LOG"
    "$PYTHON" -u -m rhea.train --run-dir "$RUN_DIR" "$@" "${resume[@]}" >> "$LOG" 2>&1
    rc=$?
    if [[ $rc -ne 99 ]]; then
        echo "=== $(stamp) trainer exited $rc; launcher stops ===" >> "$LOG"
        exit $rc
    fi
    if [[ $attempt -ge $MAX_ATTEMPTS ]]; then
        echo "=== $(stamp) preempted again but $MAX_ATTEMPTS attempts used; giving up ===" >> "$LOG"
        exit 99
    fi
    if [[ -n ${SLURM_JOB_ID:-} ]]; then
        echo "=== $(stamp) preempted; scontrol requeue $SLURM_JOB_ID ===" >> "$LOG"
        scontrol requeue "$SLURM_JOB_ID"
        exit 0
    fi
    echo "=== $(stamp) preempted; relaunching with --resume ===" >> "$LOG"
    attempt=$((attempt + 1))
    resume=(--resume)
done
