"""Policy checks over rendered Kubernetes manifests: each returns the problems it finds.

The tests in this folder run them over `kustomize build` of every overlay (they must find
nothing) and over deliberately broken copies (they must find the break). What "right" means
is taken from the code wherever the code says it: topics from `bancone_contracts.topics`,
consumer groups and produced topics from `bancone_contracts.subscriptions`, settings from each
service's pydantic settings class, console scripts from each `pyproject.toml`.

One module per concern; this package re-exports them so a test reads `policy.<check>`.
"""

from __future__ import annotations

from .documents import *  # noqa: F403
from .kafka import *  # noqa: F403
from .network import *  # noqa: F403
from .postgres import *  # noqa: F403
from .settings_env import *  # noqa: F403
from .workloads import *  # noqa: F403
