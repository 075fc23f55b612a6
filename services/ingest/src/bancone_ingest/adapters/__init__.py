"""Ingest's edges: the embedders and the Qdrant knowledge index."""
