"""Bancone shared runtime."""
