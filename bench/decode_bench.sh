#!/bin/sh
# decode_bench.sh [REV] [DECODES]
#
# pfs_decode on every golden vector, this tree's codec against the codec
# of REV (default main), compiled alike and run in the same run, so the
# older codec is the anchor: ratio = this tree / REV, below 1 is faster.
#
#   REV      a git revision whose proto/ holds the codec to compare with
#   DECODES  decodes per round (default 2000000); best of 5 rounds
#
# Both builds are `cc -O2` of proto/'s codec sources (no PCRE2 needed) with
# bench/decode_bench.c and tests/proto/golden.h of this tree. The two run
# alternately three times; the table shows the median of each. Results go
# to standard output as Markdown, for docs/benchmarks.md.
#
# Environment: CC (default cc), TMPDIR.
set -eu
cd "$(dirname "$0")/.."
rev=${1:-main}
n=${2:-2000000}
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfs-decode-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

mkdir "$tmp/old"
for f in $(git ls-tree --name-only "$rev" proto/); do
    git show "$rev:$f" >"$tmp/old/$(basename "$f")"
done
codec_srcs() { # the codec's C files of a proto folder: all but the log grammar
    for f in "$1"/*.c; do
        case $(basename "$f") in dlog.c | format.c) ;; *) printf '%s\n' "$f" ;; esac
    done
}
# format.c (the printer) needs the grammar; pfs_decode needs neither.
# shellcheck disable=SC2046
$cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iproto -Itests/proto -o "$tmp/new" \
    bench/decode_bench.c $(codec_srcs proto)
# shellcheck disable=SC2046
$cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$tmp/old" -Itests/proto -o "$tmp/old/bench" \
    bench/decode_bench.c $(codec_srcs "$tmp/old")

for i in 1 2 3; do
    "$tmp/old/bench" "$n" >"$tmp/old.$i"
    "$tmp/new" "$n" >"$tmp/new.$i"
done

median() { # median of column 3 of the lines naming $1 in files $2...
    name=$1
    shift
    awk -v n="$name" '$1 == n { print $3 }' "$@" | sort -n | sed -n 2p
}
echo "| vector | bytes | $rev ns | this tree ns | ratio |"
echo "| --- | ---: | ---: | ---: | ---: |"
awk '{ print $1, $2 }' "$tmp/new.1" | while read -r name bytes; do
    old=$(median "$name" "$tmp"/old.*)
    new=$(median "$name" "$tmp"/new.*)
    ratio=$(awk -v a="$new" -v b="$old" 'BEGIN { printf "%.2f", a / b }')
    [ "$name" = all ] && name="mean of $bytes" && bytes=
    echo "| $name | $bytes | $old | $new | **${ratio}x** |"
done
