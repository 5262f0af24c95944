# a baby character-level GPT on the generated corpus in data/chars
# runs on a laptop CPU in well under a minute

out_dir = 'out'
eval_interval = 100  # evaluate (and checkpoint) every 100 iterations
eval_iters = 20
log_interval = 10    # print the training loss every 10 iterations

dataset = 'chars'
batch_size = 16
block_size = 64

n_layer = 2
n_head = 2
n_embd = 32
dropout = 0.0

learning_rate = 2e-3
max_iters = 600
lr_decay_iters = 600
min_lr = 2e-4
warmup_iters = 50
