#!/usr/bin/env bash
# Run every check CI runs: the pre-commit hooks (lint, format, types, shellcheck,
# stale-output check), then the whole test suite including the Docker end-to-end tests,
# and the end-to-end tests once more on the engine's other image store.
#   bash scripts/test.sh            (as root on Debian: starts Docker, registries, QEMU)
#   bash scripts/test.sh -k copier  (extra arguments go to pytest)
#   MKMA_STORES=classic bash scripts/test.sh   (one image store only)
# Without root or Docker the end-to-end tests skip with a reason; with CI=true
# they fail instead, so CI can never go green by skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -x .venv/bin/python ]] || bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

# Docker 26 with the containerd image store (the default of current Docker installs)
# first, then the classic store; each run of the end-to-end tests names its store.
read -r -a stores <<<"${MKMA_STORES:-containerd classic}"
with_engine=0
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
	with_engine=1
	bash scripts/test-env.sh --store "${stores[0]}"
else
	echo "test.sh: not root on Debian: not starting the Docker test environment" >&2
fi

# The hooks contributors run on commit (.pre-commit-config.yaml): ruff, ruff
# format, mypy, shellcheck on scripts/, render --check of the example, and the
# copier.yml drift check.
pre-commit run --all-files --show-diff-on-failure
python -m pytest "$@"

((with_engine)) || exit 0
for store in "${stores[@]:1}"; do
	bash scripts/test-env.sh --store "$store"
	status=0
	python -m pytest -m docker "$@" || status=$?
	# 5: the arguments selected no end-to-end test, which is fine for a second store.
	((status == 0 || status == 5)) || exit "$status"
done
