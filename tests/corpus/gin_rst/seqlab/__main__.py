"""python -m seqlab --gin_file=configs/base.gin [--gin_param='train.max_steps = 500']"""

from seqlab.train import main

main()
