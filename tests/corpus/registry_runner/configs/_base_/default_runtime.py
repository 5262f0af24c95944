default_scope = 'minirun'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=True),
)

# extra hooks, e.g. [dict(type='StatusFileHook', filename='status.json')]
custom_hooks = []

randomness = dict(seed=0)
log_level = 'INFO'
load_from = None
resume = False
