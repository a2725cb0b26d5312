"""The earlier readers, kept for ablations: best sentence, and spaCy spans with a logistic
scorer (``reader="sentence"`` / ``"span"``)."""
