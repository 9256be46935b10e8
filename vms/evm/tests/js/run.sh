#!/usr/bin/env bash
# Builds the minitia-evm binary (and the localnet's) and runs the JS e2e tests (viem, ethers,
# solc) against them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
# scripts/test.sh passes the binary its workspace build made (a `-p` build would rebuild
# dependencies with other features).
if [ -z "${MINITIA_EVM_BIN:-}" ]; then
    (cd "$root" && cargo build -p minitia-evm-node --bin minitia-evm)
    export MINITIA_EVM_BIN="$target/debug/minitia-evm"
fi
# The bridge round trip runs a whole localnet: the minitia, minitia-l1 and minitia-da binaries.
if [ -z "${MINITIA_BIN:-}" ] || [ -z "${MINITIA_L1_BIN:-}" ] || [ -z "${MINITIA_DA_BIN:-}" ]; then
    (cd "$root" && cargo build -p minitia-cli -p minitia-da --bins)
    export MINITIA_BIN="$target/debug/minitia"
    export MINITIA_L1_BIN="$target/debug/minitia-l1"
    export MINITIA_DA_BIN="$target/debug/minitia-da"
fi
cd "$here"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm test
