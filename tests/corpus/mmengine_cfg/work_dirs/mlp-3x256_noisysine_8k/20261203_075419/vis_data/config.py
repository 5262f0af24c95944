custom_hooks = [
    dict(interval=25, type='ProgressFileHook'),
]
custom_imports = dict(
    allow_failed_imports=False, imports=[
        'toyreg',
    ])
dataset_type = 'NoisySineDataset'
default_hooks = dict(
    checkpoint=dict(
        by_epoch=False, interval=1000, max_keep_ckpts=3,
        type='CheckpointHook'),
    logger=dict(interval=50, log_metric_by_epoch=False, type='LoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'))
default_scope = 'mmengine'
env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
launcher = 'none'
load_from = None
log_level = 'INFO'
log_processor = dict(by_epoch=False, window_size=10)
model = dict(
    hidden_dims=(
        256,
        256,
        256,
    ), in_dim=1, out_dim=1, type='MLPRegressor')
optim_wrapper = dict(
    optimizer=dict(lr=0.003, type='AdamW', weight_decay=0.0001),
    type='OptimWrapper')
param_scheduler = [
    dict(begin=0, by_epoch=False, end=200, start_factor=0.1, type='LinearLR'),
    dict(
        begin=200,
        by_epoch=False,
        end=8000,
        eta_min=1e-05,
        type='CosineAnnealingLR'),
]
randomness = dict(seed=0)
resume = False
train_cfg = dict(max_iters=8000, type='IterBasedTrainLoop')
train_dataloader = dict(
    batch_size=512,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        noise=0.05, num_samples=4096, seed=1234, type='NoisySineDataset'),
    num_workers=0,
    sampler=dict(shuffle=True, type='InfiniteSampler'))
vis_backends = [
    dict(type='LocalVisBackend'),
]
visualizer = dict(
    type='Visualizer', vis_backends=[
        dict(type='LocalVisBackend'),
    ])
work_dir = './work_dirs/mlp-3x256_noisysine_8k'
