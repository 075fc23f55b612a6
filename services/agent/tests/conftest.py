"""Makes `agent_support` (the agent's test-only helpers) importable by the agent's tests.

With `--import-mode=importlib` pytest puts no test folder on `sys.path`, so helpers shared
by test modules need one entry: this folder. The package name is unique across services
(a bare `support` would collide with another service's helpers in one pytest run).
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
