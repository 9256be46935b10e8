#!/usr/bin/env bash
# Builds `minitia-l1` and runs the CosmJS + @initia/opinit.proto tests against it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
# scripts/test.sh passes the binary its workspace build made (a `-p` build would rebuild
# dependencies with other features).
if [ -z "${MINITIA_L1_BIN:-}" ]; then
    (cd "$repo" && cargo build -p minitia-cli --bin minitia-l1)
    export MINITIA_L1_BIN="$CARGO_TARGET_DIR/debug/minitia-l1"
fi
cd "$here"
npm ci --no-audit --no-fund
npm test
