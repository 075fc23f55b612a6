"""Ports for processes on one machine: a free one picked by the kernel, or a check that the
planned one (default + offset) is not taken, so a clash is named before anything starts."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the kernel's pick; free again once returned)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    """Whether binding `host:port` fails — someone else listens there."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def offset_port(default: int, offset: int) -> int:
    """The port of a second instance beside the first: every default shifted by one offset."""
    return default + offset
