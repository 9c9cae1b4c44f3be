#!/usr/bin/env bash
# Run every check CI runs: the pre-commit hooks (lint, format, types, shellcheck,
# stale-output check), then the whole test suite including the Docker end-to-end tests.
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

# The hooks contributors run on commit (.pre-commit-config.yaml): ruff, ruff
# format, mypy, shellcheck on scripts/, render --check of the example, and the
# copier.yml drift check.
pre-commit run --all-files --show-diff-on-failure
python -m pytest "$@"
