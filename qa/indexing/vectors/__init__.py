"""Vector stores behind one protocol: FAISS files in the index folder, or Milvus."""
