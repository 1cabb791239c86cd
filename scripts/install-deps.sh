#!/usr/bin/env bash
# Install every Debian package Coral needs to build, run and test.
#
# Idempotent and silent when everything is already installed; otherwise it
# runs `apt-get update` once, installs what is missing and prints one line
# per package installed. Services shipped by the test packages (etcd,
# zookeeper, bird) are neither started nor left enabled: the tests start
# their own instances on loopback.
set -euo pipefail

BUILD_PKGS=(
  cmake g++ make pkg-config
  libboost-dev libboost-system-dev libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev googletest
  golang-github-mesos-mesos-go-dev golang-github-gogo-protobuf-dev
  libzookeeper-mt-dev
)
RUNTIME_PKGS=(
  docker.io containernetworking-plugins debootstrap iptables iproute2
  conntrack curl iputils-ping ca-certificates
)
TEST_PKGS=(etcd-server zookeeperd bird2 busybox-static python3)

# package -> init/systemd service names it may ship
declare -A SERVICES=(
  [etcd-server]="etcd"
  [zookeeperd]="zookeeper"
  [bird2]="bird"
)

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for pkg in "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}" "${TEST_PKGS[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0

if ((EUID != 0)); then
  echo "[deps] missing packages: ${missing[*]}" >&2
  echo "[deps] run as root: sudo $0" >&2
  exit 1
fi

log=/var/log/coral-install-deps.log
: >"$log"
fail() {
  echo "[deps] $1 failed; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
}

# Keep maintainer scripts from starting services (no policy-rc.d on a plain
# Debian host). Only remove the file if we created it.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# temporary, written by coral scripts/install-deps.sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q >>"$log" 2>&1 || fail "apt-get update"
apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
  fail "apt-get install ${missing[*]}"

systemd_running() { [[ -d /run/systemd/system ]]; }

for pkg in "${missing[@]}"; do
  installed "$pkg" || fail "installing $pkg"
  echo "[deps] installed $pkg"
  for svc in ${SERVICES[$pkg]:-}; do
    if systemd_running; then
      systemctl disable --now "$svc" >>"$log" 2>&1 || true
    else
      if [[ -x /etc/init.d/$svc ]]; then
        /etc/init.d/"$svc" stop >>"$log" 2>&1 || true
        update-rc.d "$svc" disable >>"$log" 2>&1 || true
      fi
      # Offline systemctl only edits the unit symlinks, so the service stays
      # off if this machine later boots with systemd.
      if command -v systemctl >/dev/null; then
        systemctl disable "$svc" >>"$log" 2>&1 || true
      fi
    fi
  done
done
