#!/usr/bin/env bash
# Installs what is missing, then configures and builds into a build folder.
#   scripts/build.sh [BUILD_DIR] [extra cmake -D options...]
# PFS_WERROR=ON in the environment turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DPFS_WERROR="${PFS_WERROR:-OFF}" "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
