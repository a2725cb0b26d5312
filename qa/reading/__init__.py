"""Reading: the neural span reader (models, windows, calibration) that picks the answer
span in the retrieved passages; the earlier readers live in ``baselines``."""
