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
# written into a temporary folder and deleted at the end. grep and pfslog
# run alternately, 5 times each after a warm-up, in the same run: the
# medians of their wall times and of their CPU times (user + system, from
# getrusage), and the ratios pfslog / grep; the peak RSS from getrusage
# too. Results go to standard output as Markdown, for docs/benchmarks.md.
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

# race FILE: grep and pfslog on FILE, alternately, 5 runs each after a
# warm-up of each; prints the median wall seconds of grep and of pfslog, then
# their median CPU seconds (user + system, all threads). Alternating makes
# both see the same load from the machine's other jobs. Output goes to a
# file: GNU grep stops at the first match when its output is /dev/null,
# which would make it look a thousand times faster.
race() {
    python3 - "$1" "$pfslog" "$tmp/out" <<'EOF'
import resource, statistics, subprocess, sys, time
f, pfslog, out = sys.argv[1:4]
cmds = [["grep", "-c", "DLoad:", f], [pfslog, "--json", f]]
wall = [[], []]
cpu = [[], []]
def run(i):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    with open(out, "wb") as o:
        rc = subprocess.run(cmds[i], stdout=o).returncode
    w = time.monotonic() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc not in (0, 1):
        sys.exit("pfslog_bench: %s exited %d" % (cmds[i][0], rc))
    return w, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
run(0); run(1)
for _ in range(5):
    for i in (0, 1):
        w, c = run(i)
        wall[i].append(w); cpu[i].append(c)
m = statistics.median
print("%.3f %.3f %.3f %.3f" % (m(wall[0]), m(wall[1]), m(cpu[0]), m(cpu[1])))
EOF
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
echo "| log | size | lines | grep -c 'DLoad:' | pfslog --json | ratio | grep CPU | pfslog CPU | CPU ratio | pfslog peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for fmt in $formats; do
    f=$tmp/$fmt.log
    case $fmt in
        console) "$tmp/gen" console "$bytes" samples/lab7/logs/B4600003.log >"$f" ;;
        site*) "$tmp/gen" site "$bytes" "${fmt#site}" samples/lab7/logs/*.log >"$f" ;;
        *) "$tmp/gen" syslog "$bytes" samples/lab7/logs/*.log >"$f" ;;
    esac
    cat "$f" >/dev/null # both start from the page cache
    set -- $(race "$f")
    g=$1 p=$2 gc=$3 pc=$4
    set -- $(peak_rss "$f")
    rss=$1 dl=$2
    n=$(grep -c 'DLoad:' "$f")
    [ "$n" = "$dl" ] || echo "pfslog_bench: pfslog counted $dl DLoad lines, grep $n" >&2
    mib=$(( $(wc -c <"$f") / 1048576 ))
    ratio=$(python3 -c "print('%.2f' % ($p / $g))")
    cratio=$(python3 -c "print('%.2f' % ($pc / $gc))")
    echo "| $fmt | $mib MiB | $n | $g s | $p s | ${ratio}x | $gc s | $pc s | ${cratio}x | $rss MiB |"
    rm -f "$f"
done
