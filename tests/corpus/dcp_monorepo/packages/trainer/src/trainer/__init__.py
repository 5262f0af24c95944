"""Training for forecast-lab models."""
