"""Bancone ingest service."""
