"""Two-layer MLP, its optimizer, data and checkpoint files, all in plain NumPy."""
