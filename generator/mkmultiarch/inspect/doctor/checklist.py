"""Every doctor check, in the order a build meets them: docker and the build paths, then QEMU,
then the registry."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from mkmultiarch.arches import host_arch
from mkmultiarch.inspect.checks import Check
from mkmultiarch.inspect.doctor.docker import Runner, run_command
from mkmultiarch.inspect.doctor.dockerfile import check_dockerfile
from mkmultiarch.inspect.doctor.engine import check_engine
from mkmultiarch.inspect.doctor.qemu import BINFMT_DIR, check_qemu
from mkmultiarch.inspect.doctor.registry_access import check_registry
from mkmultiarch.inspect.limits import Deadline


def run(
    *,
    arches: tuple[str, ...],
    language: str,
    registry: str,
    builder: str = "docker",
    docker: str = "docker",
    env: Mapping[str, str] | None = None,
    binfmt_dir: Path = BINFMT_DIR,
    machine: str | None = None,
    runner: Runner = run_command,
    deadline: Deadline | None = None,
    dockerfiles: Sequence[tuple[str | None, Path]] = (),
) -> list[Check]:
    """Every check, in the order a build needs them, for a project's arches, registry and
    builder (the path it uses: docker, or buildx); and a team's own Dockerfiles, if given:
    (image name, path) each, the name None for a one-image project's."""
    environ = os.environ if env is None else env
    checks = check_engine(docker, environ, runner, builder)
    for image, dockerfile in dockerfiles:
        checks += check_dockerfile(dockerfile, image)
    checks += check_qemu(arches, language, host=host_arch(machine), binfmt_dir=binfmt_dir)
    checks += check_registry(registry, environ, deadline)
    return checks
