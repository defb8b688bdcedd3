#!/usr/bin/env bash
# smoke.sh PFSD IN_TFTPD [SHIM] - three pfsd and a real in.tftpd on loopback.
#
# Serves a small load (.loads + 2 components) from in.tftpd on a free high
# port, runs three pfsd on 127.0.0.2-4 with fast timers, and checks: every
# pfsd exits 0, every file is in every folder with the right SHA-256 and
# nothing else (no temp files), the summaries say verified, and each file
# was fetched over TFTP exactly once (the others got it from a peer).
# As a normal user in.tftpd cannot drop privileges; SHIM (an LD_PRELOAD
# library that makes the group calls no-ops) lets it run anyway.
set -euo pipefail
pfsd=$1
tftpd=$2
shim=${3:-}

work=$(mktemp -d /tmp/pfsd-smoke-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "smoke: FAIL: $*" >&2; for f in "$work"/n*.log; do echo "== $f"; cat "$f"; done >&2; exit 1; }

free_port() {
  python3 -c 'import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 0))
print(u.getsockname()[1])'
}

# The load: two components and the .loads that names them.
srv=$work/srv
mkdir "$srv"
chmod 755 "$srv"
head -c 300000 /dev/urandom >"$srv/jar41.sbn"
head -c 5000 /dev/urandom >"$srv/cnu41.sbn"
{
  echo "# PFS load v1"
  echo "LOAD SMOKE41"
  for f in jar41.sbn cnu41.sbn; do
    echo "FILE $f $(stat -c %s "$srv/$f") $(sha256sum "$srv/$f" | cut -d' ' -f1)"
  done
} >"$srv/SMOKE41.loads"
chmod 644 "$srv"/*
# pfsd asks for bare names; a remap rule points them into the folder.
printf 'r ^([^/]) %s/\\1\n' "$srv" >"$work/remap"

tport=$(free_port)
pport=$(free_port)
user=nobody
env=()
if [ "$(id -u)" -ne 0 ]; then
  user=$(id -un)
  [ -n "$shim" ] && env=(LD_PRELOAD="$shim")
fi
env "${env[@]}" "$tftpd" -L -a "127.0.0.1:$tport" -u "$user" -m "$work/remap" \
  >"$work/tftpd.out" 2>&1 &
pids+=($!)
# Wait (as a safety net, not a timing check) until the server answers.
for _ in $(seq 1 100); do
  if (cd "$work" && timeout 1 tftp 127.0.0.1 "$tport" -m octet -c get SMOKE41.loads probe 2>/dev/null) &&
     [ -s "$work/probe" ]; then break; fi
  sleep 0.1
done
[ -s "$work/probe" ] || { cat "$work/tftpd.out" >&2; fail "in.tftpd does not answer on $tport"; }

nodes=(2 3 4)
for i in "${nodes[@]}"; do
  mkdir "$work/n$i"
  "$pfsd" --model CP-7961G --load SMOKE41.loads --tftp "127.0.0.1:$tport" \
    --dir "$work/n$i" --addr "127.0.0.$i" --port "$pport" --seed "$i" \
    --ad-interval 50 --root-wait 500 --linger 300 --join-timeout 1000 \
    --seek-timeout 2000 --log "$work/n$i.log" --summary "$work/n$i.json" &
  pids+=($!)
done
rc=0
for k in 1 2 3; do
  wait "${pids[$k]}" || rc=$?
  [ "$rc" -eq 0 ] || fail "pfsd on 127.0.0.${nodes[$((k-1))]} exited $rc"
done

for i in "${nodes[@]}"; do
  for f in SMOKE41.loads jar41.sbn cnu41.sbn; do
    [ -f "$work/n$i/$f" ] || fail "n$i: $f missing"
    cmp -s "$srv/$f" "$work/n$i/$f" || fail "n$i: $f differs"
    want=$(sha256sum "$srv/$f" | cut -d' ' -f1)
    grep -q "\"name\":\"$f\",\"h\":\"[0-9A-F]\{8\}\",\"size\":[0-9]*,\"sha256\":\"$want\"" \
      "$work/n$i.json" || fail "n$i.json: $f hash not reported"
  done
  [ "$(ls -A "$work/n$i" | wc -l)" -eq 3 ] || fail "n$i: stray files: $(ls -A "$work/n$i")"
  grep -q '"exit":0' "$work/n$i.json" || fail "n$i.json: exit not 0"
  [ "$(grep -o '"verified":true' "$work/n$i.json" | wc -l)" -eq 3 ] || fail "n$i.json: not verified"
done

# The .loads is the trust anchor: every node fetches it from the server
# itself, and no node roots a hierarchy for it.
n=$(cat "$work"/n*.log | grep -c "TFTP RRQ SMOKE41.loads from" || true)
[ "$n" -eq 3 ] || fail "SMOKE41.loads fetched over TFTP $n times, expected once per node"
! grep -q "@@@H[A-Z]*:.* /dnld/SMOKE41.loads" "$work"/n*.log || fail "a hierarchy for SMOKE41.loads"
[ "$(cat "$work"/n*.json | grep -o '"source":"anchor"' | wc -l)" -eq 3 ] || fail "source anchor"
# One TFTP fetch per component for the whole subnet: that is the point of PFS.
for f in jar41.sbn cnu41.sbn; do
  n=$(cat "$work"/n*.log | grep -c "TFTP RRQ $f from" || true)
  [ "$n" -eq 1 ] || fail "$f fetched over TFTP $n times"
  n=$(cat "$work"/n*.log | grep -c "@@@HROOT:.* /dnld/$f\$" || true)
  [ "$n" -eq 1 ] || fail "$f has $n roots"
done
peer=$(cat "$work"/n*.json | grep -o '"source":"peer"' | wc -l)
[ "$peer" -eq 4 ] || fail "expected 4 files from peers, got $peer"
echo "smoke: OK (3 nodes, the .loads from the server, 2 components with one TFTP fetch each)"
