"""What docker stand-ins in the Makefile tests answer to the release gate (docker-check).

docker-check asks `docker image inspect --format ...` for an image's platform and its
entrypoint. A stand-in answers with the platform the image's tag names
(IMAGE:<arch>-VERSION), or, for an image pulled by digest, the platform it was last
pulled for, and with no entrypoint: the gate then checks the platform only. The real
gate (ELF headers of real images) is proven end to end in tests/e2e.
"""

from __future__ import annotations

ARCH_SUFFIXES = "amd64 arm64 arm-v6 arm-v7 386 ppc64le s390x riscv64"


def inspect_answers(state_dir: str) -> str:
    """Bash lines for a stand-in's script: answer the gate's inspect calls, then exit 0."""
    pulled = f"{state_dir}/pulled-platform"
    return (
        'if [[ $1 == pull ]]; then for a in "$@"; do\n'
        f'  [[ $prev != --platform ]] || echo "$a" > {pulled}; prev=$a; done; exit 0; fi\n'
        "if [[ $1 == image && $2 == inspect && $3 == --format ]]; then\n"
        "  [[ $4 == *.Os* ]] || exit 0\n"
        "  tag=${*: -1}; tag=${tag##*:}\n"
        f"  for arch in {ARCH_SUFFIXES}; do\n"
        '    if [[ $tag == "$arch"-* ]]; then echo "linux/${arch/-//}"; exit 0; fi\n'
        "  done\n"
        f"  cat {pulled}; exit 0\n"
        "fi\n"
    )
