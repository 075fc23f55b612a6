"""Bancone catalog service."""
