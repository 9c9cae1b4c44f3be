"""Check the build host before `make docker-push`: client, daemon, BuildKit, QEMU, registry.

Callers import from here, so that the checks can live in one module per job.
"""

from mkmultiarch.inspect.doctor.docker import (
    Runner,
    check_docker,
    run,
    run_command,
)
from mkmultiarch.inspect.doctor.qemu import BINFMT_DIR, check_qemu, host_arch
from mkmultiarch.inspect.doctor.registry_access import check_registry

__all__ = [
    "BINFMT_DIR",
    "Runner",
    "check_docker",
    "check_qemu",
    "check_registry",
    "host_arch",
    "run",
    "run_command",
]
