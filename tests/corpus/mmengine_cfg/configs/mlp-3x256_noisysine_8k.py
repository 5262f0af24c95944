_base_ = [
    '_base_/datasets/noisy_sine.py',
    '_base_/schedules/schedule_8k.py',
    '_base_/default_runtime.py',
]

custom_imports = dict(imports=['toyreg'], allow_failed_imports=False)

model = dict(
    type='MLPRegressor', in_dim=1, hidden_dims=(256, 256, 256), out_dim=1)

train_dataloader = dict(batch_size=512)

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1000),
)
