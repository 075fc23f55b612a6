"""A local stand-in for Meta's WhatsApp Cloud API send endpoint, for runs and tests.

State lives in memory: restarting the sandbox forgets channels, messages and faults.
"""

from bancone_sandbox.app import create_app
from bancone_sandbox.settings import ChannelConfig, SandboxSettings

__all__ = ["ChannelConfig", "SandboxSettings", "create_app"]
