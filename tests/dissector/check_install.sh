#!/usr/bin/env bash
# cmake --install puts the plugin into the installing user's personal
# plugin folder, and a (non-root) tshark loads it from there unaided.
. "$(dirname "$0")/lib.sh"
: "${PFS_BUILD:?}"

home="$WORK/home"
HOME="$home" cmake --install "$PFS_BUILD" --component pfs_plugin > "$WORK/install.log"
so="$home/.local/lib/wireshark/plugins/4.0/epan/pfs.so"
if [ -f "$so" ]; then ok "installed to ~/.local/lib/wireshark/plugins/4.0/epan"; else fail "not in $so"; cat "$WORK/install.log"; fi
chmod -R a+rX "$home"
[ "$(id -u)" -ne 0 ] || chown -R nobody:nogroup "$home"
loaded=$(with_plugins "" tshark -G plugins 2>/dev/null | grep -c '^pfs.so' || true)
same "tshark loads it from the personal folder" 1 "$loaded"
finish
