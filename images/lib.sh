# shellcheck shell=bash
# Shared by images/build.sh and images/tags.sh (sourced, not executed).
#
# Each image is tagged with a hash of its recipe: the sha256 of every file in
# images/<name>/ (path, content, executable bit) plus the hash of its parent.
# Changing any file of an image therefore changes its tag and the tags of
# all images built on it.

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGES=(base worker notebook)
declare -A PARENT=([base]="" [worker]=base [notebook]=worker)

# /usr/bin/docker is Debian's docker.io client, which matches the daemon
# (API 1.41); /usr/local/bin/docker on some machines is a newer client.
DOCKER=${DOCKER:-$(command -v /usr/bin/docker || command -v docker || true)}

# recipe_hash NAME PARENT_HASH -> 12 hex digits
recipe_hash() {
  local dir=$IMAGES_DIR/$1
  {
    echo "parent ${2:-none}"
    (
      cd "$dir" || exit 1
      find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 |
        LC_ALL=C sort -z |
        while IFS= read -r -d '' f; do
          if [[ -x $f ]]; then mode=x; else mode=-; fi
          printf '%s %s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$mode" "$f"
        done
    )
  } | sha256sum | cut -c1-12
}

# Fills HASH[name] for every image, parents first.
declare -A HASH
compute_hashes() {
  local name parent
  for name in "${IMAGES[@]}"; do
    parent=${PARENT[$name]}
    HASH[$name]=$(recipe_hash "$name" "${parent:+${HASH[$parent]}}")
  done
}

image_tag() { echo "coral/$1:${HASH[$1]}"; }
