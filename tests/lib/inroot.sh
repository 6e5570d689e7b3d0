#!/usr/bin/env bash
# Runs one command inside a cached Debian root (tests/lib/setup.sh makes root-trixie, whose
# gcc-14 and glibc run the 7.x kbuild tools), as root, in a private mount namespace: DIR is
# bound at the same path inside, so the paths in the command mean the same there, and so
# are /dev and /proc. Nothing is mounted on the host.
#
#   inroot.sh ROOT DIR COMMAND [ARG...]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 ROOT DIR COMMAND [ARG...]" >&2; exit 2; }
root=$(realpath "$1")
dir=$(realpath "$2")
shift 2
[ -x "$root/bin/sh" ] || { echo "$0: no root at $root: run make setup" >&2; exit 1; }
# The root's own PATH, not the caller's (no host compiler leaks in).
# shellcheck disable=SC2016 # the script is for the inner sh: its $1, $2, $@ are expanded there
exec unshare --mount --propagation private -- /bin/sh -c '
	root=$1 dir=$2
	shift 2
	mkdir -p "$root$dir" "$root/dev" "$root/proc" "$root/tmp"
	mount --bind "$dir" "$root$dir"
	mount --rbind /dev "$root/dev"
	mount -t proc proc "$root/proc"
	cd "$root$dir"
	exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 MAKEFLAGS="${MAKEFLAGS:-}" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$dir" "$@"
' inroot "$root" "$dir" "$@"
