from yacs.config import CfgNode as CN

# Every key a config file may set lives here. Keep the yaml files short: they only
# carry what differs from these values.
_C = CN()
_C.VERSION = 1

_C.MODEL = CN()
_C.MODEL.DEVICE = "cpu"
# Weights to start from (model only, no optimizer). Empty means random init.
_C.MODEL.WEIGHTS = ""
_C.MODEL.IN_FEATURES = 16
_C.MODEL.HIDDEN_DIM = 64
_C.MODEL.NUM_CLASSES = 4

_C.INPUT = CN()
_C.INPUT.NUM_SAMPLES = 4096
# Seconds spent preparing one batch. The toy data is instant; this stands in for the
# decode/augment cost of the real pipeline so timings in log.txt look like the real ones.
_C.INPUT.READ_LATENCY = 0.0

_C.SOLVER = CN()
_C.SOLVER.IMS_PER_BATCH = 32
_C.SOLVER.BASE_LR = 0.05
_C.SOLVER.MOMENTUM = 0.9
_C.SOLVER.WEIGHT_DECAY = 1e-4
_C.SOLVER.MAX_ITER = 3000
_C.SOLVER.STEPS = (2000,)
_C.SOLVER.GAMMA = 0.1
# How often the PeriodicCheckpointer fires.
_C.SOLVER.CHECKPOINT_PERIOD = 120

_C.TEST = CN()
# Run the held-out evaluation every this many iterations; 0 disables it.
_C.TEST.EVAL_PERIOD = 0

# Metrics printer / json writer period, in iterations.
_C.LOG_PERIOD = 20
_C.OUTPUT_DIR = "./output"
_C.SEED = 0
