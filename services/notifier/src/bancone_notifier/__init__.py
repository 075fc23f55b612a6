"""Bancone notifier service."""
