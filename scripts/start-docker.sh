#!/usr/bin/env bash
# Make sure dockerd answers on /var/run/docker.sock; start it if it does not.
#
# Does nothing when the daemon already answers. Uses systemd when it is PID 1,
# otherwise runs dockerd in the background (log: /var/log/coral-dockerd.log)
# and waits up to ~30 s for the socket.
set -euo pipefail

SOCK=/var/run/docker.sock
LOG=/var/log/coral-dockerd.log
TIMEOUT=${DOCKER_START_TIMEOUT:-30}

ping_docker() {
  [[ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null)" == OK ]]
}

ping_docker && exit 0

if ((EUID != 0)); then
  echo "[docker] dockerd is not answering on $SOCK; run as root: sudo $0" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null; then
  echo "[docker] dockerd not found; install it with scripts/install-deps.sh (package docker.io)" >&2
  exit 1
fi

if [[ -d /run/systemd/system ]]; then
  echo "[docker] starting docker.service"
  LOG="journalctl -u docker"
  systemctl start docker || {
    echo "[docker] systemctl start docker failed; see: journalctl -u docker" >&2
    journalctl -u docker -n 20 --no-pager >&2 || true
    exit 1
  }
elif pgrep -x dockerd >/dev/null; then
  # A dockerd exists but does not answer yet (still starting): just wait.
  echo "[docker] dockerd is running but not answering yet; waiting"
else
  echo "[docker] starting dockerd (log: $LOG)"
  # Own session: a later Ctrl-C in the terminal (e.g. during `make test`)
  # must not reach dockerd.
  setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
  disown || true
fi

deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)); do
  ping_docker && { echo "[docker] dockerd is up"; exit 0; }
  sleep 0.2
done

echo "[docker] dockerd did not answer on $SOCK within ${TIMEOUT}s; last lines of $LOG:" >&2
if [[ -f $LOG ]]; then tail -n 20 "$LOG" >&2; else journalctl -u docker -n 20 --no-pager >&2 || true; fi
exit 1
