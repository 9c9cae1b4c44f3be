#!/usr/bin/env bash
# Set up a fresh machine for mkmultiarch work: a virtualenv with mkmultiarch and
# its dev tools (copier, pytest, ruff, mypy, hadolint, shellcheck, mbake), nothing
# else. scripts/demo.sh runs this, then the whole job on the example project.
#   bash scripts/setup.sh && source .venv/bin/activate
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
	"$python_bin" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
echo "ready: $(.venv/bin/mkmultiarch --version); next: source .venv/bin/activate"
