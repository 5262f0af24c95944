"""Online logistic regression over a synthetic click stream."""
