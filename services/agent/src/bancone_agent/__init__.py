"""Bancone agent service."""
