"""One process supervisor for `make run`, the benchmarks and the e2e tests (dev-only).

Kept out of `bancone_kit`, which every service image installs: supervising processes is a
developer-machine and CI concern, never a service's.
"""

from bancone_devstack.logs import log_has_line, readable_tail, rotate, tail_text
from bancone_devstack.ports import free_port, port_in_use
from bancone_devstack.process import Child, Stopped
from bancone_devstack.readiness import ExitedBeforeReadyError, NotReadyError, wait_ready
from bancone_devstack.supervisor import Restarted, RestartPolicy, Supervisor, together

__all__ = [
    "Child",
    "ExitedBeforeReadyError",
    "NotReadyError",
    "RestartPolicy",
    "Restarted",
    "Stopped",
    "Supervisor",
    "free_port",
    "log_has_line",
    "port_in_use",
    "readable_tail",
    "rotate",
    "tail_text",
    "together",
    "wait_ready",
]
