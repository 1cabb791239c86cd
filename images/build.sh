#!/usr/bin/env bash
# Build Coral's container images without any registry:
#
#   coral/base      debootstrap'ed Debian bookworm (minbase), `docker import`ed
#   coral/worker    FROM base: sshd + network tools, entrypoint coral-node
#   coral/notebook  FROM worker: Jupyter Notebook on port 8888
#
#   images/build.sh [--force]
#
# Each image is tagged coral/<name>:<recipe hash> (see lib.sh and tags.sh)
# and skipped when that tag already exists; coral/<name>:latest follows it.
# --force rebuilds all three from scratch (no debootstrap or layer cache).
# Logs: images/.cache/<name>.log. The debootstrap tarball is cached in
# images/.cache/ so that a rebuild after `docker rmi` takes seconds.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$arg' (usage: images/build.sh [--force])" >&2; exit 2 ;;
  esac
done

CACHE=$IMAGES_DIR/.cache
mkdir -p "$CACHE"

say() { echo "[images] $*"; }
die() { echo "[images] ERROR: $*" >&2; exit 1; }

[[ -n $DOCKER && -x $DOCKER ]] ||
  die "no docker client found; fix: scripts/install-deps.sh (package docker.io)"
"$DOCKER" info >/dev/null 2>&1 ||
  die "the Docker daemon does not answer; fix: scripts/start-docker.sh (or make docker)"

# One build at a time on this machine (several worktrees share one daemon).
lockfile=/var/lock/coral-images.lock
[[ -w /var/lock ]] || lockfile=$CACHE/lock
exec 9>"$lockfile"
if ! flock -n 9; then
  say "another images/build.sh is running; waiting for it"
  flock 9
fi

compute_hashes

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# fail NAME STEP FIX LOG: clear error. (`docker build -t` and `docker import`
# only tag on success, and tag_latest undoes the hash tag if it cannot follow
# it with :latest, so a failed step leaves no half-tagged image.)
fail() {
  local name=$1 step=$2 fix=$3 log=$4
  {
    echo "[images] ERROR: $name: $step failed."
    echo "[images]   fix: $fix"
    echo "[images]   log: $log (last lines below)"
    tail -n 15 "$log" | sed 's/^/    /'
  } >&2
  exit 1
}

# tag_latest NAME: point coral/NAME:latest at the hash tag.
tag_latest() {
  "$DOCKER" tag "$(image_tag "$1")" "coral/$1:latest" ||
    { "$DOCKER" rmi "$(image_tag "$1")" >/dev/null 2>&1 || true; die "$1: docker tag failed"; }
}

elapsed() { echo "$((SECONDS - $1)) s"; }

build_base() {
  local tag tarball log t0
  tag=$(image_tag base)
  tarball=$CACHE/base-${HASH[base]}.tar
  log=$CACHE/base.log
  : >"$log"
  if ((force)) || [[ ! -s $tarball ]]; then
    t0=$SECONDS
    say "base: debootstrap bookworm (≈30 s)…"
    rm -f "$CACHE"/base-*.tar
    "$IMAGES_DIR/base/mkrootfs.sh" "$tarball" >>"$log" 2>&1 ||
      fail base "debootstrap" "check that the Debian mirror in /etc/apt/sources.list* is reachable and that debootstrap is installed (scripts/install-deps.sh)" "$log"
    say "base: rootfs $(du -h "$tarball" | cut -f1) in $(elapsed "$t0")"
  else
    say "base: using cached rootfs $(basename "$tarball")"
  fi
  t0=$SECONDS
  say "base: docker import…"
  # base/image-config: Dockerfile instructions applied to the imported rootfs.
  local changes=() line
  while IFS= read -r line; do
    [[ -n $line && $line != \#* ]] && changes+=(--change "$line")
  done <"$IMAGES_DIR/base/image-config"
  "$DOCKER" import "${changes[@]}" "$tarball" "$tag" >>"$log" 2>&1 ||
    fail base "docker import" "check the daemon log and free disk space, then rerun images/build.sh --force" "$log"
  tag_latest base
  say "base: built $tag in $(elapsed "$t0")"
}

# build_docker NAME ESTIMATE: docker build of images/NAME FROM its parent.
build_docker() {
  local name=$1 estimate=$2 tag log t0 extra=()
  tag=$(image_tag "$name")
  log=$CACHE/$name.log
  : >"$log"
  ((force)) && extra+=(--no-cache)
  t0=$SECONDS
  say "$name: docker build (≈$estimate)…"
  DOCKER_BUILDKIT=0 "$DOCKER" build --rm --force-rm "${extra[@]}" \
    --build-arg "BASE=$(image_tag "${PARENT[$name]}")" \
    -t "$tag" "$IMAGES_DIR/$name" >>"$log" 2>&1 ||
    fail "$name" "docker build ($(grep '^Step ' "$log" | tail -n1 | cut -c1-100))" \
      "fix the failing step in images/$name/Dockerfile; if it is an apt-get step, check that the Debian mirror is reachable from containers; then rerun images/build.sh" "$log"
  tag_latest "$name"
  say "$name: built $tag in $(elapsed "$t0")"
}

for name in "${IMAGES[@]}"; do
  tag=$(image_tag "$name")
  if ((!force)) && image_exists "$tag"; then
    if [[ $("$DOCKER" image inspect -f '{{.Id}}' "coral/$name:latest" 2>/dev/null) != \
          $("$DOCKER" image inspect -f '{{.Id}}' "$tag") ]]; then
      tag_latest "$name"
    fi
    say "$name: up to date ($tag)"
    continue
  fi
  case $name in
    base) build_base ;;
    worker) build_docker worker "30–60 s" ;;
    notebook) build_docker notebook "40–90 s" ;;
  esac
done
