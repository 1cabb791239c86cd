#!/usr/bin/env bash
# Print the tags images/build.sh produces for the current recipes, without
# building anything (tests and benchmarks use them to know the image names).
#
#   images/tags.sh            coral/base:<hash>, coral/worker:<hash>, ...
#   images/tags.sh worker     coral/worker:<hash>
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
compute_hashes

if (($# == 0)); then
  for name in "${IMAGES[@]}"; do image_tag "$name"; done
  exit 0
fi
for name in "$@"; do
  if [[ -z ${HASH[$name]:-} ]]; then
    echo "tags.sh: unknown image '$name' (known: ${IMAGES[*]})" >&2
    exit 2
  fi
  image_tag "$name"
done
