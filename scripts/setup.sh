#!/usr/bin/env bash
# Set up a fresh machine for mkmultiarch work: a virtualenv with mkmultiarch and
# its dev tools (copier, pytest, ruff, mypy, hadolint, shellcheck, mbake), then
# render the example project to show the whole thing works.
#   bash scripts/setup.sh && source .venv/bin/activate
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
	"$python_bin" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

# The main job: render the example project's Makefile and Dockerfile from its
# multiarch.yaml (already committed, so this reports "up to date").
.venv/bin/mkmultiarch render --config example-project/multiarch.yaml
echo "ready: source .venv/bin/activate; then: cd example-project && make help"
