"""Bancone gateway service."""
