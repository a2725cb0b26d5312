"""Training recipe for the extractive reader shipped in qa/models/reader/ (not used at run time).

Run ``python -m train.run --help``; the README's "Retraining the reader" section has the recipe.
"""
