_base_ = ['./_base_/default_runtime.py']

model = dict(type='ToyMLP', in_dim=8, hidden=32, num_classes=3)

train_dataloader = dict(
    batch_size=16,
    shuffle=True,
    # read_delay: seconds per sample; 0.05 makes an epoch take ~40 s, like the real shards
    dataset=dict(type='ToyBlobs', num_samples=800, read_delay=0.05),
)

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))

train_cfg = dict(by_epoch=True, max_epochs=8)

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=True),
    logger=dict(type='LoggerHook', interval=10),
)

# pick up from work_dirs/mlp_toy/last_checkpoint when a previous run left one
resume = True
