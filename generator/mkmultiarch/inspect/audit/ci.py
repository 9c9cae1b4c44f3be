"""Image references in CI definitions: GitHub Actions workflows and GitLab CI.

GitHub Actions (`.github/workflows/*.yml`): `jobs.<id>.container` (a string or
`{image:}`), `jobs.<id>.services.<name>.image`, and steps that run
`uses: docker://IMAGE`. `${{ ... }}` expressions are never resolved.

GitLab CI (`.gitlab-ci.yml`): `image:` at the top, under `default:` and in
every job (hidden `.templates` included), as a string or `{name:}`; the same
for every entry of `services:`. `$VARIABLES` are resolved from the file's own
`variables:` (the global ones, then the job's); GitLab's predefined ones
(`$CI_REGISTRY_IMAGE`...) are reported as unresolved.
"""

from __future__ import annotations

import yaml

from mkmultiarch.inspect.audit.uses import Use, get, items, line, scalar, sequence, substitute

# Top-level GitLab keys that are not jobs.
GITLAB_KEYWORDS = frozenset(
    {"stages", "variables", "include", "workflow", "default", "cache", "before_script"}
    | {"after_script", "image", "services", "pages_deploy", "spec"}
)


def _use(file: str, node: yaml.Node, source: str, where: str, values: dict[str, str]) -> Use | None:
    written = scalar(node)
    if written is None or not written.strip():
        return None
    text, unresolved = substitute(written.strip(), values)
    return Use(file, line(node), source, where, text, unresolved=unresolved)


def find_github(file: str, docs: list[yaml.Node]) -> list[Use]:
    uses: list[Use] = []
    for doc in docs:
        for job_id, job in items(get(doc, "jobs")):
            container = get(job, "container")
            image = container if scalar(container) is not None else get(container, "image")
            if image is not None:
                found = _use(file, image, "github-actions", f"jobs.{job_id}.container", {})
                uses += [found] if found else []
            for name, service in items(get(job, "services")):
                image = get(service, "image")
                if image is not None:
                    where = f"jobs.{job_id}.services.{name}"
                    found = _use(file, image, "github-actions", where, {})
                    uses += [found] if found else []
            for number, step in enumerate(sequence(get(job, "steps"))):
                action = get(step, "uses")
                text = scalar(action)
                if action is None or text is None or not text.startswith("docker://"):
                    continue
                written = text.removeprefix("docker://")
                reference, unresolved = substitute(written, {})
                step_name = scalar(get(step, "name")) or str(number)
                uses.append(
                    Use(
                        file,
                        line(action),
                        "github-actions",
                        f"jobs.{job_id}.steps[{step_name}] uses: docker://",
                        reference,
                        unresolved=unresolved,
                    )
                )
    return uses


def _variables(node: yaml.Node | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in items(node):
        text = scalar(value) if scalar(value) is not None else scalar(get(value, "value"))
        if text is not None:
            values[name] = text
    return values


def _gitlab_images(file: str, owner: yaml.Node, prefix: str, values: dict[str, str]) -> list[Use]:
    uses: list[Use] = []
    image = get(owner, "image")
    if image is not None:
        node = image if scalar(image) is not None else get(image, "name")
        found = _use(file, node, "gitlab-ci", f"{prefix}image", values) if node else None
        uses += [found] if found else []
    for index, service in enumerate(sequence(get(owner, "services"))):
        node = service if scalar(service) is not None else get(service, "name")
        where = f"{prefix}services[{index}]"
        found = _use(file, node, "gitlab-ci", where, values) if node else None
        uses += [found] if found else []
    return uses


def find_gitlab(file: str, docs: list[yaml.Node]) -> list[Use]:
    uses: list[Use] = []
    for doc in docs:
        globals_ = _variables(get(doc, "variables"))
        uses += _gitlab_images(file, doc, "", globals_)
        default = get(doc, "default")
        if default is not None:
            uses += _gitlab_images(file, default, "default.", globals_)
        for name, job in items(doc):
            if name in GITLAB_KEYWORDS or not isinstance(job, yaml.MappingNode):
                continue
            values = globals_ | _variables(get(job, "variables"))
            uses += _gitlab_images(file, job, f"{name}.", values)
    return uses
