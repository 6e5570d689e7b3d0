#!/usr/bin/env bash
# layers.sh OBJDIR [HEADER]: check that no driver file calls a file above it.
# The layer order is the list in HEADER's (include/rocknvme.h) comment "Layers, top to
# bottom": lines "*   a.c b.c ...", top line first. From the compiled objects OBJDIR/*.o,
# every symbol a file uses (nm -u: functions and data) that another of our files defines
# (nm --defined-only -g) is an edge; an edge to a file on the same line or a line above is a
# violation, unless listed in EXCEPTIONS below. A file missing from the list is one too.
# Prints "caller.c -> callee.c: symbol" per violation and exits 1 if there is any.
set -euo pipefail
objdir=$1
header=${2:-$(dirname "$0")/../../include/rocknvme.h}
# caller:callee:symbol. The async event completion: the completion path (queue.c) hands
# the controller's event to ns.c, as every NVMe driver does.
EXCEPTIONS="queue.c:ns.c:rnv_aer_complete"

declare -A rank def
n=0
while read -r line; do
	n=$((n + 1))
	for f in $line; do rank[$f]=$n; done
done < <(sed -n '/Layers, top to bottom/,/^ \*\/$/p' "$header" |
	awk '$1 == "*" && $2 ~ /^[a-z_]+\.c$/ { s = ""; for (i = 2; i <= NF && $i ~ /^[a-z_]+\.c$/; i++) s = s " " $i; print s }')
[ "$n" -gt 0 ] || { echo "no layer list in $header"; exit 1; }

bad=0
for o in "$objdir"/*.o; do
	f=$(basename "${o%.o}").c
	[ -n "${rank[$f]:-}" ] || { echo "$f: not in the layer list of $header"; bad=1; }
	for s in $(nm --defined-only -g "$o" | awk '{ print $3 }'); do def[$s]=$f; done
done
for o in "$objdir"/*.o; do
	f=$(basename "${o%.o}").c
	for s in $(nm -u "$o" | awk '{ print $2 }'); do
		g=${def[$s]:-}
		[ -n "$g" ] && [ "$g" != "$f" ] || continue
		[ "${rank[$g]:-0}" -gt "${rank[$f]:-0}" ] && continue
		case " $EXCEPTIONS " in *" $f:$g:$s "*) continue ;; esac
		echo "$f -> $g: $s"
		bad=1
	done
done
exit "$bad"
