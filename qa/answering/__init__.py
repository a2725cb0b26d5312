"""Answering: follow-up resolution, composing the Answer, and exporting a conversation."""
