"""The release steps of the generated CI (issue #13), on the parsed YAML: the pushing job
exposes the index digest, and with sign: cosign it installs cosign, passes the key secrets
to make and (GitHub) may sign keyless with its OIDC token; without it, none of that."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.makeplan import make
from tests.support.rendering import CONFIGS, render_into

GITHUB = ".github/workflows/multiarch.yml"
GITLAB = ".gitlab-ci.yml"
CI_CONFIGS = sorted(name for name, data in CONFIGS.items() if data.get("ci"))
RECORD = 'echo "digest=$(cat ".digests/$VERSION/index")" >>"$GITHUB_OUTPUT"'


def names_of(data: dict[str, Any]) -> list[str]:
    """The image names of a config with several images; [] for one image."""
    return [image["name"] for image in data.get("images", [])]


def github_outputs(data: dict[str, Any]) -> tuple[dict[str, str], str]:
    """The pushing job's outputs and its recording step's script: one digest, or one per image
    (digest-NAME, from DIGESTS_DIR/NAME/VERSION/index)."""
    names = names_of(data)
    if not names:
        return {"digest": "${{ steps.digest.outputs.digest }}"}, RECORD
    outputs = {f"digest-{n}": f"${{{{ steps.digest.outputs.digest-{n} }}}}" for n in names}
    lines = [f'  echo "digest-{n}=$(cat ".digests/{n}/$VERSION/index")"' for n in names]
    return outputs, "\n".join(["{", *lines, '} >>"$GITHUB_OUTPUT"', ""])


@pytest.fixture(params=CI_CONFIGS)
def rendered(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    data: dict[str, Any] = CONFIGS[request.param]
    render_into(tmp_path, data)
    return data, tmp_path


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def pushing_job(workflow: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = "merge" if "merge" in workflow["jobs"] else "publish"
    job: dict[str, Any] = workflow["jobs"][name]
    return name, job


def test_github_pushing_job_outputs_the_index_digest(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    workflow = load(project / GITHUB)
    name, job = pushing_job(workflow)
    outputs, script = github_outputs(data)
    assert job["outputs"] == outputs
    runs = [step.get("run", "") for step in job["steps"]]
    push = "make docker-manifest" if name == "merge" else "make docker-push"
    (record,) = (step for step in job["steps"] if step.get("id") == "digest")
    assert record["run"] == script
    assert runs.index(push) < runs.index(script) < runs.index("make docker-verify")
    for other, other_job in workflow["jobs"].items():
        assert other == name or "outputs" not in other_job


def test_github_signing_steps_follow_the_sign_setting(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    signs = data.get("sign") == "cosign"
    workflow = load(project / GITHUB)
    name, job = pushing_job(workflow)
    uses = [step.get("uses", "") for step in job["steps"]]
    assert ("sigstore/cosign-installer@v3" in uses) is signs
    pushes = ("make docker-manifest", "make docker-push")
    (push,) = (step for step in job["steps"] if step.get("run") in pushes)
    permissions = job.get("permissions") or {}
    if not signs:
        assert "COSIGN" not in (project / GITHUB).read_text()
        assert "id-token" not in permissions
        return
    # The key secrets reach make; empty (unset) means keyless, from the job's OIDC token.
    assert push["env"] == {
        "COSIGN_KEY": "${{ secrets.COSIGN_KEY }}",
        "COSIGN_PASSWORD": "${{ secrets.COSIGN_PASSWORD }}",
    }
    assert permissions["id-token"] == "write" and permissions["contents"] == "read"
    assert uses.index("sigstore/cosign-installer@v3") < job["steps"].index(push)
    # Only the pushing job may mint an OIDC token.
    for other, other_job in workflow["jobs"].items():
        if other != name:
            assert "id-token" not in (other_job.get("permissions") or {}), other


def test_gitlab_pushing_job_hands_on_the_digest_and_installs_cosign_when_signing(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    pipeline = load(project / GITLAB)
    job = pipeline["merge"] if "merge" in pipeline else pipeline["publish"]
    assert job["artifacts"]["reports"] == {"dotenv": "release.env"}
    assert ".digests/" in job["artifacts"]["paths"]
    names = [n.upper().replace("-", "_") for n in names_of(data)]
    for variable in [f"RELEASE_DIGEST_{n}=" for n in names] or ["RELEASE_DIGEST="]:
        assert any(variable in line for line in job["script"]), variable
    before = pipeline[".engine"]["before_script"]
    installs = [line for line in before if "cosign" in line]
    assert bool(installs) is (data.get("sign") == "cosign"), before


def test_the_workflows_tag_set_is_the_makefiles(tmp_path: Path) -> None:
    """CI passes the git tag as VERSION (v1.2.3); the Makefile drops the v and derives the
    set, so CI and a laptop publish the same lists."""
    render_into(tmp_path, CONFIGS["signed"])
    workflow = load(tmp_path / GITHUB)
    assert "github.ref_name" in workflow["env"]["VERSION"]
    assert load(tmp_path / GITLAB)["workflow"]["rules"][0]["variables"] == {
        "VERSION": "$CI_COMMIT_TAG"
    }
    for version, lists in (("v1.2.3", "1.2.3 1.2 1"), ("v1.3.0-rc1", "1.3.0-rc1")):
        result = make(tmp_path, "help", f"VERSION={version}", "LATEST=0")
        line = next(x for x in result.stdout.splitlines() if x.startswith("  lists: "))
        assert [ref.rpartition(":")[2] for ref in line.split()[1:]] == lists.split()
