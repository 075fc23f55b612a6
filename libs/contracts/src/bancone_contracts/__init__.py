"""Bancone event contracts."""
