#!/usr/bin/env bash
# Run every check CI runs: lint, type-check, stale-output check, and the whole
# test suite including the Docker end-to-end tests.
#   bash scripts/test.sh            (as root on Debian: starts Docker, registries, QEMU)
#   bash scripts/test.sh -k copier  (extra arguments go to pytest)
# Without root or Docker the end-to-end tests skip with a reason; with CI=true
# they fail instead, so CI can never go green by skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -x .venv/bin/python ]] || bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
	bash scripts/test-env.sh
else
	echo "test.sh: not root on Debian: not starting the Docker test environment" >&2
fi

ruff check generator tests scripts
ruff format --check generator tests scripts
mypy
mkmultiarch render --check --config example-project/multiarch.yaml
python -m pytest "$@"
