#!/usr/bin/env bash
# screenshot.sh [--pcap FILE] [--port P] [--tftp-addr A] [OUT.png]
#
# The README's picture of the pfs plugin at work: Debian's Wireshark under
# Xvfb on a lab capture, an XFRCMD's tree expanded, the Info column, and
# Statistics > PFS. Run it again whenever the plugin changes.
#
#   --pcap FILE     use this capture (its PFS port given with --port)
#   --port P        PFS port of the lab (default 4051)
#   --tftp-addr A   TFTP address of the lab (default 127.0.0.1)
#   OUT.png         default docs/img/wireshark-pfs.png
#
# Without --pcap it runs `pfslab --phones 7 --pcap` first, which needs root
# (in.tftpd and the capture on lo). Wireshark ignores plugin folders when
# run as root, so as root it runs as nobody with a private copy of the
# plugin, like the tests. Needs the build (build/, or PFS_BUILD), xvfb,
# xdotool and imagemagick (scripts/deps.sh). Exit 0 when the PNG is written.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
build=${PFS_BUILD:-$src/build}
pcap="" port=4051 tftp=127.0.0.1 out=$src/docs/img/wireshark-pfs.png
while [ $# -gt 0 ]; do
  case $1 in
    --pcap) pcap=$(realpath "$2"); shift 2 ;;
    --port) port=$2; shift 2 ;;
    --tftp-addr) tftp=$2; shift 2 ;;
    --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "screenshot: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
plugin=$build/plugins/4.0/epan/pfs.so
[ -f "$plugin" ] || { echo "screenshot: $plugin is not built" >&2; exit 1; }
for tool in Xvfb xdotool import wireshark; do
  command -v "$tool" > /dev/null || { echo "screenshot: $tool missing (bash scripts/deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/pfs-screenshot.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
mkdir -p "$work/plugins/4.0/epan" "$work/home"
cp "$plugin" "$work/plugins/4.0/epan/pfs.so"
chmod -R a+rX "$work"

if [ -z "$pcap" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "screenshot: the lab capture needs root (or pass --pcap)" >&2; exit 1; }
  "$build/bin/pfslab" --phones 7 --size-mb 2 --fast --port "$port" --tftp-addr "$tftp" \
    --out "$work/lab" --pcap "$work/lab/upgrade.pcap" --pcap-required -q
  pcap=$work/lab/upgrade.pcap
fi
cp "$pcap" "$work/upgrade.pcap"
chmod 644 "$work/upgrade.pcap"

as_user=()
if [ "$(id -u)" -eq 0 ]; then
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  chown nobody:nogroup "$work/home"
fi
prefs=(-o "pfs.udp.port:$port" -o "pfs.tcp.port:$port" -o gui.layout_content_3:NONE)
env_ws=(env -i PATH=/usr/bin:/bin HOME="$work/home" XDG_RUNTIME_DIR="$work/home"
        WIRESHARK_PLUGIN_DIR="$work/plugins" LC_ALL=C.UTF-8)
frame=$("${as_user[@]}" "${env_ws[@]}" tshark -n -r "$work/upgrade.pcap" "${prefs[@]:0:4}" \
        -Y 'pfs.type == 6' -T fields -e frame.number | awk 'NR == 1')
[ -n "$frame" ] || { echo "screenshot: no XFRCMD in $pcap" >&2; exit 1; }

# A private display: Xvfb picks a free number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1600x1000x24 -ac -nolisten tcp 3> "$work/display" 2> "$work/xvfb.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=:$(cat "$work/display")

"${as_user[@]}" "${env_ws[@]}" DISPLAY="$DISPLAY" wireshark -n -r "$work/upgrade.pcap" "${prefs[@]}" \
  -Y pfs -g "$frame" > "$work/wireshark.log" 2>&1 &
pids+=($!)

# window NAME: waits (up to 60 s, a safety net) for a window whose title matches NAME.
window() {
  for _ in $(seq 600); do
    w=$(xdotool search --name "$1" 2> /dev/null | head -1 || true)
    [ -n "$w" ] && { echo "$w"; return; }
    sleep 0.1
  done
  echo "screenshot: no window '$1' (see $work/wireshark.log)" >&2
  cat "$work/wireshark.log" >&2
  exit 1
}
x() { xdotool "$@" 2> /dev/null; sleep 0.7; }  # no window manager: xdotool warns about focus

main=$(window "upgrade.pcap")
sleep 2
x windowmove "$main" 0 0
x windowsize "$main" 1600 600
# The packet details: first row (Frame), four down (the first PFS message after Ethernet,
# IP, TCP), expand its subtrees.
x mousemove 60 346 click 1
x key Down Down Down Down shift+Right
x key Down Left   # fold the header again: the body is the interesting part
# Statistics > PFS, the menu's last entry.
x mousemove 325 9 click 1
x key Up Return
stats=$(window "Wireshark.*PFS")
sleep 1
x windowmove "$stats" 0 600
x windowsize "$stats" 1600 400
x mousemove 120 621 click 1   # sort by Topic / Item, ascending
sleep 1
mkdir -p "$(dirname "$out")"
import -window root "$out.tmp.png"
mv "$out.tmp.png" "$out"
echo "screenshot: $out"
