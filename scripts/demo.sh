#!/usr/bin/env bash
# The main job: builds the toolkit, runs a 7-phone PFS upgrade on loopback,
# then reads the phones' logs back with pfslog. Results land in out/lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh build
rm -rf out/lab
pcap=()
# Capturing on lo needs root; pfslab says so and carries on without it.
[ "$(id -u)" -eq 0 ] && pcap=(--pcap out/lab/upgrade.pcap)
status=0
build/bin/pfslab --phones "${PFS_PHONES:-7}" --out out/lab "${pcap[@]}" || status=$?
if [ -x build/bin/pfslog ] && compgen -G "out/lab/logs/*.log" >/dev/null; then
  echo
  build/bin/pfslog out/lab/logs/*.log || true
fi
exit "$status"
