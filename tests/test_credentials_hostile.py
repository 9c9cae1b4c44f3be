"""Credentials are never printed, a hung helper is killed with its children, realms are checked.

Fake `docker-credential-evil` helpers on PATH (one that prints the secret and
fails, one that hangs with a hanging child, one that answers garbage JSON
holding the secret) are run by the real CLI; the secret never appears in its
output, text or --json. A token realm on another host (127.0.0.2) is asked
for a token without the user's credentials.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mkmultiarch.inspect.credentials import CredentialsError, lookup
from mkmultiarch.inspect.registry.auth import Authenticator, realm_may_get_credentials
from tests.support.fake_registry import PASSWORD, USER
from tests.support.hostile_registry import HostileRegistry, Ran, TokenServer, run_cli
from tests.support.images import REPO, good_list

SECRET = "evil-S3CRET-do-not-print-4242"

LOUD = f"""#!/bin/sh
cat > /dev/null
echo '{{"ServerURL":"x","Username":"evil","Secret":"{SECRET}"}}'
echo 'error: {SECRET}' >&2
exit 1
"""
HANG = """#!/bin/sh
echo $$ > "$PID_DIR/helper.pid"
sleep 300 &
echo $! > "$PID_DIR/child.pid"
wait
"""
GARBAGE = {
    "truncated": f'{{"Username":"evil","Secret":"{SECRET}"',
    "list": f'["{SECRET}"]',
    "number": f'{{"Username": 1, "Secret": "{SECRET}"}}',
}


@pytest.fixture
def registry() -> Iterator[HostileRegistry]:
    with HostileRegistry(auth="basic") as server:
        good_list(server)
        yield server


def install(tmp_path: Path, host: str, script: str) -> dict[str, str]:
    """docker-credential-evil on PATH running SCRIPT, configured for HOST; the env to run with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    helper = bin_dir / "docker-credential-evil"
    helper.write_text(script)
    helper.chmod(0o755)
    config = tmp_path / "docker"
    config.mkdir(exist_ok=True)
    (config / "config.json").write_text(json.dumps({"credHelpers": {host: "evil"}}))
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DOCKER_CONFIG": str(config),
        "PID_DIR": str(tmp_path),
    }


def verify(registry: HostileRegistry, env: dict[str, str], *extra: str) -> Ran:
    ref = f"{registry.host}/{REPO}:1.0"
    return run_cli("verify", ref, "--insecure", *extra, env=env, timeout=60)


def assert_no_secret(ran: Ran) -> None:
    assert SECRET not in ran.stdout and SECRET not in ran.stderr
    assert "Traceback" not in ran.stderr


def alive(pid: int) -> bool:
    """Whether PID runs (a zombie waiting for its parent to reap it does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.parametrize("json_output", [False, True])
def test_failing_helper_that_prints_the_secret(
    registry: HostileRegistry, tmp_path: Path, json_output: bool
) -> None:
    env = install(tmp_path, registry.host, LOUD)
    ran = verify(registry, env, *(["--json"] if json_output else []))
    assert ran.code == 2
    assert_no_secret(ran)
    assert "docker-credential-evil" in ran.stderr and "`get` failed (exit 1)" in ran.stderr
    assert ran.stderr.count("\n") == 1
    if json_output:
        answer = json.loads(ran.stdout)
        assert answer["exit_code"] == 2 and "`get` failed (exit 1)" in answer["error"]


@pytest.mark.parametrize("kind", sorted(GARBAGE))
@pytest.mark.parametrize("json_output", [False, True])
def test_helper_answering_garbage_with_the_secret(
    registry: HostileRegistry, tmp_path: Path, kind: str, json_output: bool
) -> None:
    script = f"#!/bin/sh\ncat > /dev/null\necho '{GARBAGE[kind]}'\n"
    env = install(tmp_path, registry.host, script)
    ran = verify(registry, env, *(["--json"] if json_output else []))
    assert ran.code == 2
    assert_no_secret(ran)
    assert "docker-credential-evil" in ran.stderr
    if json_output:
        assert json.loads(ran.stdout)["exit_code"] == 2


def test_hung_helper_and_its_child_are_killed(registry: HostileRegistry, tmp_path: Path) -> None:
    env = install(tmp_path, registry.host, HANG)
    ran = verify(registry, env, "--timeout", "3")
    assert ran.code == 2, ran.stderr
    assert ran.seconds < 15
    assert "docker-credential-evil" in ran.stderr and "it was stopped" in ran.stderr
    pids = [int((tmp_path / name).read_text()) for name in ("helper.pid", "child.pid")]
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


# -- where Basic credentials may go --------------------------------------------------------


def auths(tmp_path: Path, host: str) -> dict[str, str]:
    """A DOCKER_CONFIG holding USER/PASSWORD for HOST."""
    config = tmp_path / "docker"
    config.mkdir()
    entry = {"username": USER, "password": PASSWORD}
    (config / "config.json").write_text(json.dumps({"auths": {host: entry}}))
    return {"DOCKER_CONFIG": str(config)}


def test_realm_on_another_host_gets_no_credentials(tmp_path: Path) -> None:
    with HostileRegistry(auth="bearer") as registry, TokenServer(registry.tokens) as tokens:
        registry.realm = tokens.url  # http://127.0.0.2:PORT/token
        good_list(registry)
        env = auths(tmp_path, registry.host)
        ref = f"{registry.host}/{REPO}:1.0"
        ran = run_cli("verify", ref, "--insecure", "--arch", "amd64,arm64,arm/v7", env=env)
    assert ran.code == 0, ran.stderr
    assert tokens.seen, "the token service was asked"
    assert all("Authorization" not in headers for headers in tokens.seen)
    assert "bearer token, anonymous" in ran.stdout


def test_realm_on_the_registry_host_gets_them(tmp_path: Path) -> None:
    with HostileRegistry(auth="bearer") as registry:
        good_list(registry)
        env = auths(tmp_path, registry.host)
        ran = run_cli("verify", f"{registry.host}/{REPO}:1.0", "--insecure", env=env)
    assert ran.code == 0, ran.stderr
    asked = [seen for seen in registry.seen if seen.path == "/token"]
    assert asked
    assert all(seen.headers.get("Authorization", "").startswith("Basic ") for seen in asked)


def test_realm_on_another_host_refusing_anonymous_says_why(tmp_path: Path) -> None:
    """The token service wants credentials it was not sent: the error says they were kept."""
    with (
        HostileRegistry(auth="bearer") as registry,
        TokenServer(registry.tokens, refuse_anonymous=True) as tokens,
    ):
        registry.realm = tokens.url
        good_list(registry)
        env = auths(tmp_path, registry.host)
        ran = run_cli("verify", f"{registry.host}/{REPO}:1.0", "--insecure", env=env)
    assert ran.code == 2
    assert tokens.seen and all("Authorization" not in headers for headers in tokens.seen)
    assert "refused an anonymous token (401); your credentials were not sent" in ran.stderr
    assert "127.0.0.2 is not on the registry's host 127.0.0.1" in ran.stderr
    assert PASSWORD not in ran.stderr and ran.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("realm", "registry", "allowed"),
    [
        ("auth.docker.io", "registry-1.docker.io", True),
        ("gitlab.com", "registry.gitlab.com", True),
        ("auth.example.com", "example.com", True),
        ("ghcr.io", "ghcr.io", True),
        ("Auth.Example.COM.", "auth.example.com", True),
        ("127.0.0.1", "127.0.0.1", True),
        ("evil.azurecr.io", "myreg.azurecr.io", False),
        ("gitlab.example.com", "registry.example.com", False),
        ("example.com.evil.net", "reg.example.com", False),
        ("auth.docker.io", "reg.example.com", False),
        ("127.0.0.2", "127.0.0.1", False),
        ("127.0.0.1", "localhost", False),
        ("io", "ghcr.io", False),
    ],
)
def test_which_realms_may_get_credentials(realm: str, registry: str, allowed: bool) -> None:
    assert realm_may_get_credentials(realm, registry) is allowed


def test_no_credentials_in_clear_text_from_an_https_registry() -> None:
    with httpx.Client() as http:
        secure = Authenticator("reg.example.com", http, None, 5)
        assert "plain HTTP" in secure._withhold("http", "reg.example.com")
        assert secure._withhold("https", "example.com") == ""
        assert "not on the registry's host" in secure._withhold("https", "evil.example.net")
        plain = Authenticator("reg.example.com", http, None, 5, insecure=True)
        assert plain._withhold("http", "reg.example.com") == ""
        hub = Authenticator("docker.io", http, None, 5)
        assert hub._withhold("https", "auth.docker.io") == ""


# -- helpers, in-process ----------------------------------------------------------------------


def helper_env(tmp_path: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = install(tmp_path, "reg.example.com", script)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_talkative_helper_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helper_env(tmp_path, f"#!/bin/sh\nyes '{SECRET}' | head -c 5000000\n", monkeypatch)
    with pytest.raises(CredentialsError, match="printed more than 1 MiB; it was stopped") as caught:
        lookup("reg.example.com")
    assert SECRET not in str(caught.value)


def test_helper_leaving_a_child_holding_its_pipes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It answers and exits, its child keeps stdout open: taken after a grace, the child killed."""
    script = f"""#!/bin/sh
cat > /dev/null
echo '{{"Username":"u","Secret":"{SECRET}"}}'
sleep 300 &
echo $! > "$PID_DIR/child.pid"
"""
    helper_env(tmp_path, script, monkeypatch)
    started = time.monotonic()
    found = lookup("reg.example.com")
    assert found is not None and found.secret == SECRET
    assert time.monotonic() - started < 10
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child)
