#!/usr/bin/env bash
# WAN bytes of a site upgrade with the TFTP server as trust anchor: every
# endpoint fetches the .loads itself (N copies), the components once per
# site (their roots) plus any fallback. The anchor of the ratios is measured
# in the same run: the bytes of one copy of the whole load (every file
# once), what an ideal PFS site pulls over the WAN.
#
#   bench/anchor_bench.sh [PHONES...]      default: 3 7 31 (2 MiB load)
#
# Uses build/bin/pfslab and build/bin/pfsd; PFS port 4319, TFTP 127.0.139.1.
# Run it under the machine's lock (flock /tmp/pfs-e2e.lock ...).
set -euo pipefail
cd "$(dirname "$0")/.."
phones=("$@")
[ ${#phones[@]} -gt 0 ] || phones=(3 7 31)
tmp=$(mktemp -d /tmp/pfs-anchor-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for n in "${phones[@]}"; do
  python3 lab/pfslab --phones "$n" --size-mb 2 --port 4319 --tftp-addr 127.0.139.1 \
    --pfsd build/bin/pfsd --out "$tmp/lab$n" --strict --quiet >"$tmp/lab$n.txt" 2>&1 ||
    { cat "$tmp/lab$n.txt"; exit 1; }
done
python3 - "$tmp" "${phones[@]}" <<'PY'
import json, os, sys
tmp, phones = sys.argv[1], [int(x) for x in sys.argv[2:]]
print(f"{'phones':>6} {'load B':>9} {'.loads B':>8} {'WAN B':>10} {'WAN/load':>8} "
      f"{'anchor B':>9} {'anchor/load':>11} {'anchor/WAN':>10}")
for n in phones:
    lab = json.load(open(os.path.join(tmp, f"lab{n}", "summary.json")))
    sizes = {}
    wan = anchor = 0
    for ep in lab["endpoints"]:
        for f in ep["summary"]["files"]:
            if f["size"] is not None:
                sizes[f["name"]] = f["size"]
            if f["source"] == "anchor":
                anchor += f["size"]
            if f["source"] in ("anchor", "tftp"):
                wan += f["size"]
    load = sum(sizes.values())
    loads = next(v for k, v in sizes.items() if k.endswith(".loads"))
    print(f"{n:>6} {load:>9} {loads:>8} {wan:>10} {wan / load:>8.4f} {anchor:>9} "
          f"{anchor / load:>11.5f} {anchor / wan:>10.5f}")
PY
