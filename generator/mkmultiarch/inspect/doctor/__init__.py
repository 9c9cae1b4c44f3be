"""Check the build host before `make docker-push`: client, daemon, BuildKit, QEMU, registry.

Callers import from here, so that the checks can live in one module per job.
"""

from mkmultiarch.inspect.doctor.docker import (
    BINFMT_DIR,
    Runner,
    check_docker,
    check_qemu,
    check_registry,
    host_arch,
    run,
    run_command,
)

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
