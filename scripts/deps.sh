#!/usr/bin/env bash
# Installs every Debian package pfs-toolkit needs to build, test and run.
# Idempotent: quiet when everything is already there; runs apt-get update
# only when something is missing. Uses sudo when not root.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libcmocka-dev libpcre2-dev libpcap-dev zlib1g-dev libsmartcols-dev
  tftpd-hpa tftp-hpa iproute2 util-linux procps python3
  tshark wireshark-dev libwireshark-dev graphviz
  hyperfine tcpreplay
  rsyslog  # pfslog's tests read a real rsyslogd's file of header-less datagrams
  tmux     # pfslog's --listen test draws its live view on an 80x40 terminal
  libgraphviz-dev chromium  # pfslog --html lays trees out with libgvc; its test loads the page headless
  tcpdump               # bench/pfsdump_bench.sh: pfsdump against tcpdump -r
  wireshark xvfb xauth xdotool imagemagick fonts-dejavu-core time  # pfs plugin: screenshot, bench
  python3-matplotlib    # bench/site_bench.py: the plot of PFS against plain TFTP
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
