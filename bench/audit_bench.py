"""Benchmark: `mkmultiarch audit` of a generated tree against the local registry.

Pushes LISTS multi-arch lists (amd64 + arm64, over the registry HTTP API; no
build) and SINGLES single-arch amd64 images to the plain test registry, writes
a tree of Kubernetes manifests, Compose files, Dockerfiles and workflows that
use each of them several times (at least 300 references), then audits it with
1 and with 8 workers. Prints the references found, the unique ones, the HTTP
requests the audit made (counted by the resolver's httpx event hook) and the
wall time. Expected: one request per list, two per single-arch image (its
manifest, then its config blob).

Needs the test environment (scripts/test-env.sh):
    python bench/audit_bench.py [--lists 100] [--singles 20] [--uses 3]
"""

from __future__ import annotations

import argparse
import io
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.registry_push import push_image, push_list  # noqa: E402

from mkmultiarch.inspect.audit import check, sources  # noqa: E402
from mkmultiarch.inspect.audit.resolve import Resolver  # noqa: E402

REGISTRY = "127.0.0.1:5000"


def push(prefix: str, lists: int, singles: int) -> list[str]:
    refs = []
    for number in range(lists):
        repo = f"{prefix}/list{number:03d}"
        push_list(REGISTRY, repo, "1.0", [("amd64", ""), ("arm64", "")], attestation=True)
        refs.append(f"{REGISTRY}/{repo}:1.0")
    for number in range(singles):
        repo = f"{prefix}/single{number:03d}"
        push_image(REGISTRY, repo, "1.0", "amd64")
        refs.append(f"{REGISTRY}/{repo}:1.0")
    return refs


def write_tree(root: Path, refs: list[str], uses: int) -> None:
    """Each reference USES times, spread over the four kinds of file."""
    for copy in range(uses):
        for start in range(0, len(refs), 10):
            group = refs[start : start + 10]
            kind = (start // 10 + copy) % 4
            name = f"{copy}-{start:04d}"
            if kind == 0:
                containers = "".join(
                    f"      - {{name: c{i}, image: '{ref}'}}\n" for i, ref in enumerate(group)
                )
                text = (
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n"
                    f"  template:\n    spec:\n      containers:\n{containers}"
                )
                path = root / "k8s" / f"{name}.yaml"
            elif kind == 1:
                services = "".join(f"  s{i}:\n    image: {ref}\n" for i, ref in enumerate(group))
                text = f"services:\n{services}"
                path = root / "compose" / name / "compose.yaml"
            elif kind == 2:
                text = "".join(f"FROM {ref} AS s{i}\n" for i, ref in enumerate(group))
                path = root / "docker" / f"{name}.Dockerfile"
            else:
                steps = "".join(f"      - uses: docker://{ref}\n" for ref in group)
                text = f"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
                path = root / ".github" / "workflows" / f"{name}.yml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


def run(root: Path, workers: int) -> tuple[int, int, int, float, int]:
    start = time.perf_counter()
    found = sources.find([str(root)], io.StringIO(""))
    resolver = Resolver(insecure=lambda registry: True, workers=workers)
    result = check.audit(found, ("amd64", "arm64"), "bench", "amd64", resolver)
    seconds = time.perf_counter() - start
    uses = sum(len(reference.uses) for reference in result.references)
    lacking = result.count(check.Status.MISSING)
    return uses, len(result.references), resolver.requests, seconds, lacking


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=100)
    parser.add_argument("--singles", type=int, default=20)
    parser.add_argument("--uses", type=int, default=3, help="uses of each reference")
    args = parser.parse_args()
    prefix = f"e2e/audit-bench-{secrets.token_hex(4)}"
    started = time.perf_counter()
    refs = push(prefix, args.lists, args.singles)
    print(
        f"pushed {len(refs)} images to {REGISTRY}/{prefix} in {time.perf_counter() - started:.1f}s"
    )
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_tree(root, refs, args.uses)
        files = sum(1 for path in root.rglob("*") if path.is_file())
        print(f"tree: {files} files")
        print(
            f"{'workers':>7}  {'uses':>5}  {'unique':>6}  {'requests':>8}  "
            f"{'req/unique':>10}  {'lacking':>7}  {'seconds':>7}"
        )
        for workers in (1, 8):
            uses, unique, requests, seconds, lacking = run(root, workers)
            print(
                f"{workers:>7}  {uses:>5}  {unique:>6}  {requests:>8}  "
                f"{requests / unique:>10.2f}  {lacking:>7}  {seconds:>7.2f}"
            )


if __name__ == "__main__":
    main()
