#!/bin/sh
# pfslog_bench.sh [SIZE] [FORMAT...]
#
# How fast pfslog reads a big log, against `grep -c 'DLoad:'` on the same
# file in the same run, and how much memory it needs.
#
#   SIZE     bytes of generated log, with an optional K/M/G suffix (1024-based);
#            default 1G
#   FORMAT   syslog (a Log Server's file: RFC 3164 headers, 7 phones),
#            console (one phone's console log), siteN (a large site's Log
#            Server file: N distinct phones, each its own XID, address and
#            strengths, interleaved, e.g. site1000 site5000); default
#            syslog console site1000 site5000
#
# The log is generated (bench/pfslog_gen.c, compiled here) from the lab
# run in samples/lab7: that upgrade replayed an hour apart, again and
# again, with fresh claim strengths and transfer times each time. It is
# written into a temporary folder and deleted at the end. Times come from
# hyperfine when it is installed (3 runs after a warm-up), else from three
# plain runs (the median); the peak RSS from getrusage (python3's resource
# module). Results go to standard output as Markdown, for docs/benchmarks.md.
#
# Environment: PFSLOG (default build/bin/pfslog), CC (default cc), TMPDIR.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
size=${1:-1G}
[ $# -gt 0 ] && shift
formats=${*:-syslog console site1000 site5000}
pfslog=${PFSLOG:-$src/build/bin/pfslog}
case $pfslog in /*) ;; *) pfslog=$src/$pfslog ;; esac
if [ ! -x "$pfslog" ]; then
    echo "pfslog_bench: $pfslog is not built (cmake --build build, or set PFSLOG)" >&2
    exit 2
fi
case $size in
    *[Gg]) bytes=$(( ${size%?} * 1024 * 1024 * 1024 )) ;;
    *[Mm]) bytes=$(( ${size%?} * 1024 * 1024 )) ;;
    *[Kk]) bytes=$(( ${size%?} * 1024 )) ;;
    *) bytes=$size ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfslog-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"${CC:-cc}" -O2 -o "$tmp/gen" bench/pfslog_gen.c

# seconds FILE CMD: mean wall time of CMD (a shell command using $F), to stdout.
# Output goes to a file: GNU grep stops at the first match when its output
# is /dev/null, which would make it look a thousand times faster.
seconds() {
    f=$1 cmd=$2
    if command -v hyperfine >/dev/null 2>&1; then
        # its advice about outliers would clutter the table: kept for failures
        F=$f hyperfine --warmup 1 --runs 3 --export-json "$tmp/h.json" "$cmd" \
            >/dev/null 2>"$tmp/h.err" || { cat "$tmp/h.err" >&2; exit 1; }
        python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$tmp/h.json"
    else
        F=$f python3 - "$cmd" <<'EOF'
import statistics, subprocess, sys, time
ts = []
for _ in range(4):
    t = time.monotonic()
    subprocess.run(["sh", "-c", sys.argv[1]], check=True)
    ts.append(time.monotonic() - t)
print("%.3f" % statistics.median(ts[1:]))
EOF
    fi
}

# peak_rss FILE: pfslog --json's peak resident memory in MiB, and its DLoad line count
peak_rss() {
    python3 - "$pfslog" "$1" <<'EOF'
import json, resource, subprocess, sys
out = subprocess.run([sys.argv[1], "--json", sys.argv[2]], stdout=subprocess.PIPE, check=False).stdout
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
print("%.1f %d" % (rss, json.loads(out)["stats"]["dload_lines"]))
EOF
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "pfslog_bench: $(date -u +%Y-%m-%d), $(nproc) CPUs ($cpu), $("$pfslog" --version)"
echo "| log | size | lines | grep -c 'DLoad:' | pfslog --json | ratio | pfslog peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for fmt in $formats; do
    f=$tmp/$fmt.log
    case $fmt in
        console) "$tmp/gen" console "$bytes" samples/lab7/logs/B4600003.log >"$f" ;;
        site*) "$tmp/gen" site "$bytes" "${fmt#site}" samples/lab7/logs/*.log >"$f" ;;
        *) "$tmp/gen" syslog "$bytes" samples/lab7/logs/*.log >"$f" ;;
    esac
    cat "$f" >/dev/null # both start from the page cache
    g=$(seconds "$f" "grep -c DLoad: \"\$F\" >'$tmp/out'")
    p=$(seconds "$f" "'$pfslog' --json \"\$F\" >'$tmp/out'")
    set -- $(peak_rss "$f")
    rss=$1 dl=$2
    n=$(grep -c 'DLoad:' "$f")
    [ "$n" = "$dl" ] || echo "pfslog_bench: pfslog counted $dl DLoad lines, grep $n" >&2
    mib=$(( $(wc -c <"$f") / 1048576 ))
    ratio=$(python3 -c "print('%.2f' % ($p / $g))")
    echo "| $fmt | $mib MiB | $n | $g s | $p s | ${ratio}x | $rss MiB |"
    rm -f "$f"
done
