#!/usr/bin/env bash
# The newcomer's first command: set everything up, then do mkmultiarch's whole job
# once, on this machine, and show what came out.
#   bash scripts/demo.sh
#
#   1. scripts/setup.sh: a .venv with mkmultiarch
#   2. the engine: Docker 26 with buildx, a registry on 127.0.0.1:5000, QEMU and a Go
#      builder image (scripts/test-env.sh, as root on Debian; what is already running
#      is reused as it is)
#   3. mkmultiarch render of example-project/
#   4. make clean, then docker-build one arch at a time, then docker-push: every arch's
#      image and the manifest list, into the local registry
#   5. mkmultiarch verify of the pushed tag
#   6. each arch's image, pulled from the list, run under QEMU: what it says it is
#   7. a summary: the tag, its digest, the platforms, what to try next
#
# Without root on Debian (or with --no-start: never install or start anything), and no
# engine already running, it stops after step 3, says what is missing and how to get it,
# and exits 1.
#   bash scripts/demo.sh --no-start
#
# Environment (all optional): MKMA_DEMO_PROJECT (default example-project),
# MKMA_DEMO_IMG (mkmultiarch-demo/hello), MKMA_DEMO_VERSION (0.1.0-demo),
# MKMULTIARCH (an installed mkmultiarch to use instead of running setup.sh),
# MKMA_ENV_FILE (the facts test-env.sh writes).
set -euo pipefail
cd "$(dirname "$0")/.."
readonly REPO=$PWD
readonly STEPS=7
readonly ENV_FILE=${MKMA_ENV_FILE:-/var/lib/mkmultiarch-test/env}
readonly PROJECT=${MKMA_DEMO_PROJECT:-example-project}
readonly IMG=${MKMA_DEMO_IMG:-mkmultiarch-demo/hello}
readonly VERSION=${MKMA_DEMO_VERSION:-0.1.0-demo}
started=$SECONDS
no_start=0
case ${1:-} in
--no-start) no_start=1 ;;
"") ;;
*) echo "usage: bash scripts/demo.sh [--no-start]" >&2; exit 2 ;;
esac

step() { printf '\n==> [%s/%s] %s\n' "$1" "$STEPS" "$2"; }
say() { printf '    %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# The value of KEY in the env file test-env.sh writes (read, never sourced).
env_value() {
	[[ -r $ENV_FILE ]] || return 0
	sed -n "s/^$1=//p" "$ENV_FILE" | head -n 1
}

# --- 1. set-up ------------------------------------------------------------------------
step 1 "set-up: a .venv with mkmultiarch"
if [[ -n ${MKMULTIARCH:-} ]]; then
	mkmultiarch=$MKMULTIARCH
	say "using $mkmultiarch"
else
	bash scripts/setup.sh
	mkmultiarch=$REPO/.venv/bin/mkmultiarch
fi
# The interpreter mkmultiarch runs on (a venv's, or pipx's: named by its #! line).
python=$(dirname "$mkmultiarch")/python
if [[ ! -x $python ]]; then
	python=$(head -n 1 "$mkmultiarch" | sed -n 's/^#!//p')
fi
[[ -x $mkmultiarch && -x $python ]] || die "$mkmultiarch: not an installed mkmultiarch"
say "$("$mkmultiarch" --version)"

# True when the engine, the registry and the Go builder image test-env.sh made answer.
engine_ready() {
	local docker registry go_image
	docker=$(env_value MKMA_DOCKER_BUILDKIT_CLIENT)
	registry=$(env_value MKMA_REGISTRY)
	go_image=$(env_value MKMA_GO_IMAGE)
	[[ -n $docker && -n $registry && -n $go_image ]] || return 1
	timeout 60 "$docker" info >/dev/null 2>&1 || return 1
	"$python" - "$registry" <<-'EOF' >/dev/null 2>&1
		import sys, urllib.request
		urllib.request.urlopen(f"http://{sys.argv[1]}/v2/", timeout=10).close()
	EOF
}

# What is missing here, one line each, with how to get it.
explain_missing() {
	local docker
	docker=$(env_value MKMA_DOCKER_BUILDKIT_CLIENT)
	docker=${docker:-docker}
	echo "demo: cannot build here: no engine is running and this script cannot start one" >&2
	if ((no_start)); then
		echo "  - --no-start: this script installs and starts nothing;" \
			"without it, as root on Debian, scripts/test-env.sh does" >&2
	elif [[ $(id -u) != 0 ]]; then
		echo "  - not root: scripts/test-env.sh installs packages and starts dockerd;" \
			"run: sudo bash scripts/demo.sh" >&2
	fi
	if ! command -v apt-get >/dev/null; then
		echo "  - not Debian (no apt-get): scripts/test-env.sh needs Debian 12;" \
			"elsewhere install Docker >= 23 with buildx, run a registry on 127.0.0.1:5000" \
			"and QEMU binfmt (docker run --privileged --rm tonistiigi/binfmt --install all)" >&2
	fi
	if ! command -v "$docker" >/dev/null; then
		echo "  - no docker client: Debian: apt-get install docker.io docker-buildx" >&2
	elif ! timeout 60 "$docker" info >/dev/null 2>&1; then
		echo "  - docker does not reach a daemon: start dockerd, or join the docker group" >&2
	fi
	if [[ ! -r $ENV_FILE ]]; then
		echo "  - no $ENV_FILE: the registry on 127.0.0.1:5000 and the Go builder image" \
			"are made by: sudo bash scripts/test-env.sh" >&2
	else
		echo "  - the registry $(env_value MKMA_REGISTRY) does not answer: sudo bash scripts/test-env.sh" >&2
	fi
}

# --- 2. the engine ---------------------------------------------------------------------
step 2 "the engine: Docker with buildx, a registry on 127.0.0.1:5000, QEMU, a Go builder image"
can_start=0
if ((!no_start)) && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
	can_start=1
fi
if engine_ready; then
	say "already running (engine $(env_value MKMA_ENGINE_VERSION), $(env_value MKMA_STORE) image store)"
elif ((can_start)); then
	say "starting it with scripts/test-env.sh (a few minutes the first time)"
	bash scripts/test-env.sh >/dev/null
	engine_ready || die "scripts/test-env.sh ran, but the engine or the registry does not answer"
else
	say "not running, and not started here (after rendering: what is missing)"
fi

# --- 3. render -------------------------------------------------------------------------
step 3 "mkmultiarch render of $PROJECT/multiarch.yaml"
"$mkmultiarch" render --config "$PROJECT/multiarch.yaml" | sed 's/^/    /'
if ! engine_ready; then
	explain_missing
	exit 1
fi

docker=$(env_value MKMA_DOCKER_BUILDKIT_CLIENT)
registry=$(env_value MKMA_REGISTRY)
tag=$registry/$IMG:$VERSION
mapfile -t arches < <("$python" - "$PROJECT/multiarch.yaml" <<-'EOF'
	import sys
	from pathlib import Path
	from mkmultiarch.render.config import load
	print("\n".join(load(Path(sys.argv[1])).arches))
EOF
)
((${#arches[@]})) || die "$PROJECT/multiarch.yaml: no arches read"
make_args=(
	-C "$PROJECT" DOCKER="$docker" REGISTRY="$registry" INSECURE=1 IMG="$IMG"
	VERSION="$VERSION" GO_IMAGE="$(env_value MKMA_GO_IMAGE)" ARCHES="${arches[*]}"
)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# make TARGET..., its output in LOG; on failure, the end of it and stop.
run_make() {
	local log=$1
	shift
	if ! make "${make_args[@]}" "$@" >"$log" 2>&1; then
		tail -n 30 "$log" | sed 's/^/    | /' >&2
		die "make $* failed (above: the end of its output)"
	fi
}

# --- 4. build and push -----------------------------------------------------------------
step 4 "make clean docker-build docker-push: ${#arches[@]} arches into $registry"
say "make$(printf ' %q' "${make_args[@]}") clean docker-build docker-push"
run_make "$logs/clean.log" clean
count=0
for arch in "${arches[@]}"; do
	count=$((count + 1))
	begun=$SECONDS
	printf '    [%s/%s] building linux/%s (then %s more) ... ' \
		"$count" "${#arches[@]}" "$arch" "$((${#arches[@]} - count))"
	run_make "$logs/build.log" "docker-build-${arch//\//-}"
	printf 'done in %ss\n' "$((SECONDS - begun))"
done
printf '    pushing %s images and the list %s ... ' "${#arches[@]}" "$tag"
begun=$SECONDS
run_make "$logs/push.log" docker-push
printf 'done in %ss\n' "$((SECONDS - begun))"

# --- 5. verify -------------------------------------------------------------------------
step 5 "mkmultiarch verify $tag --insecure"
"$mkmultiarch" verify "$tag" --insecure --config "$PROJECT/multiarch.yaml" | sed 's/^/    /'
"$mkmultiarch" verify "$tag" --insecure --config "$PROJECT/multiarch.yaml" --json >"$logs/verify.json"

# --- 6. run every arch -----------------------------------------------------------------
step 6 "each arch's image, pulled from $tag, run under QEMU"
count=0
failed=0
for arch in "${arches[@]}"; do
	count=$((count + 1))
	case $arch in
	arm/v*) expected="linux/arm GOARM=${arch#arm/v}" ;;
	*) expected="linux/$arch" ;;
	esac
	printf '    [%s/%s] docker run --platform linux/%-8s ... ' "$count" "${#arches[@]}" "$arch"
	said=$("$docker" run --rm --pull always --quiet --platform "linux/$arch" "$tag" --version 2>&1 |
		tail -n 1) || true
	if [[ $said == *" $VERSION $expected" ]]; then
		printf '%s\n' "$said"
	else
		printf 'FAILED: said "%s", expected "... %s %s"\n' "$said" "$VERSION" "$expected"
		failed=$((failed + 1))
	fi
done
((failed == 0)) || die "$failed of ${#arches[@]} arches did not run as their platform"

# --- 7. summary ------------------------------------------------------------------------
step 7 "summary"
"$python" - "$logs/verify.json" <<-'EOF'
	import json, sys
	result = json.load(open(sys.argv[1], encoding="utf-8"))
	platforms = [p for p in result.get("present", []) if p != "unknown/unknown"]
	print(f"    tag        {result['image']}")
	print(f"    digest     {result['digest']}")
	print(f"    platforms  {' '.join(platforms)}")
EOF
say "took $((SECONDS - started))s"
cat <<EOF

Next:
  source .venv/bin/activate
  docker run --rm --platform linux/arm64 $tag --version
  mkmultiarch verify $tag --insecure
  make -C $PROJECT help              # the generated Makefile: yours to read and edit
  mkmultiarch init                   # in your own project: a multiarch.yaml from what is there
  bash scripts/test.sh               # every test
EOF
