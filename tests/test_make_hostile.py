"""Nothing a user did not write gets executed by make (issue #11, point 2).

GNU make runs a `$(...)` in a value as make code wherever the value is used, even under
`make -n`, and values reach it from outside: the command line, the environment (a CI
variable), a git tag. Real make in a real git repository, with a stand-in `docker` first on
PATH that records every call, proves for each hostile input that make refuses (exit 2, one
line naming the setting) or ignores it, that no payload ran (a marker file with an absolute
path), that docker was never called, and that a secret in the environment never shows.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fake_docker import inspect_answers
from tests.support.git import git
from tests.support.rendering import CONFIGS, render_into

SECRET = "s3cret"
# The builder docker config, and the buildx one.
BUILDERS = ["seed", "buildx"]
GOALS = ["help", "version", "docker-build", "docker-push", "registry-login", "clean"]
# The goals that run check-vars first; help and version paste no setting into a shell.
CHECKED_GOALS = ["docker-build", "docker-push", "registry-login", "clean"]
# make's own line after a recipe fails, e.g. `make: *** [mk/common.mk:60: check-vars] Error 2`.
CHECK_VARS_TRAILER = re.compile(r"^make: \*\*\* \[[^]]*: check-vars\] Error 2$")


@dataclass
class Project:
    config: str
    root: Path
    marker: Path  # a payload that runs creates it
    calls: Path  # the stand-in docker appends each call here
    bin: Path

    def make(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "REGISTRY_USER": "ci",
            "REGISTRY_PASSWORD": SECRET,
            **(env or {}),
        }
        return subprocess.run(
            ["make", "--no-print-directory", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env=environment,
        )

    def docker_calls(self) -> str:
        return self.calls.read_text() if self.calls.exists() else ""

    def tag(self, name: str) -> None:
        """Make NAME the only tag, so `git describe` (VERSION's default) prints it."""
        for old in git(self.root, "tag", "--list").split("\n"):
            if old:
                git(self.root, "tag", "--delete", old)
        git(self.root, "tag", name)


def make_project(base: Path, config: str) -> Project:
    root = base / "project"
    root.mkdir()
    render_into(root, CONFIGS[config])
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    outside = base / "outside"
    outside.mkdir()
    bin_dir = outside / "bin"
    bin_dir.mkdir()
    calls = outside / "docker-calls"
    docker = bin_dir / "docker"
    # Answers what check-builder asks; an image is never there (clean has nothing to remove),
    # except to docker-check, which is told each image's platform (inspect_answers).
    docker.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$*" >> {calls}\n'
        + inspect_answers(str(outside))
        + "if [[ $1 == image && $2 == inspect ]]; then exit 1; fi\n"
        # docker login --password-stdin reads the password (unread, printf gets SIGPIPE).
        "if [[ $1 == login ]]; then cat >/dev/null; fi\n"
        # docker manifest push ends with the pushed list's digest, which the Makefile records.
        f"if [[ $1 == manifest && $2 == push ]]; then echo sha256:{'ab' * 32}; fi\n"
        "exit 0\n"
    )
    docker.chmod(docker.stat().st_mode | stat.S_IEXEC)
    return Project(config, root, outside / "pwned", calls, bin_dir)


@pytest.fixture(params=BUILDERS)
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    config: str = request.param
    return make_project(tmp_path, config)


def settings(project: Project) -> list[str]:
    """The names after `override SETTINGS :=` in the rendered mk/guard.mk."""
    text = (project.root / "mk" / "guard.mk").read_text().replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("override SETTINGS := "))
    return line.split(":=")[1].split()


def assert_nothing_ran(project: Project, result: subprocess.CompletedProcess[str]) -> None:
    assert not project.marker.exists(), "a payload ran"
    assert SECRET not in result.stdout + result.stderr
    assert project.docker_calls() == "", "docker was called"


def assert_refused(
    project: Project, result: subprocess.CompletedProcess[str], message: str
) -> None:
    """Exit 2, one stderr line with MESSAGE (beside make's own check-vars trailer)."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [x for x in result.stderr.splitlines() if not CHECK_VARS_TRAILER.match(x)]
    assert len(lines) == 1, result.stderr
    assert message in lines[0], result.stderr
    assert_nothing_ran(project, result)


# --- a `$` from the command line or the environment: refused while make reads the Makefile


def dollar_payload(project: Project) -> str:
    return f"v$(shell touch {project.marker})$(REGISTRY_PASSWORD)"


@pytest.mark.parametrize("source", ["command line", "environment"])
def test_a_dollar_in_any_setting_stops_make_before_it_expands(
    project: Project, source: str
) -> None:
    payload = dollar_payload(project)
    names = settings(project)
    assert {"IMG", "REGISTRY", "VERSION", "ARCHES", "DOCKER", "SOURCE"} <= set(names)
    for name in names:
        for goal in GOALS:
            for dry_run in (["-n"], []):
                if source == "command line":
                    result = project.make(*dry_run, f"{name}={payload}", goal)
                else:
                    result = project.make(*dry_run, goal, env={name: payload})
                assert_refused(
                    project, result, f"*** {name} from the {source} holds a '$', which make"
                )
                assert result.stdout == ""


def test_environment_override_is_refused_too(project: Project) -> None:
    """make -e lets the environment beat the Makefile: a `$` there is refused as well."""
    result = project.make("-e", "docker-push", env={"REGISTRY": dollar_payload(project)})
    assert_refused(project, result, "*** REGISTRY from the environment")


@pytest.mark.parametrize("name", ["NOT_A_SETTING", "IMAGE", "REGISTRY_PASSWORD"])
def test_a_dollar_in_any_command_line_value_is_refused(project: Project, name: str) -> None:
    """Any name: make would expand it where used, or when it exports it to a recipe."""
    for goal in GOALS:
        result = project.make(f"{name}={dollar_payload(project)}", goal)
        assert_refused(project, result, f"*** {name} from the command line holds a '$'")


@pytest.mark.parametrize("name", ["THIS_MAKEFILE", "MK_DIR"])
def test_names_set_before_the_guard_ignore_the_command_line(project: Project, name: str) -> None:
    """The Makefile defines these (with override) to find mk/guard.mk, so the guard never
    sees a command-line value for them: it is ignored, never expanded, and nothing runs."""
    for goal in ("help", "version"):
        plain = project.make(goal)
        result = project.make(f"{name}={dollar_payload(project)}", goal)
        assert not project.marker.exists()
        assert (result.returncode, result.stdout) == (plain.returncode, plain.stdout)


def test_other_environment_values_pass_through_untouched(project: Project) -> None:
    """A `$` in an environment variable that is no setting (a password) is never expanded."""
    password = "pa$(shell touch " + str(project.marker) + ")$$word"
    result = project.make("registry-login", env={"REGISTRY_PASSWORD": password})
    assert result.returncode == 0, result.stderr
    assert not project.marker.exists()
    assert password not in result.stdout + result.stderr
    registry = CONFIGS[project.config].get("registry", "docker.io")
    assert project.docker_calls().splitlines() == [
        f"login --username ci --password-stdin {registry}"
    ]


def test_makefile_list_from_the_command_line_is_refused(project: Project) -> None:
    result = project.make(f"MAKEFILE_LIST=x;touch {project.marker}", "help")
    assert_refused(project, result, "MAKEFILE_LIST is make's own")


def test_make_i_is_refused(project: Project) -> None:
    """make -i would run on past check-vars' refusal."""
    result = project.make("-i", f"VERSION=1;touch {project.marker}", "docker-build")
    assert_refused(project, result, "make -i would run commands")


# --- a git tag: VERSION's default comes from git describe


DOLLAR_TAGS = [
    "v$(REGISTRY_PASSWORD)",
    "v$(touch${IFS}{marker})",
    "v`touch${IFS}{marker}`",
    "v$(shell${IFS}touch${IFS}{marker})",
]
SHELL_TAGS = ["v1;>{marker}", "v1&&>{marker}", "v1|tee{marker}"]


@pytest.mark.parametrize("tag", DOLLAR_TAGS)
def test_a_git_tag_with_a_dollar_stops_make(project: Project, tag: str) -> None:
    project.tag(tag.replace("{marker}", str(project.marker)))
    assert project.make("VERSION=1.0.0", "version").stdout == "1.0.0\n"
    for goal in GOALS:
        for dry_run in (["-n"], []):
            result = project.make(*dry_run, goal)
            assert_refused(project, result, "*** VERSION (from git describe) holds a '$'")
            assert result.stdout == ""


@pytest.mark.parametrize("tag", SHELL_TAGS)
def test_a_git_tag_with_shell_code_is_refused_by_check_vars(project: Project, tag: str) -> None:
    """No `$`: make leaves it alone, check-vars refuses it before any docker call."""
    version = tag.replace("{marker}", str(project.marker))
    project.tag(version)
    for goal in CHECKED_GOALS:
        result = project.make(goal)
        assert_refused(project, result, f"make: VERSION='{version}' is not a valid tag")
        assert_nothing_ran(project, project.make("-n", goal))
    # help and version print it as text, from the environment, never as shell code.
    result = project.make("version")
    assert result.returncode == 0 and result.stdout == f"{version}\n"
    assert_nothing_ran(project, result)
    result = project.make("help")
    assert result.returncode == 0 and f":{version} " in result.stdout
    assert_nothing_ran(project, result)


# --- values that are not plain: refused by check-vars, before any docker call


def flag_values(project: Project) -> list[tuple[str, str, str]]:
    """(setting, value, message) for values starting with - (they would become flags)."""
    names = set(settings(project))
    cases = [
        ("REGISTRY", "--debug", "make: REGISTRY='--debug' is not allowed: use host[:port]"),
        ("IMG", "--help", "make: IMG='--help' is not allowed"),
        ("VERSION", "-rc1", "make: VERSION='-rc1' is not a valid tag"),
        ("REVISION", "--x", "make: REVISION='--x' is not allowed"),
        ("DOCKER", "--debug", "make: DOCKER='--debug' is not allowed: use a plain path"),
        ("DOCKERFILE", "-", "make: DOCKERFILE='-' is not allowed: use a plain path"),
        ("CONTEXT", "--push", "make: CONTEXT='--push' is not allowed: use a plain path"),
        ("GO_IMAGE", "--pull", "make: GO_IMAGE='--pull' is not allowed: use an image"),
        ("RUNTIME_IMAGE", "-x", "make: RUNTIME_IMAGE='-x' is not allowed: use an image"),
        ("DIGESTS_DIR", "--x", "make: DIGESTS_DIR='--x' is not allowed: use a plain path"),
        ("SOURCE", "--label=x", "make: SOURCE='--label=x' is not allowed"),
        ("LATEST", "-1", "make: LATEST='-1' is not allowed"),
        ("INSECURE", "--1", "make: INSECURE='--1' is not allowed"),
    ]
    return [case for case in cases if case[0] in names]


def shell_values(project: Project) -> list[tuple[str, str, str]]:
    """(setting, value, message) for values holding shell code but no `$`."""
    touch = f"touch {project.marker}"
    cases = [
        ("IMG", f"org/app;{touch}", "make: IMG="),
        ("REGISTRY", f"localhost;{touch}", "make: REGISTRY="),
        ("VERSION", f"1.0;{touch}", "make: VERSION="),
        ("REVISION", f"abc`{touch}`", "make: REVISION="),
        ("DOCKER", f"docker;{touch}", "make: DOCKER="),
        ("DOCKERFILE", f"Dockerfile;{touch}", "make: DOCKERFILE="),
        ("CONTEXT", f".;{touch}", "make: CONTEXT="),
        ("GO_IMAGE", f"golang;{touch}", "make: GO_IMAGE="),
        ("RUNTIME_IMAGE", f"scratch|{touch}", "make: RUNTIME_IMAGE="),
        ("DIGESTS_DIR", f".d;{touch}", "make: DIGESTS_DIR="),
        ("SOURCE", f"https://x/;{touch}", "make: SOURCE="),
    ]
    return [case for case in cases if case[0] in settings(project)]


@pytest.mark.parametrize("kind", ["flag", "shell"])
@pytest.mark.parametrize("source", ["command line", "environment"])
def test_values_that_are_not_plain_never_reach_docker(
    project: Project, kind: str, source: str
) -> None:
    cases = flag_values(project) if kind == "flag" else shell_values(project)
    assert len(cases) >= 10
    for name, value, message in cases:
        env = {name: value} if source == "environment" else {}
        args = [f"{name}={value}"] if source == "command line" else []
        for goal in CHECKED_GOALS:
            assert_refused(project, project.make(*args, goal, env=env), message)
            # make -n prints the plan and runs nothing.
            assert_nothing_ran(project, project.make("-n", *args, goal, env=env))
        for goal in ("help", "version"):
            result = project.make(*args, goal, env=env)
            assert result.returncode == 0, result.stderr
            assert_nothing_ran(project, result)


# --- derived names: the Makefile's own, whatever the command line or environment says


DERIVED = [
    "IMAGE",
    "ARCH_IMAGES",
    "LIST_TAGS",
    "LIST_IMAGES",
    "BUILD_ARGS",
    "TRANSFER_FLAGS",
    "MANIFEST_FLAGS",
    "VERIFY_FLAGS",
    "ENGINE",
    "PLATFORMS",
    "INSECURE_OUTPUT",
    "DIGESTS",
    "MK_DIR",
    "THIS_MAKEFILE",
    "ARCH_SUFFIXES",
    "SUPPORTED_ARCHES",
    "SETTINGS",
    "SHELL",
    ".SHELLFLAGS",
    "arch_image",
    "platform",
    "create_list",
    "push_list",
    "drop_list",
    "remove_image",
    "list_json",
    "CHECK_TARGETS",
    "OWN_BUILD_ARGS",
    "PLATFORM_FORMAT",
    "PLATFORM_HAS_VARIANT",
    "CP_FLAGS",
    "ENTRY_FORMAT",
    "check_image",
    "check_elf",
    "check_pushed",
    "check_extra_build_args",
    "log_in",
]


@pytest.mark.parametrize("name", DERIVED)
def test_derived_names_cannot_be_overridden(project: Project, name: str) -> None:
    payload = f"x;touch {project.marker};echo INJECTED #"
    goals = ["VERSION=1.0.0", "docker-build", "docker-push", "registry-login", "clean"]
    for option in ([f"{name}={payload}"], ["-e"]):
        env = {name: payload} if option == ["-e"] else {}
        plan = project.make("-n", *option, *goals, env=env)
        assert plan.returncode == 0, plan.stderr
        assert "INJECTED" not in plan.stdout + plan.stderr
        run = project.make(*option, *goals, env=env)
        assert run.returncode == 0, run.stderr
        assert "INJECTED" not in run.stdout + run.stderr + project.docker_calls()
        assert not project.marker.exists()
        assert SECRET not in run.stdout + run.stderr + project.docker_calls()
        assert "build" in project.docker_calls()  # the real plan ran, with the fake docker
        project.calls.unlink()


def test_image_override_is_ignored_in_the_plan(project: Project) -> None:
    """make IMAGE='x;touch pwned' -n docker-push: the plan names the real image."""
    plan = project.make(f"IMAGE=x;touch {project.marker}", "-n", "VERSION=1.0.0", "docker-push")
    assert plan.returncode == 0, plan.stderr
    assert "x;touch" not in plan.stdout
    assert "/team/buildx-app:" in plan.stdout or "/thedoh/somethingsoon:" in plan.stdout
    assert_nothing_ran(project, plan)


# --- the Makefile's text: the guard names every setting, every other name uses override


def make_texts(project: Project) -> dict[str, str]:
    files = [project.root / "Makefile", *sorted((project.root / "mk").glob("*.mk"))]
    return {f.name: f.read_text() for f in files}


def test_the_guard_names_exactly_the_settings(project: Project) -> None:
    """Every `?=` variable (a setting) is in SETTINGS, and so is every variable read from
    the environment on purpose; SETTINGS holds nothing else."""
    texts = make_texts(project)
    defaults = {
        line.split()[0]
        for name, text in texts.items()
        if name != "engine-podman.mk"  # podman defines no setting of its own
        for line in text.splitlines()
        if " ?= " in line
    }
    # The docker engine reads BUILDX_NO_DEFAULT_ATTESTATIONS from the environment (to say
    # that attestations are dropped), then overrides it: its `$` must be refused too.
    if "$(origin BUILDX_NO_DEFAULT_ATTESTATIONS)" in texts.get("engine-docker.mk", ""):
        defaults.add("BUILDX_NO_DEFAULT_ATTESTATIONS")
    assert set(settings(project)) == defaults


def test_every_other_name_is_defined_with_override(project: Project) -> None:
    definition = re.compile(r"^(define\s+\S+|([A-Za-z_.][A-Za-z0-9_.]*)\s*(:=|=|\+=))")
    allowed = {*settings(project), "MAKEFLAGS"}  # VERSION := $(VERSION) runs git describe once
    for name, text in make_texts(project).items():
        for line in text.splitlines():
            found = definition.match(line)
            if found and found.group(2) not in allowed:
                pytest.fail(f"{name}: {line!r} can be replaced from the command line")


def test_help_and_version_paste_no_setting_into_a_shell(project: Project) -> None:
    """Their recipes read the settings from the environment ($$VERSION), never $(VERSION)."""
    plan = project.make("-n", "VERSION=1.0.0", "help", "version").stdout
    for value in ("1.0.0", "docker.io", "ghcr.io", "thedoh/somethingsoon", "team/buildx-app"):
        assert value not in plan
    assert '"$VERSION"' in plan
