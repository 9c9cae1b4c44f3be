"""Check the build host before `make docker-push`: client, daemon, BuildKit, QEMU, registry.

Each check is ok, a warning or a failure, with the fix in one line. One
module per thing a build leans on: docker (the client, its daemon, BuildKit,
`docker manifest`), engine (buildx, the image store, and which path, builder:
docker or builder: buildx, fits this host), qemu (binfmt handlers to run foreign arches),
registry_access (reach the registry and log in); checklist runs them in the
order a build needs them. Callers import from here.
"""

from mkmultiarch.arches import host_arch
from mkmultiarch.inspect.doctor.checklist import run
from mkmultiarch.inspect.doctor.docker import Runner, check_docker, run_command
from mkmultiarch.inspect.doctor.dockerfile import check_dockerfile
from mkmultiarch.inspect.doctor.engine import check_engine
from mkmultiarch.inspect.doctor.qemu import BINFMT_DIR, check_qemu
from mkmultiarch.inspect.doctor.registry_access import check_registry

__all__ = [
    "BINFMT_DIR",
    "Runner",
    "check_docker",
    "check_dockerfile",
    "check_engine",
    "check_qemu",
    "check_registry",
    "host_arch",
    "run",
    "run_command",
]
