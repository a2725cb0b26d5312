"""Evaluation suite: reference sets, metrics and runner."""
