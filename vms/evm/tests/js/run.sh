#!/usr/bin/env bash
# Builds the minitia-evm binary and runs the JS e2e tests (viem, ethers, solc) against it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
# scripts/test.sh passes the binary its workspace build made (a `-p` build would rebuild
# dependencies with other features).
if [ -z "${MINITIA_EVM_BIN:-}" ]; then
    (cd "$root" && cargo build -p minitia-vm-evm --bin minitia-evm)
    export MINITIA_EVM_BIN="$target/debug/minitia-evm"
fi
cd "$here"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm test
