"""Can this host run the configured arches' images? A QEMU binfmt_misc handler per foreign arch.

Go cross-compiles, so building needs no emulation, but running or testing a
foreign-arch image needs a QEMU binfmt_misc handler, with flag F so that it
works inside containers. A Dockerfile that RUNs commands in the target stage
needs it to build as well.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mkmultiarch.arches import Arch
from mkmultiarch.inspect.checks import Check, CheckOutcome

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
# GOARCH -> the name QEMU (and its binfmt handler) uses
QEMU_NAMES = {
    "amd64": "x86_64",
    "386": "i386",
    "arm64": "aarch64",
    "arm": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}
BINFMT_FIX = (
    "sudo docker run --privileged --rm tonistiigi/binfmt --install {arch} "
    "(or: apt-get install qemu-user-static)"
)


@dataclass(frozen=True)
class BinfmtHandler:
    """One binfmt_misc entry: whether, and how, foreign binaries run here and in containers."""

    name: str
    enabled: bool
    interpreter: str
    flags: str


def read_binfmt(directory: Path) -> list[BinfmtHandler]:
    """The handlers registered in DIRECTORY (binfmt_misc), skipping its control files."""
    handlers = []
    for entry in sorted(directory.iterdir()):
        if entry.name in ("register", "status"):
            continue
        try:
            lines = entry.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
        handlers.append(
            BinfmtHandler(
                name=entry.name,
                enabled=bool(lines) and lines[0].strip() == "enabled",
                interpreter=fields.get("interpreter", "").strip(),
                flags=fields.get("flags:", "").strip(),
            )
        )
    return handlers


def check_qemu(
    arches: tuple[str, ...],
    language: str,
    *,
    host: str,
    binfmt_dir: Path = BINFMT_DIR,
) -> list[Check]:
    """A QEMU binfmt handler for every configured arch the host cannot run natively."""
    foreign = [Arch.parse(token) for token in arches if token != host]
    if language == "go":
        why = "building needs none (Go cross-compiles), but running or testing the image does"
    else:
        why = (
            "running or testing the image needs it, and so does building if your "
            "Dockerfile RUNs commands in the target stage"
        )
    checks = []
    if not foreign:
        return [Check("QEMU", CheckOutcome.OK, f"every configured arch is the host's ({host})")]
    status_file = binfmt_dir / "status"
    if not status_file.exists():
        return [
            Check(
                "QEMU",
                CheckOutcome.WARNING,
                f"binfmt_misc is not mounted at {binfmt_dir}: "
                f"{' '.join(a.platform for a in foreign)} binaries cannot run here; {why}",
                f"sudo mount -t binfmt_misc binfmt_misc {binfmt_dir}; then "
                + BINFMT_FIX.format(arch="all"),
            )
        ]
    if status_file.read_text(encoding="utf-8", errors="replace").strip() != "enabled":
        checks.append(
            Check(
                "QEMU",
                CheckOutcome.WARNING,
                "binfmt_misc is disabled: no foreign binary can run",
                f"echo 1 | sudo tee {status_file}",
            )
        )
    handlers = read_binfmt(binfmt_dir)
    for arch in foreign:
        name = QEMU_NAMES.get(arch.goarch, arch.goarch)
        label = f"QEMU {arch.platform}"
        if host == "amd64" and arch.goarch == "386":
            checks.append(Check(label, CheckOutcome.OK, "x86-64 hosts run 386 binaries natively"))
            continue
        wanted = {f"qemu-{name}", f"qemu-{name}-static"}
        handler = next(
            (h for h in handlers if h.name in wanted or os.path.basename(h.interpreter) in wanted),
            None,
        )
        if handler is None:
            native = host == "arm64" and arch.goarch == "arm"
            detail = f"no qemu-{name} binfmt handler registered; {why}"
            if native:
                detail += " (arm64 CPUs with 32-bit support run it natively)"
            checks.append(
                Check(label, CheckOutcome.WARNING, detail, BINFMT_FIX.format(arch=arch.goarch))
            )
        elif not handler.enabled:
            checks.append(
                Check(
                    label,
                    CheckOutcome.WARNING,
                    f"the {handler.name} handler is registered but disabled; {why}",
                    f"echo 1 | sudo tee {binfmt_dir / handler.name}",
                )
            )
        elif "F" not in handler.flags:
            checks.append(
                Check(
                    label,
                    CheckOutcome.WARNING,
                    f"{handler.name} lacks the F flag: containers cannot find "
                    f"{handler.interpreter or 'the interpreter'}; {why}",
                    "re-register it with F: " + BINFMT_FIX.format(arch=arch.goarch),
                )
            )
        else:
            checks.append(
                Check(
                    label,
                    CheckOutcome.OK,
                    f"{handler.name} enabled (flags {handler.flags}); needed to run or test "
                    "the image, not to build it",
                )
            )
    return checks
