"""Indexing: chunks embedded and saved as one checksummed folder (vectors, BM25, chunks,
manifest); ``build`` makes or updates an index, ``folder`` is its on-disk format."""
