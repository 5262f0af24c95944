import sys
from pathlib import Path

# the project is a flat folder of modules, run from its root
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
