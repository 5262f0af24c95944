# training settings (change here, or pass the flags in train.py)
EPOCHS = 5
BATCH_SIZE = 32
BATCHES_PER_EPOCH = 400
LR = 0.001
HIDDEN = 64

OUTPUT_DIR = "outputs"
CHECKPOINT_EVERY_MIN = 10   # save a checkpoint every 10 minutes
DATA_DELAY = 0.25           # fake slow disk, seconds per batch
