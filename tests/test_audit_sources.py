"""audit's source readers: every reference with its file and line, per format."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from mkmultiarch.errors import BadInputError
from mkmultiarch.inspect.audit import ci, compose, dockerfile, kubernetes, project, sources
from mkmultiarch.inspect.audit.uses import BUILD, REQUIRED, Use, documents, substitute
from mkmultiarch.render.config import ConfigError


def found(uses: list[Use]) -> list[tuple[int, str, str]]:
    return [(use.line, use.written, use.where) for use in uses]


# -- substitution -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("alpine:3.19", {}, ("alpine:3.19", ())),
        ("golang:$V", {"V": "1.22"}, ("golang:1.22", ())),
        ("golang:${V}-alpine", {"V": "1.22"}, ("golang:1.22-alpine", ())),
        ("golang:${V:-1.21}", {}, ("golang:1.21", ())),
        ("golang:${V-1.21}", {"V": ""}, ("golang:", ())),
        ("golang:${V:-1.21}", {"V": ""}, ("golang:1.21", ())),
        ("x${S:+-slim}", {"S": "1"}, ("x-slim", ())),
        ("golang:${V}", {}, ("golang:${V}", ("V",))),
        ("$REG/app:$TAG", {"REG": "r.io"}, ("r.io/app:$TAG", ("TAG",))),
        ("${{ matrix.image }}", {}, ("${{ matrix.image }}", ("${{ matrix.image }}",))),
    ],
)
def test_substitute(
    text: str, values: dict[str, str], expected: tuple[str, tuple[str, ...]]
) -> None:
    assert substitute(text, values) == expected


# -- Kubernetes ------------------------------------------------------------------------------

K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: registry.example.com/org/migrate:2
      containers:
        - name: app
          image: org/app:1.0
        - name: sidecar
          image: envoyproxy/envoy:v1.30
---
apiVersion: v1
kind: List
items:
  - apiVersion: batch/v1
    kind: CronJob
    metadata: {name: nightly}
    spec:
      schedule: "0 0 * * *"
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: job
                  image: busybox:1.36
  - apiVersion: v1
    kind: Pod
    metadata: {name: debug}
    spec:
      containers: [{name: a, image: "nginx@sha256:aaaa"}]
      ephemeralContainers:
        - name: shell
          image: alpine:3.19
---
# an empty document and a ConfigMap: nothing
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {image: not-an-image-field}
"""


def test_kubernetes_every_container_with_its_line() -> None:
    assert found(kubernetes.find("k.yaml", documents(K8S))) == [
        (10, "registry.example.com/org/migrate:2", "Deployment/web initContainers[migrate]"),
        (13, "org/app:1.0", "Deployment/web containers[app]"),
        (15, "envoyproxy/envoy:v1.30", "Deployment/web containers[sidecar]"),
        (31, "busybox:1.36", "CronJob/nightly containers[job]"),
        (36, "nginx@sha256:aaaa", "Pod/debug containers[a]"),
        (39, "alpine:3.19", "Pod/debug ephemeralContainers[shell]"),
    ]


@pytest.mark.parametrize(
    "kind", ["StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"]
)
def test_kubernetes_workload_kinds(kind: str) -> None:
    text = f"""\
apiVersion: apps/v1
kind: {kind}
metadata: {{name: w}}
spec:
  template:
    spec:
      containers:
      - name: c
        image: org/{kind.lower()}:1
"""
    assert found(kubernetes.find("k.yaml", documents(text))) == [
        (9, f"org/{kind.lower()}:1", f"{kind}/w containers[c]")
    ]


def test_kubernetes_unresolved_template_values() -> None:
    text = "kind: Pod\nspec:\n  containers:\n  - {name: a, image: 'org/app:${TAG}'}\n"
    (use,) = kubernetes.find("k.yaml", documents(text))
    assert use.unresolved == ("TAG",)


def test_stdin_helm_output_names_the_template(tmp_path: Path) -> None:
    helm = """\
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: app, image: org/app:1.0}
"""
    result = sources.find(["-"], io.StringIO(helm))
    (use,) = result.uses
    assert (use.file, use.line, use.location) == ("-", 10, "<stdin>:10")
    assert use.where == "Deployment/web containers[app] (web/templates/deployment.yaml)"


# -- Compose ---------------------------------------------------------------------------------

COMPOSE = """\
services:
  web:
    image: org/web:${TAG:-1.0}
    build: .
  db:
    image: postgres:16
  worker:
    build: ./worker
  cache:
    image: redis:${REDIS_VERSION}
"""


def test_compose_services_images() -> None:
    docs = documents(COMPOSE)
    assert compose.is_compose(docs)
    uses = compose.find("compose.yaml", docs)
    assert found(uses) == [
        (3, "org/web:1.0", "services.web"),
        (6, "postgres:16", "services.db"),
        (10, "redis:${REDIS_VERSION}", "services.cache"),
    ]
    assert [use.unresolved for use in uses] == [(), (), ("REDIS_VERSION",)]


# -- Dockerfile ------------------------------------------------------------------------------

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22
ARG REGISTRY=mirror.example.com
ARG BASE=${REGISTRY}/distroless/static:nonroot
ARG UNSET
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
RUN <<EOF
FROM not-an-image
EOF
ARG GO_VERSION=9.99
FROM build AS test
RUN go test ./...

from \\
  node:20 as assets
FROM ${UNSET:-alpine:3.19} AS tools
FROM $UNSET AS broken
FROM --platform=linux/amd64 amd64-only/tool:1 AS fixed
FROM scratch AS empty
FROM ${BASE}
COPY --from=build /out/app /app
COPY --from=0 /x /x
COPY --from=busybox:1.36 /bin/busybox /bin/busybox
"""


def test_dockerfile_stages_args_scratch_buildplatform() -> None:
    uses = dockerfile.find("Dockerfile", DOCKERFILE)
    assert found(uses) == [
        (6, "golang:1.22-alpine", "FROM (stage build)"),
        (14, "node:20", "FROM (stage assets)"),
        (16, "alpine:3.19", "FROM (stage tools)"),
        (17, "$UNSET", "FROM (stage broken)"),
        (18, "amd64-only/tool:1", "FROM (stage fixed)"),
        (20, "mirror.example.com/distroless/static:nonroot", "FROM (stage 7)"),
        (23, "busybox:1.36", "COPY --from"),
    ]
    needs = {use.written: use.needs for use in uses}
    assert needs["golang:1.22-alpine"] == BUILD
    assert needs["amd64-only/tool:1"] == ("amd64",)
    assert needs["node:20"] == REQUIRED
    assert [use.unresolved for use in uses if use.unresolved] == [("UNSET",)]


GO_DOCKERFILE = """\
ARG GO_IMAGE=golang:1.23
ARG RUNTIME_IMAGE=scratch
ARG BARE
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
FROM ${RUNTIME_IMAGE}
FROM ${BARE:-alpine:3.19}
"""


def test_build_args_replace_the_global_arg_defaults() -> None:
    build_args = {"GO_IMAGE": "mirror.example.com/golang:1.24", "BARE": "busybox:1.36"}
    uses = dockerfile.find("Dockerfile", GO_DOCKERFILE, build_args)
    assert found(uses) == [
        (4, "mirror.example.com/golang:1.24", "FROM (stage build)"),
        (6, "busybox:1.36", "FROM (stage 2)"),
    ]
    assert uses[0].needs == BUILD
    overridden = dockerfile.find(
        "Dockerfile", GO_DOCKERFILE, {"RUNTIME_IMAGE": "gcr.io/distroless/static:nonroot"}
    )
    assert [use.written for use in overridden] == [
        "golang:1.23",
        "gcr.io/distroless/static:nonroot",
        "alpine:3.19",
    ]


def test_a_build_arg_no_arg_declares_changes_nothing() -> None:
    """As docker build: a build arg only sets an ARG the Dockerfile declares."""
    text = "FROM ${GO_IMAGE:-golang:1.23}\n"
    assert [u.written for u in dockerfile.find("Dockerfile", text, {"GO_IMAGE": "x:1"})] == [
        "golang:1.23"
    ]


def test_build_args_reach_dockerfiles_only(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(GO_DOCKERFILE)
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    image: ${GO_IMAGE}\n")
    result = sources.find([str(tmp_path)], io.StringIO(""), {"GO_IMAGE": "golang:1.24"})
    assert sorted(use.written for use in result.uses) == [
        "${GO_IMAGE}",
        "alpine:3.19",
        "golang:1.24",
    ]


def test_parse_build_args() -> None:
    assert dockerfile.parse_build_args(["GO_IMAGE=golang:1.23", "EMPTY="]) == {
        "GO_IMAGE": "golang:1.23",
        "EMPTY": "",
    }
    assert dockerfile.parse_build_args([]) == {}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("GO_IMAGE", "is not NAME=VALUE"),
        ("=golang:1.23", "is not NAME=VALUE"),
        ("1X=a", "is not NAME=VALUE"),
        ("GO-IMAGE=a", "is not NAME=VALUE"),
        ("GO_IMAGE=golang:1.23 extra", "without spaces or $"),
        ("GO_IMAGE=$(id)", "without spaces or $"),
        ("GO_IMAGE=golang\n:1.23", "without spaces or $"),
        ("GO_IMAGE=\x1b[2J", "without spaces or $"),
        ("GO_IMAGE=" + "a" * 1025, "at most 1024"),
    ],
)
def test_bad_build_args_are_refused(given: str, message: str) -> None:
    with pytest.raises(BadInputError, match=re.escape(message)):
        dockerfile.parse_build_args([given])


def test_a_build_arg_given_twice_is_refused() -> None:
    with pytest.raises(BadInputError, match="GO_IMAGE: given twice"):
        dockerfile.parse_build_args(["GO_IMAGE=a:1", "GO_IMAGE=b:1"])


def test_dockerfile_escape_directive_and_comments_in_continuations() -> None:
    text = "# escape=`\n\nFROM `\n# a comment\n  mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
    assert found(dockerfile.find("Dockerfile", text)) == [
        (3, "mcr.microsoft.com/windows/nanoserver:ltsc2022", "FROM (stage 0)")
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dockerfile", True),
        ("dockerfile", True),
        ("Dockerfile.prod", True),
        ("api.Dockerfile", True),
        ("Containerfile", True),
        ("Dockerfile.dockerignore", False),
        ("Makefile", False),
    ],
)
def test_dockerfile_names(name: str, expected: bool) -> None:
    assert dockerfile.is_dockerfile(name) is expected


# -- CI ---------------------------------------------------------------------------------------

WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    container: node:20
    services:
      db:
        image: postgres:16
      cache:
        image: ${{ matrix.cache }}
    steps:
      - uses: actions/checkout@v4
      - name: lint
        uses: docker://hadolint/hadolint:v2.12.0
  build:
    runs-on: ubuntu-latest
    container:
      image: ghcr.io/org/builder:1
    steps:
      - uses: docker://alpine:3.19
"""


def test_github_actions_containers_services_and_docker_steps() -> None:
    uses = ci.find_github(".github/workflows/ci.yml", documents(WORKFLOW))
    assert found(uses) == [
        (5, "node:20", "jobs.test.container"),
        (8, "postgres:16", "jobs.test.services.db"),
        (10, "${{ matrix.cache }}", "jobs.test.services.cache"),
        (14, "hadolint/hadolint:v2.12.0", "jobs.test.steps[lint] uses: docker://"),
        (18, "ghcr.io/org/builder:1", "jobs.build.container"),
        (20, "alpine:3.19", "jobs.build.steps[0] uses: docker://"),
    ]
    assert uses[2].unresolved == ("${{ matrix.cache }}",)


GITLAB = """\
variables:
  PY: "3.12"
image: python:${PY}
services:
  - docker:24-dind
default:
  image: alpine:3.19
.base: &base
  image:
    name: registry.example.com/tools:2
    entrypoint: [""]
test:
  <<: *base
  variables:
    DB: "16"
  services:
    - name: postgres:${DB}
      alias: db
    - redis:7
  script: [pytest]
deploy:
  image: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA
  script: [deploy]
stages: [test, deploy]
"""


def test_gitlab_images_and_services_as_strings_and_names() -> None:
    uses = ci.find_gitlab(".gitlab-ci.yml", documents(GITLAB))
    assert found(uses) == [
        (3, "python:3.12", "image"),
        (5, "docker:24-dind", "services[0]"),
        (7, "alpine:3.19", "default.image"),
        (10, "registry.example.com/tools:2", ".base.image"),
        (10, "registry.example.com/tools:2", "test.image"),
        (17, "postgres:16", "test.services[0]"),
        (19, "redis:7", "test.services[1]"),
        (22, "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA", "deploy.image"),
    ]
    assert uses[-1].unresolved == ("CI_REGISTRY_IMAGE", "CI_COMMIT_SHA")


# -- multiarch.yaml ----------------------------------------------------------------------------


def test_project_config_runtime_and_go_image() -> None:
    text = (
        "image: org/app\narches: [amd64, arm64, arm/v7]\n"
        "go_image: mirror.example.com/golang:1.23\nruntime_image: gcr.io/distroless/static\n"
    )
    config = project.find("multiarch.yaml", text)
    assert config.arches == ("amd64", "arm64", "arm/v7")
    assert [(u.line, u.written, u.needs) for u in config.uses] == [
        (3, "mirror.example.com/golang:1.23", BUILD),
        (4, "gcr.io/distroless/static", ("amd64", "arm64", "arm/v7")),
    ]


def test_project_config_defaults_scratch_and_dockerfile_language() -> None:
    go = project.find("multiarch.yaml", "image: org/app\ngo_version: '1.22'\n")
    assert [(u.line, u.written) for u in go.uses] == [(2, "golang:1.22")]
    own = project.find("multiarch.yaml", "image: org/app\nlanguage: dockerfile\n")
    assert own.uses == []
    with pytest.raises(ConfigError, match=r"^deploy/multiarch.yaml: image: 'Org/App'"):
        project.find("deploy/multiarch.yaml", "image: Org/App\n")


# -- the walk ----------------------------------------------------------------------------------


def test_walk_reads_each_format_and_honours_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("build/\n*.generated.yaml\n!keep.generated.yaml\n")
    files = {
        "Dockerfile": "FROM alpine:3.19\n",
        "compose.yaml": COMPOSE,
        "deploy/k8s.yaml": K8S,
        "deploy/keep.generated.yaml": "kind: Pod\nspec:\n  containers: [{image: kept:1}]\n",
        "deploy/drop.generated.yaml": "kind: Pod\nspec:\n  containers: [{image: dropped:1}]\n",
        "build/Dockerfile": "FROM ignored:1\n",
        ".git/Dockerfile": "FROM ignored:2\n",
        "node_modules/x/Dockerfile": "FROM ignored:3\n",
        ".mkmultiarch/rendered/Dockerfile": "FROM ignored:5\n",
        ".github/workflows/ci.yml": WORKFLOW,
        ".gitlab-ci.yml": GITLAB,
        "multiarch.yaml": "image: org/app\narches: [arm64]\n",
        "chart/templates/deployment.yaml": "image: {{ .Values.image }}\n  bad: [\n",
        "notes.yaml": "just: data\n",
        "sub/.gitignore": "secret.yaml\n",
        "sub/secret.yaml": "kind: Pod\nspec:\n  containers: [{image: ignored:4}]\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    result = sources.find([str(tmp_path)], io.StringIO(""))
    written = {use.written for use in result.uses}
    assert not any(text.startswith(("ignored", "dropped")) for text in written)
    assert {"kept:1", "alpine:3.19", "postgres:16", "node:20", "docker:24-dind"} <= written
    assert {"golang:1.23", "org/web:1.0", "busybox:1.36"} <= written
    by_file = {Path(use.file).relative_to(tmp_path).as_posix() for use in result.uses}
    assert by_file == {
        "Dockerfile",
        "compose.yaml",
        "deploy/k8s.yaml",
        "deploy/keep.generated.yaml",
        ".github/workflows/ci.yml",
        ".gitlab-ci.yml",
        "multiarch.yaml",
    }
    assert [config.arches for config in result.configs] == [("arm64",)]
    assert len(result.skipped) == 1
    assert "chart/templates/deployment.yaml: not valid YAML" in result.skipped[0]
    assert "(a template?)" in result.skipped[0]


def test_missing_path_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        sources.find([str(tmp_path / "nope")], io.StringIO(""))
