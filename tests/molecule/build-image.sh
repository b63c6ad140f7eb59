#!/usr/bin/env bash
# Build the Debian 12 systemd image the molecule scenarios boot, without a
# container registry: debootstrap a minbase rootfs from the Debian mirror this
# machine's apt already uses, then `podman import` it.
#
# The image is cached by name and recipe: it carries a label with a hash of the
# recipe (suite, packages, recipe_rev), so it is rebuilt only when one of those
# changes (bump recipe_rev when the build steps change) or with --force.
# Prints the image name on stdout when done; progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/molecule/image.env
. "$here/image.env"
image=$GPUFLEET_MOLECULE_IMAGE
suite=bookworm
# Enough for ansible (python3, python3-apt) and systemd as PID 1; roles install the rest.
packages=systemd,systemd-sysv,python3,python3-apt,iproute2,ca-certificates,gnupg,sudo,kmod,procps
recipe_rev=2
recipe=$(printf '%s %s %s' "$suite" "$packages" "$recipe_rev" | sha256sum | cut -c1-16)

log() { printf 'build-image: %s\n' "$*" >&2; }

force=false
[ "${1:-}" = --force ] && force=true

# Several checkouts or helpers may build at once; one build, the others wait and reuse it.
exec 9>/var/lock/gpufleet-molecule-image.lock
flock 9

if ! $force && podman image exists "$image" &&
  [ "$(podman image inspect --format '{{ index .Labels "gpufleet.recipe" }}' "$image")" = "$recipe" ]; then
  log "$image is up to date (recipe $recipe)"
  echo "$image"
  exit 0
fi

# The machine's own apt configuration names the mirrors; never hard-code one.
# indextargets lists every configured (suite, URI) even before `apt-get update`.
repo_for() {
  apt-get indextargets --no-release-info --format '$(RELEASE) $(REPO_URI)' |
    awk -v s="$1" '$1 == s { print $2; exit }'
}
mirror=$(repo_for "$suite")
security=$(repo_for "$suite-security")
if [ -z "$mirror" ]; then
  log "no apt source for suite '$suite' in /etc/apt/sources.list{,.d}; cannot pick a Debian mirror"
  exit 1
fi
log "mirror $mirror${security:+, security $security}"

work=$(mktemp -d /var/tmp/gpufleet-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 40 "$work/debootstrap.log" >&2
  log "debootstrap from $mirror failed"
  exit 1
fi

# Same suites as a stock Debian 12 install, main only; roles add the components
# they need (e.g. nvidia_driver adds contrib/non-free) from these same mirrors.
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$suite" "$suite"
  if [ -n "$security" ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$security" "$suite"
  fi
} >"$work/rootfs/etc/apt/sources.list.d/debian.sources"
rm -f "$work/rootfs/etc/apt/sources.list"
# Keep the image small and boot quiet: no apt lists, no getty on a console that does not exist.
rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin
# ... and make the emptied lists look stale, as on a host whose last `apt-get update` is old:
# apt's cache_valid_time judges freshness by this directory's mtime.
touch -d @0 "$work/rootfs/var/lib/apt/lists"
chroot "$work/rootfs" systemctl mask getty@tty1.service console-getty.service systemd-firstboot.service >/dev/null 2>&1 || true

tar -C "$work/rootfs" -c . |
  podman import \
    --change 'CMD ["/sbin/init"]' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change "LABEL gpufleet.recipe=$recipe" \
    - "$image" >&2
log "built $image in $((SECONDS - start)) s (recipe $recipe)"
echo "$image"
