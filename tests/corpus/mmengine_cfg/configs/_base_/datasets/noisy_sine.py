dataset_type = 'NoisySineDataset'

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, num_samples=4096, noise=0.05, seed=1234),
)
