#!/usr/bin/env bash
# Build the coral/base root filesystem tarball: a minimal Debian bookworm
# made with debootstrap from the host's own Debian mirror (no registry).
#
#   images/base/mkrootfs.sh OUT.tar
#
# The tarball leaves out apt lists/caches, docs, man pages and translations
# (~74 MB instead of ~200 MB). Files under images/base/overlay/ are copied
# into the rootfs (policy-rc.d, dpkg/apt settings for small layers).
set -euo pipefail

SUITE=bookworm
FALLBACK_MIRROR=http://deb.debian.org/debian
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: mkrootfs.sh OUT.tar}

# host_mirror SUITE -> first URI the host's apt sources use for SUITE
# (one-line sources.list format and deb822 *.sources files).
host_mirror() {
  local suite=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    # deb [opts] URI SUITE COMPONENTS...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
      awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    awk -v s="$suite" '
      function flush() { if (deb && hit && uri != "" && !done) { print uri; done = 1 }
                         deb = hit = 0; uri = "" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"   { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:"    { uri = $2 }
      tolower($1) == "suites:"  { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
      tolower($1) == "enabled:" { if (tolower($2) == "no") deb = 0 }
      END { flush() }' "$f"
  done
}

mirror=$(host_mirror "$SUITE" | head -n1)
security=$(host_mirror "$SUITE-security" | head -n1)
mirror=${mirror:-$FALLBACK_MIRROR}
mirror=${mirror%/}
echo "mirror: $mirror${security:+ (security: $security)}"

rootfs=$(mktemp -d /var/tmp/coral-rootfs.XXXXXX)
cleanup() {
  # debootstrap mounts proc/sys inside the target; never rm -rf through them.
  awk -v r="$rootfs/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$rootfs"
  rm -f "$out.partial"
}
trap cleanup EXIT

debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror"

{
  echo "deb $mirror $SUITE main"
  echo "deb $mirror $SUITE-updates main"
  [[ -n $security ]] && echo "deb ${security%/} $SUITE-security main"
} >"$rootfs/etc/apt/sources.list"
cp -a "$HERE/overlay/." "$rootfs/"
# Docker provides these at run time; do not bake the host's into the image.
: >"$rootfs/etc/resolv.conf"
echo localhost >"$rootfs/etc/hostname"

tar -C "$rootfs" --numeric-owner -cf "$out.partial" \
  --exclude='./var/lib/apt/lists/*' --exclude='./var/cache/apt/*' \
  --exclude='./usr/share/doc/*' --exclude='./usr/share/man/*' \
  --exclude='./usr/share/locale/*' --exclude='./usr/share/info/*' \
  --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' \
  .
mv "$out.partial" "$out"
