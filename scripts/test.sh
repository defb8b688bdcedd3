#!/usr/bin/env bash
# The whole test suite: builds, then runs every ctest case except the
# long-running fuzz label (run those with: ctest --test-dir build -L fuzz).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh build
ctest --test-dir build --output-on-failure -j2 -LE fuzz
