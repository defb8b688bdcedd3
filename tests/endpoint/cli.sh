#!/bin/bash
# pfsd's command line at start-up: each mistake is one line on stderr that
# names the option or the path, with the documented exit code (2 usage,
# 3 start-up), before anything is fetched.
# usage: cli.sh PFSD
set -u
pfsd=$1
work=$(mktemp -d /tmp/pfsd-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "cli: FAIL: $*" >&2; exit 1; }
base=(--model CP-7961G --tftp 127.0.0.1:9 --dir "$work" --addr 127.0.0.2 --port 4319)

# expect CODE WORDS ARGS...: exit CODE, exactly one stderr line holding WORDS.
expect() {
  local code=$1 words=$2; shift 2
  "$pfsd" "$@" >"$work/out" 2>"$work/err" </dev/null
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "$*: exit $rc, expected $code ($(cat "$work/err"))"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$*: not one line: $(cat "$work/err")"
  grep -qF -- "$words" "$work/err" || fail "$*: '$words' not in: $(cat "$work/err")"
  [ -z "$(ls -A "$work" | grep -v '^out$\|^err$')" ] || fail "$*: left files: $(ls -A "$work")"
}

expect 2 "--load 'X.sbn': must name a NAME.loads file" "${base[@]}" --load X.sbn
expect 2 "--load 'X': must name a NAME.loads file" "${base[@]}" --load X
expect 2 "--load given twice" "${base[@]}" --load A.loads --load B.loads
expect 2 "--port given twice" "${base[@]}" --load A.loads --port 4318
expect 2 "--root-wait given twice" "${base[@]}" --load A.loads --root-wait 1 --root-wait=2
expect 3 "--summary $work/no/such/s.json: folder $work/no/such" \
  "${base[@]}" --load A.loads --summary "$work/no/such/s.json"
expect 3 "--summary $work: not a regular file" "${base[@]}" --load A.loads --summary "$work"
echo "cli: OK"
