#!/bin/sh
# golden.sh PFSLOG SRCDIR [--update]
# Runs pfslog on the committed samples and compares its text, JSON, DOT
# and timeline outputs byte for byte with samples/golden/. With --update
# it rewrites the golden files instead (then review the diff).
#
# pfslog runs from SRCDIR with relative paths, so the file names it prints
# are the same on every machine; colour is off (stdout is a file) and the
# locale is C.UTF-8 so trees are drawn with the same symbols.
set -eu
pfslog=$1 src=$2 mode=${3:-check}
cd "$src"
export LC_ALL=C.UTF-8
unset NO_COLOR
gold=samples/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# case NAME EXIT EXT ARGS...: one pfslog run, its stdout against $gold/NAME.EXT
case_() {
    name=$1 want=$2 ext=$3
    shift 3
    rc=0
    "$pfslog" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL: pfslog $* exits $rc, expected $want"
        cat "$tmp/err"
        failed=1
    fi
    if [ "$mode" = --update ]; then
        cp "$tmp/out" "$gold/$name.$ext"
        echo "updated $gold/$name.$ext"
    elif cmp -s "$tmp/out" "$gold/$name.$ext"; then
        echo "ok: pfslog $* = $gold/$name.$ext"
    else
        echo "FAIL: pfslog $* differs from $gold/$name.$ext:"
        diff -u "$gold/$name.$ext" "$tmp/out" | head -40 || true
        failed=1
    fi
}

# each report kind for one input set (KINDS: txt json dot)
reports() {
    name=$1 want=$2 kinds=$3
    shift 3
    for k in $kinds; do
        case $k in
            txt) case_ "$name" "$want" txt "$@" ;;
            json) case_ "$name" "$want" json --json "$@" ;;
            dot) case_ "$name" "$want" dot --dot "$@" ;;
        esac
    done
}

mkdir -p "$gold"
reports seed-root 0 "txt json dot" samples/seed-root.log
case_ seed-root-timeline 0 txt --timeline samples/seed-root.log
reports lab7 0 "txt json dot" samples/lab7/logs/*.log
case_ lab7-timeline 0 jsonl --timeline --json --xid B4600005 samples/lab7/logs/B4600005.log samples/lab7/logs/B4600007.log
reports lab7-kill 0 "txt dot" samples/lab7-kill/logs/*.log.gz
case_ lab7-filtered 0 txt --file 'jar*' --xid B4600003 samples/lab7/logs/*.log
# Graphviz itself reads the DOT files (when it is installed)
if command -v dot >/dev/null 2>&1; then
    for f in "$gold"/*.dot; do
        if dot -Tcanon "$f" >/dev/null 2>"$tmp/err"; then
            echo "ok: dot reads $f"
        else
            echo "FAIL: dot cannot read $f"
            cat "$tmp/err"
            failed=1
        fi
    done
fi
exit $failed
