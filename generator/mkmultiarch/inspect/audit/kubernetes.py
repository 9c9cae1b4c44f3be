"""Image references in Kubernetes manifests (and rendered Helm or kustomize output).

Every document of a YAML stream with a `kind`: a `List` is read item by item;
a Pod's spec, the pod template of every workload kind (Deployment,
StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, PodTemplate,
and any other kind with `spec.template.spec.containers`, e.g. an Argo
Rollout), and a CronJob's `spec.jobTemplate.spec.template`. In each pod spec:
containers, initContainers and ephemeralContainers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from mkmultiarch.inspect.audit.uses import Use, get, line, scalar, sequence, substitute

CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")
_HELM_SOURCE = re.compile(r"^# Source: (.+)$")


def _pod_specs(doc: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    """(kind/name, pod spec) of a document, items of a List included."""
    kind = scalar(get(doc, "kind")) or ""
    if kind == "List" or (kind.endswith("List") and get(doc, "items") is not None):
        for item in sequence(get(doc, "items")):
            yield from _pod_specs(item)
        return
    name = scalar(get(doc, "metadata", "name")) or "?"
    label = f"{kind}/{name}"
    if kind == "Pod":
        spec = get(doc, "spec")
    elif kind == "CronJob":
        spec = get(doc, "spec", "jobTemplate", "spec", "template", "spec")
    elif kind == "PodTemplate":
        spec = get(doc, "template", "spec")
    else:
        spec = get(doc, "spec", "template", "spec")
    if spec is not None and any(get(spec, field) is not None for field in CONTAINER_FIELDS):
        yield label, spec


def helm_sources(text: str) -> dict[int, str]:
    """`# Source: chart/templates/x.yaml` comments of `helm template` output, by line."""
    found: dict[int, str] = {}
    for number, text_line in enumerate(text.splitlines(), start=1):
        match = _HELM_SOURCE.match(text_line)
        if match:
            found[number] = match.group(1).strip()
    return found


def find(file: str, docs: list[yaml.Node]) -> list[Use]:
    """Every container image of the manifests in DOCS."""
    uses: list[Use] = []
    for doc in docs:
        if scalar(get(doc, "kind")) is None:
            continue
        for label, spec in _pod_specs(doc):
            for field in CONTAINER_FIELDS:
                for container in sequence(get(spec, field)):
                    image = get(container, "image")
                    written = scalar(image)
                    if image is None or written is None:
                        continue
                    cname = scalar(get(container, "name")) or "?"
                    text, unresolved = substitute(written, {})
                    if "{{" in written:
                        unresolved = (*unresolved, written)
                    uses.append(
                        Use(
                            file,
                            line(image),
                            "kubernetes",
                            f"{label} {field}[{cname}]",
                            text,
                            unresolved=unresolved,
                        )
                    )
    return sorted(uses, key=lambda use: use.line)


def is_manifest(docs: list[yaml.Node]) -> bool:
    """A stream with at least one document that has a `kind`."""
    return any(scalar(get(doc, "kind")) for doc in docs)
