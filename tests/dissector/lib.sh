# lib.sh - sourced by the dissector checks: real tshark with the real plugin.
#
# tshark as root ignores WIRESHARK_PLUGIN_DIR and the personal plugin
# folder, and CI's checkout may not be readable by other users. So the
# plugin is copied into a private folder (mode 755) and, when we are root,
# tshark runs as nobody (setpriv) and reads the capture on stdin. Nothing is
# ever installed into the system plugin folder.
#
# Environment (from ctest): PFS_PLUGIN, PFSCAP, PFS_TABLE_KEYS, PFS_BUILD, PFS_SRC.
set -euo pipefail

: "${PFS_PLUGIN:?}" "${PFSCAP:?}" "${PFS_SRC:?}"
WORK=$(mktemp -d /tmp/pfs-dissector.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
mkdir -p "$WORK/plugins/4.0/epan" "$WORK/home"
cp "$PFS_PLUGIN" "$WORK/plugins/4.0/epan/pfs.so"
chmod 755 "$WORK/plugins" "$WORK/plugins/4.0" "$WORK/plugins/4.0/epan" "$WORK/home"
chmod 644 "$WORK/plugins/4.0/epan/pfs.so"
GOLDEN="$PFS_SRC/tests/dissector/golden"

RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  RUN_AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  chown nobody:nogroup "$WORK/home"
fi

# A plugin built with -DPFS_SANITIZE=ON needs the sanitizer runtimes first in
# the process; tshark itself is not built with them.
# ldd's output is read once: `ldd | grep -q` under pipefail fails whenever
# grep's early exit gives ldd a SIGPIPE, which left PRELOAD empty at random.
PRELOAD=""
deps=$(ldd "$PFS_PLUGIN" 2>/dev/null || true)
for lib in libasan.so libubsan.so; do
  path=$(awk -v l="$lib" 'index($1, l) == 1 {print $3}' <<<"$deps")
  [ -n "$path" ] && PRELOAD="$PRELOAD $path"
done

# The preloaded runtimes reach every program tshark starts, and tshark -G
# plugins starts each extcap (androiddump hangs under ASan): with a
# sanitizer build, as root, tshark runs in its own mount namespace where the
# extcap folder is empty.
NO_EXTCAP=()
if [ -n "$PRELOAD" ] && [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$WORK/no-extcap"
  for extcap in /usr/lib/*/wireshark/extcap; do :; done
  [ -d "$extcap" ] && NO_EXTCAP=(unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh
                                "$WORK/no-extcap" "$extcap")
fi

# with_plugins DIR CMD...: CMD as the tshark user, the plugin folder DIR
# (empty: none), the sanitizer runtimes when the plugin needs them.
with_plugins() {
  local dir=$1; shift
  "${NO_EXTCAP[@]}" "${RUN_AS[@]}" env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 \
    ${dir:+WIRESHARK_PLUGIN_DIR="$dir"} WIRESHARK_ABORT_ON_DISSECTOR_BUG=1 \
    ${PRELOAD:+LD_PRELOAD="${PRELOAD# }" ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0} \
    "$@"
}

# pfs_tshark ARGS... < capture: tshark with the plugin, capture on stdin.
pfs_tshark() {
  with_plugins "$WORK/plugins" tshark "$@"
}

# cap SCENARIO [pfscap options]: writes $WORK/SCENARIO.pcap once, prints its path.
cap() {
  local sc=$1; shift
  local f="$WORK/$sc${1:+-${1#--}${2:-}}.pcap"
  [ -f "$f" ] || "$PFSCAP" "$@" "$sc" "$f"
  chmod 644 "$f"
  echo "$f"
}

# dissect FILE ARGS...: one pass, the capture on stdin.
dissect() {
  local f=$1; shift
  pfs_tshark -n -r - "$@" < "$f"
}
# dissect2 FILE ARGS...: two passes (links to later frames need them); tshark
# cannot seek in stdin, so the copy in the private folder is read by name.
dissect2() {
  local f=$1; shift
  case $f in "$WORK"/*) ;; *) cp "$f" "$WORK/"; f="$WORK/$(basename "$f")"; chmod 644 "$f" ;; esac
  pfs_tshark -n -2 -r "$f" "$@"
}

fails=0
passes=0
ok()   { passes=$((passes + 1)); echo "ok: $*"; }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
# same NAME EXPECTED ACTUAL: compares two strings, shows the diff.
same() {
  if [ "$2" == "$3" ]; then ok "$1"; else fail "$1"; diff <(echo "$2") <(echo "$3") | head -30; fi
}
# golden NAME ACTUAL: compares with golden/NAME (PFS_UPDATE_GOLDEN=1 rewrites it).
golden() {
  if [ "${PFS_UPDATE_GOLDEN:-0}" = 1 ]; then
    printf '%s\n' "$2" > "$GOLDEN/$1"
    ok "golden/$1 rewritten"
    return
  fi
  same "golden/$1" "$(cat "$GOLDEN/$1")" "$2"
}
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}
