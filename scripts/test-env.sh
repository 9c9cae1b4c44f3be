#!/usr/bin/env bash
# Set up (or tear down) the local environment the end-to-end tests need:
#   * a current Docker engine: dockerd, client and buildx plugin 26.1/0.13 from Debian 13
#     (trixie), installed on Debian 12 with trixie as an apt source pinned low, so nothing
#     else (libc, runc) is upgraded;
#   * that engine with the classic image store or the containerd image store (the default
#     of fresh Docker 29 installs): one dockerd at a time, each store with its own data root;
#   * two registries on loopback: plain HTTP on :5000 and htpasswd basic auth on :5001;
#   * QEMU binfmt handlers so foreign-arch images run (arm64, arm/v6, arm/v7, ppc64le,
#     s390x, riscv64; 386 runs on the host itself);
#   * cosign 2.5 from trixie (key-based signing, no transparency log, in the supply-chain test);
#   * a Go builder image made from Debian's Go 1.23 toolchain (bookworm-backports; no base
#     image can be pulled here: there is no Docker Hub), pushed to the plain registry.
#
# Usage (as root, Debian 12):
#   scripts/test-env.sh                     set up, containerd image store; idempotent
#   scripts/test-env.sh --store classic     the same engine with the classic image store
#   scripts/test-env.sh --stop              stop the dockerd and registries this script started
#
# At the end it prints KEY=value facts for the tests and writes them to
# /var/lib/mkmultiarch-test/env (read by tests/e2e/conftest.py).
#
# Registry host name: use 127.0.0.1:<port>, not localhost:<port>. Both work for
# `docker push` (the engine treats 127.0.0.0/8 as insecure), but 127.0.0.1 never depends
# on how "localhost" resolves (::1 first on some hosts, and the registries bind IPv4 only).
# BuildKit reaches it over plain HTTP too (containerd's resolver treats loopback as
# plain-HTTP); `docker manifest create/push/inspect` still need --insecure for either name.
set -euo pipefail

readonly STATE_DIR=/var/lib/mkmultiarch-test
readonly LOG_DIR=/var/log/mkmultiarch-test
readonly RUN_DIR=/run/mkmultiarch-test
readonly ENV_FILE=$STATE_DIR/env

# Debian's client (26.1, with the buildx plugin). /usr/local/bin/docker (28.x, first on
# PATH on this machine kind) finds the same plugin; tests that care name the client.
readonly DOCKER=/usr/bin/docker
readonly OTHER_DOCKER=/usr/local/bin/docker
# Go 1.23 from bookworm-backports (Debian 12's own golang-go is 1.19).
readonly GO=/usr/lib/go-1.23/bin/go

readonly REGISTRY=127.0.0.1:5000
readonly AUTH_REGISTRY=127.0.0.1:5001
readonly AUTH_USER=mkma
readonly AUTH_PASSWORD=mkma-secret
readonly GO_REPO=mkmultiarch-test/golang
# Bump when build_go_image changes: images with another recipe label get rebuilt.
readonly GO_IMAGE_RECIPE=3
readonly RECIPE_LABEL=io.mkmultiarch.test.recipe

# From Debian 12 itself (podman 4.3 and skopeo: trixie's need a newer libc).
readonly PACKAGES=(
  qemu-user-static binfmt-support docker-registry busybox-static
  skopeo apache2-utils curl ca-certificates iproute2 podman
)
readonly APT_SOURCE=/etc/apt/sources.list.d/mkmultiarch-trixie.sources
readonly APT_PIN=/etc/apt/preferences.d/mkmultiarch-trixie
# binfmt_misc entry names (as registered by qemu-user-static) for the foreign arches.
readonly BINFMT_HANDLERS=(qemu-aarch64 qemu-arm qemu-ppc64le qemu-s390x qemu-riscv64)
readonly BINFMT_PLATFORMS=linux/arm64,linux/arm/v6,linux/arm/v7,linux/386,linux/ppc64le,linux/s390x,linux/riscv64
# The image store dockerd runs with: containerd (the default here, as on fresh Docker 29
# installs) or classic. Set by --store.
STORE=containerd

log() { printf '[test-env] %s\n' "$*" >&2; }
die() { printf '[test-env] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Background processes: started in their own session (so they outlive this script and the
# caller's process group), stdio detached (so `$(test-env.sh)` does not hang), pid files in
# $RUN_DIR so --stop only ever touches what we started.
# ---------------------------------------------------------------------------------------

# pid_alive NAME: true when $RUN_DIR/NAME.pid names a live process running NAME's binary.
pid_alive() {
  local name=$1 pidfile=$RUN_DIR/$1.pid pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] || return 1
  # A stale pid file may name a recycled pid: check the command line too.
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$(pid_binary "$name")"
}

pid_binary() {
  case $1 in
    dockerd) echo dockerd ;;
    registry-*) echo docker-registry ;;
  esac
}

# start_bg NAME LOGFILE CMD...: start CMD detached and record its pid.
start_bg() {
  local name=$1 logfile=$2
  shift 2
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
}

# stop_bg NAME [TIMEOUT]: SIGTERM the recorded pid, SIGKILL after TIMEOUT seconds.
stop_bg() {
  local name=$1 timeout=${2:-20} pid i
  if ! pid_alive "$name"; then
    rm -f "$RUN_DIR/$name.pid"
    return 0
  fi
  pid=$(<"$RUN_DIR/$name.pid")
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 5; i++)); do
    [[ -d /proc/$pid ]] || break
    sleep 0.2
  done
  if [[ -d /proc/$pid ]]; then
    log "$name did not exit after ${timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN_DIR/$name.pid"
}

# wait_for DESCRIPTION TIMEOUT LOGFILE CMD...: poll CMD until it succeeds; on timeout show
# the tail of LOGFILE so the reason is visible without digging.
wait_for() {
  local what=$1 timeout=$2 logfile=$3 i
  shift 3
  for ((i = 0; i < timeout * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "timed out after ${timeout}s waiting for $what; last lines of $logfile:"
  tail -n 30 "$logfile" >&2 || true
  die "$what is not available"
}

# port_in_use PORT: something listens on 127.0.0.1:PORT (or all addresses).
port_in_use() {
  [[ -n $(ss -Hltn "sport = :$1") ]]
}

# ---------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------

# Root is needed for apt, dockerd, binfmt_misc and /var/lib.
require_root() {
  [[ $(id -u) -eq 0 ]] || die "run as root (apt-get, dockerd and binfmt_misc need it)"
}

# trixie and bookworm-backports as apt sources, pinned low: nothing comes from them unless
# named (pkg/release). The mirror is the machine's own (from debian.sources).
add_apt_sources() {
  local uri
  [[ -f $APT_SOURCE && -f $APT_PIN ]] && return 0
  uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n $uri ]] || die "no URIs: line in /etc/apt/sources.list.d/debian.sources to take the mirror from"
  log "adding trixie and bookworm-backports from $uri, pinned at priority 100"
  printf '%s\n' 'Types: deb' "URIs: $uri" 'Suites: trixie bookworm-backports' 'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' >"$APT_SOURCE"
  printf '%s\n' 'Package: *' 'Pin: release n=trixie' 'Pin-Priority: 100' >"$APT_PIN"
  APT_UPDATED=0
}

# is_installed PKG [VERSION_PREFIX]: installed (at a version starting with VERSION_PREFIX).
is_installed() {
  local status
  status=$(dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null) || return 1
  [[ $status == "install ok installed "* ]] || return 1
  [[ -z ${2:-} || ${status#install ok installed } == "$2"* ]]
}

APT_UPDATED=1
apt_install() {
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  if ((APT_UPDATED == 0)); then
    apt-get update -qq
    APT_UPDATED=1
  fi
  apt-get install -y -qq --no-install-recommends "$@"
}

# Install only what is missing, so a warm run never touches apt (nor the network). The
# engine and Go are named with their release (pkg/trixie): apt takes only those from
# there, and resolves their dependencies from Debian 12 where it can (runc, libc stay).
install_packages() {
  local pkg missing=()
  for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  if ((${#missing[@]} > 0)); then
    log "installing: ${missing[*]}"
    APT_UPDATED=0
    apt_install "${missing[@]}"
  fi
  add_apt_sources
  missing=()
  is_installed docker.io 26. || missing+=(docker.io/trixie)
  is_installed docker-cli 26. || missing+=(docker-cli/trixie)
  is_installed docker-buildx || missing+=(docker-buildx/trixie)
  is_installed containerd 1.7 || missing+=(containerd/trixie)
  is_installed golang-1.23-go || missing+=(golang-1.23-go/bookworm-backports)
  if ((${#missing[@]} > 0)); then
    log "installing from trixie and bookworm-backports: ${missing[*]}"
    # A dockerd of an older engine, started by us, must not outlive its binary.
    stop_bg dockerd 40
    APT_UPDATED=0
    apt_install "${missing[@]}"
  fi
  # cosign signs the pushed lists in the supply-chain tests: trixie's 2.5 is one static
  # binary (apt -s: it pulls nothing else), so installing it never touches dockerd.
  if ! is_installed cosign 2.; then
    log "installing from trixie: cosign/trixie"
    APT_UPDATED=0
    apt_install cosign/trixie
  fi
}

# The daemon's config for STORE: its own data root (images of one store are not visible
# from the other), the containerd image store switched on or off.
write_daemon_config() {
  local file=$STATE_DIR/daemon-$STORE.json snapshotter=false
  [[ $STORE == containerd ]] && snapshotter=true
  mkdir -p "$STATE_DIR/docker-$STORE"
  printf '{\n  "data-root": "%s",\n  "features": {"containerd-snapshotter": %s}\n}\n' \
    "$STATE_DIR/docker-$STORE" "$snapshotter" >"$file"
  echo "$file"
}

# running_store: the image store of the answering daemon (containerd or classic), or "".
running_store() {
  local status
  # `docker info` exits 0 with no daemon (it prints the client half): ask the server first.
  "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 || return 0
  status=$("$DOCKER" info --format '{{json .DriverStatus}}' 2>/dev/null) || return 0
  if [[ $status == *io.containerd.snapshotter* ]]; then echo containerd; else echo classic; fi
}

# A Docker 26 engine with STORE: reuse ours when it runs that store, restart it otherwise.
start_dockerd() {
  local logfile=$LOG_DIR/dockerd.log config current
  current=$(running_store)
  if [[ -n $current ]] && ! pid_alive dockerd; then
    [[ $current == "$STORE" ]] ||
      die "a dockerd not started by this script runs the $current store; stop it (systemctl stop docker) to test the $STORE store"
    log "dockerd (not started by this script) already runs the $STORE store"
    return 0
  fi
  if [[ $current == "$STORE" ]]; then
    log "dockerd already running with the $STORE store"
    return 0
  fi
  stop_bg dockerd 40
  config=$(write_daemon_config)
  log "starting dockerd with the $STORE image store (log: $logfile)"
  start_bg dockerd "$logfile" dockerd --config-file "$config"
  wait_for "dockerd ($DOCKER version)" 90 "$logfile" "$DOCKER" version --format '{{.Server.Version}}'
  [[ $(running_store) == "$STORE" ]] || die "dockerd started, but not with the $STORE image store"
}

# Registry config: loopback only, in-memory storage, deletes enabled so tests can clean up
# tags. Not the filesystem driver: it rewrites a tag's link file in place, so a HEAD that
# lands while buildx pushes several tags of one index at once reads a half-written file and
# gets a 500 ("invalid checksum digest format"); the in-memory driver writes under a lock.
# A restarted registry is empty (this script pushes the Go builder image again). Debian's
# default config wants htpasswd auth on :5000, so we never use it.
write_registry_config() {
  local name=$1 addr=$2 auth=$3
  mkdir -p "$STATE_DIR/$name"
  cat >"$STATE_DIR/$name/config.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: $name
storage:
  inmemory: {}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $addr
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  if [[ $auth == htpasswd ]]; then
    cat >>"$STATE_DIR/$name/config.yml" <<EOF
auth:
  htpasswd:
    realm: mkmultiarch-test
    path: $STATE_DIR/$name/htpasswd
EOF
  fi
}

# htpasswd file for the auth registry (bcrypt: the only hash distribution accepts).
write_htpasswd() {
  local file=$STATE_DIR/registry-auth/htpasswd
  if [[ -f $file ]] && htpasswd -vb "$file" "$AUTH_USER" "$AUTH_PASSWORD" >/dev/null 2>&1; then
    return 0
  fi
  htpasswd -Bbn "$AUTH_USER" "$AUTH_PASSWORD" >"$file"
}

# start_registry NAME HOST:PORT EXPECTED_HTTP_STATUS_OF_/v2/
start_registry() {
  local name=$1 addr=$2 want=$3 logfile=$LOG_DIR/$1.log
  if pid_alive "$name"; then
    : # ours, from an earlier run
  elif port_in_use "${addr##*:}"; then
    # Not ours (no pid file). Use it if it behaves like ours, else say who to stop.
    v2_status_is "$addr" "$want" ||
      die "port ${addr##*:} is taken by another process (a docker-registry system service? try: systemctl disable --now docker-registry)"
    log "WARNING: a registry not started by this script serves $addr; using it"
    return 0
  else
    log "starting $name on $addr (log: $logfile)"
    start_bg "$name" "$logfile" docker-registry serve "$STATE_DIR/$name/config.yml"
  fi
  wait_for "$name on http://$addr/v2/" 30 "$logfile" v2_status_is "$addr" "$want"
}

v2_status_is() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$1/v2/") == "$2" ]]
}

start_registries() {
  write_registry_config registry-plain "$REGISTRY" none
  write_registry_config registry-auth "$AUTH_REGISTRY" htpasswd
  write_htpasswd
  start_registry registry-plain "$REGISTRY" 200
  start_registry registry-auth "$AUTH_REGISTRY" 401
  # With credentials the auth registry must let us in (proves the htpasswd file works).
  [[ $(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH_USER:$AUTH_PASSWORD" \
    "http://$AUTH_REGISTRY/v2/") == 200 ]] || die "auth registry rejects $AUTH_USER"
}

# QEMU user-mode handlers let the kernel run foreign-arch binaries, so `docker run
# --platform linux/arm64` and foreign RUN steps work. They need the F (fix binary) flag:
# the interpreter is opened at registration time, since it does not exist inside containers.
register_binfmt() {
  local name entry missing=()
  if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
    log "mounting binfmt_misc"
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  for name in "${BINFMT_HANDLERS[@]}"; do
    register_binfmt_handler "$name"
    entry=/proc/sys/fs/binfmt_misc/$name
    if [[ ! -e $entry ]] || ! grep -qx enabled "$entry"; then
      missing+=("$name (not registered or disabled)")
    elif ! grep -q '^flags:.*F' "$entry"; then
      missing+=("$name (registered without the F flag)")
    fi
  done
  ((${#missing[@]} == 0)) || die "binfmt handlers unusable: ${missing[*]}"
}

register_binfmt_handler() {
  local name=$1 entry=/proc/sys/fs/binfmt_misc/$1
  # Registered without F (by some other tool): useless in containers, re-register it.
  if [[ -e $entry ]] && ! grep -q '^flags:.*F' "$entry"; then
    log "re-registering $name with the F flag"
    echo -1 >"$entry"
  fi
  if [[ ! -e $entry ]]; then
    log "registering binfmt handler $name"
    # --import copies /usr/share/binfmts/NAME into the admin db if it is not there yet;
    # --enable loads it into the kernel (Debian's files set fix_binary, i.e. F).
    update-binfmts --import "$name" >/dev/null 2>&1 || true
    update-binfmts --enable "$name" >/dev/null 2>&1 || true
  fi
  # Registered but switched off (echo 0 >entry): switch it back on.
  if [[ -e $entry ]] && ! grep -qx enabled "$entry"; then
    log "enabling binfmt handler $name"
    echo 1 >"$entry"
  fi
}

# go_image_ref: <registry>/mkmultiarch-test/golang:<major.minor of the host Go>.
go_version() { "$GO" env GOVERSION; }        # e.g. go1.23.5
go_tag() { go_version | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/'; }
go_image_ref() { echo "$REGISTRY/$GO_REPO:$(go_tag)"; }
go_recipe() { echo "$(go_version)-r$GO_IMAGE_RECIPE"; }

# registry_go_recipe: the recipe label of the Go image in the registry (empty if absent).
# Reads the manifest, then its config blob; grep is enough for these two small documents
# (the manifest has no spaces inside values, so whitespace can be dropped).
registry_go_recipe() {
  local manifest config_digest
  # The containerd image store pushes an OCI manifest, the classic store a Docker one.
  manifest=$(curl -fs -H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
    -H "Accept: application/vnd.oci.image.manifest.v1+json" \
    "http://$REGISTRY/v2/$GO_REPO/manifests/$(go_tag)" | tr -d ' \t\n') || return 0
  config_digest=$(grep -oE '"config":\{[^}]*\}' <<<"$manifest" |
    grep -oE 'sha256:[0-9a-f]{64}') || return 0
  curl -fs "http://$REGISTRY/v2/$GO_REPO/blobs/$config_digest" |
    grep -oE "\"$RECIPE_LABEL\": *\"[^\"]*\"" | cut -d'"' -f4 || true
}

# Directories the Go toolchain needs inside the image: GOROOT plus the targets of its
# symlinks (Debian's GOROOT links src, api, pkg/include into /usr/share/go-X). Tests and
# misc are left out; they are not needed to build.
go_dirs() {
  local goroot=$1 link target
  echo "$goroot"
  while IFS= read -r link; do
    case ${link##*/} in test | misc) continue ;; esac
    target=$(readlink -f "$link")
    [[ $target == "$goroot"/* ]] || echo "$target"
  done < <(find "$goroot" -maxdepth 2 -type l)
}

# The non-Go part of the rootfs: busybox as /bin/sh and its applets, passwd/group for root,
# a world-writable /tmp, the Go directories of the official image, /usr/local/go -> GOROOT.
make_base_rootfs() {
  local root=$1 goroot=$2 applet
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root/.cache/go-build,go/bin,go/src,go/pkg/mod,tmp}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  while IFS= read -r applet; do
    [[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
  done < <("$root/bin/busybox" --list-full)
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
  ln -s "$goroot" "$root/usr/local/go"
  copy_shared_libs "$root" "$goroot"
}

# Debian's `go` command (and pprof, trace) link glibc dynamically: copy the loader and the
# libraries they need into the rootfs at the same paths (a static rebuild of cmd/go would
# take far longer).
copy_shared_libs() {
  local root=$1 goroot=$2 lib
  while IFS= read -r lib; do
    mkdir -p "$root${lib%/*}"
    cp -L "$lib" "$root$lib"
  done < <(find "$goroot/bin" "$goroot/pkg/tool" -type f -perm -u+x -exec ldd {} + 2>/dev/null |
    grep -oE '/[^ :]+\.so[^ :]*' | sort -u)
}

# Build the Go builder image without a base image: tar a rootfs and `docker import` it,
# with the environment of the official golang image set through --change.
build_go_image() {
  local ref=$1 goroot gover stage dirs rel excludes=() d
  goroot=$("$GO" env GOROOT)
  gover=$(go_version)
  stage=$STATE_DIR/go-rootfs
  rm -rf "$stage"
  make_base_rootfs "$stage" "$goroot"
  mapfile -t dirs < <(go_dirs "$goroot")
  for d in "${dirs[@]}"; do excludes+=("--exclude=${d#/}/test" "--exclude=${d#/}/misc"); done
  rel=("${dirs[@]#/}")
  log "building $ref from $goroot ($gover) and busybox-static"
  tar --numeric-owner --owner=0 --group=0 "${excludes[@]}" \
    -C "$stage" -cf - . -C / "${rel[@]}" |
    "$DOCKER" import \
      --change "ENV PATH=/go/bin:$goroot/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change "ENV GOROOT=$goroot" \
      --change "ENV GOPATH=/go" \
      --change "ENV GOCACHE=/root/.cache/go-build" \
      --change "ENV GOMODCACHE=/go/pkg/mod" \
      --change "ENV GOTOOLCHAIN=local" \
      --change "ENV GOFLAGS=-buildvcs=false" \
      --change "ENV CGO_ENABLED=0" \
      --change "ENV HOME=/root" \
      --change "ENV GOLANG_VERSION=${gover#go}" \
      --change "LABEL org.opencontainers.image.version=$gover" \
      --change "LABEL $RECIPE_LABEL=$(go_recipe)" \
      --change 'LABEL org.opencontainers.image.description="mkmultiarch test Go builder: Debian golang-1.23-go + busybox-static"' \
      --change "WORKDIR /go" \
      --change 'CMD ["/bin/sh"]' \
      - "$ref" >/dev/null
  rm -rf "$stage"
}

# The Go image lives in the plain registry only: skip all work when the registry already
# has the current recipe (one image serves both stores). The local tag is removed after the
# push, so every build resolves it the same way (from the registry), like real usage.
ensure_go_image() {
  local ref
  ref=$(go_image_ref)
  if [[ $(registry_go_recipe) == "$(go_recipe)" ]]; then
    log "$ref already in the registry"
    return 0
  fi
  build_go_image "$ref"
  log "pushing $ref"
  "$DOCKER" push "$ref" >>"$LOG_DIR/push.log" 2>&1 ||
    { tail -n 20 "$LOG_DIR/push.log" >&2; die "docker push $ref failed"; }
  [[ $(registry_go_recipe) == "$(go_recipe)" ]] || die "$ref not found in the registry after push"
  "$DOCKER" image rm "$ref" >/dev/null
}

# Facts for the tests, on stdout and in $ENV_FILE (written atomically).
write_env() {
  local tmp=$ENV_FILE.tmp
  {
    echo "MKMA_REGISTRY=$REGISTRY"
    echo "MKMA_AUTH_REGISTRY=$AUTH_REGISTRY"
    echo "MKMA_AUTH_USER=$AUTH_USER"
    echo "MKMA_AUTH_PASSWORD=$AUTH_PASSWORD"
    echo "MKMA_GO_IMAGE=$(go_image_ref)"
    echo "MKMA_GO_VERSION=$(go_version)"
    echo "MKMA_DOCKER_BUILDKIT_CLIENT=$DOCKER"
    [[ -x $OTHER_DOCKER ]] && echo "MKMA_DOCKER_OTHER_CLIENT=$OTHER_DOCKER"
    echo "MKMA_ENGINE_VERSION=$("$DOCKER" version --format '{{.Server.Version}}')"
    echo "MKMA_BUILDX_VERSION=$("$DOCKER" buildx version | awk '{ print $2; exit }')"
    echo "MKMA_STORE=$STORE"
    echo "MKMA_BINFMT_PLATFORMS=$BINFMT_PLATFORMS"
    echo "MKMA_PODMAN=$(command -v podman)"
  } >"$tmp"
  mv "$tmp" "$ENV_FILE"
  cat "$ENV_FILE"
}

setup() {
  require_root
  install_packages
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  start_dockerd
  start_registries
  register_binfmt
  ensure_go_image
  write_env
}

# Stop in reverse order; only processes recorded in our pid files. binfmt handlers and
# registry data stay (harmless, and keep the next start fast).
stop() {
  require_root
  stop_bg registry-auth
  stop_bg registry-plain
  stop_bg dockerd 40
  rm -f "$ENV_FILE"
}

main() {
  case ${1:-} in
    "") setup ;;
    --store)
      [[ ${2:-} == classic || ${2:-} == containerd ]] || die "--store takes classic or containerd"
      STORE=$2
      setup
      ;;
    --stop) stop ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
    *) die "unknown argument: $1 (use --store classic|containerd, --stop, or no argument)" ;;
  esac
}

main "$@"
