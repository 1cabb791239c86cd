#!/usr/bin/env bash
# Writes Coral's images (built by images/build.sh) as `docker save` tarballs,
# for Mesos agents, which have no registry to pull them from either:
#
#   scripts/export-images.sh DIR
#
# DIR/coral/worker:latest.tar and DIR/coral/notebook:latest.tar are laid out
# as the Mesos containerizer's local puller reads them (agent flag
# --docker_registry=DIR: "<repository>:<tag>.tar" under that directory).
# For the Docker containerizer, load the same files on every agent:
#   docker load -i DIR/coral/worker:latest.tar
set -euo pipefail

dir=${1:-}
if [[ -z $dir || $dir == -h || $dir == --help ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  [[ -n $dir ]] && exit 0 || exit 2
fi
docker info >/dev/null 2>&1 ||
  { echo "export-images: the Docker daemon does not answer; fix: scripts/start-docker.sh" >&2; exit 1; }

for image in coral/worker:latest coral/notebook:latest; do
  docker image inspect "$image" >/dev/null 2>&1 ||
    { echo "export-images: image $image is missing; fix: images/build.sh (or make images)" >&2; exit 1; }
  out="$dir/$image.tar"
  mkdir -p "$(dirname "$out")"
  # Through a temporary name, so that an agent never reads half a tarball.
  docker save -o "$out.partial" "$image"
  mv -f "$out.partial" "$out"
  echo "export-images: $image -> $out ($(du -h "$out" | cut -f1))"
done
