#!/usr/bin/env bash
# Builds every binary, runs the Rust tests of the whole workspace, then the JS end-to-end
# tests in tests/e2e (which start the built `minitia` binary).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"

section() { printf '\n==> %s\n' "$*"; }

section "layering (docs/layout.md)"
scripts/check-layering.sh

section "cargo build --workspace --bins"
cargo build --workspace --bins

if cargo nextest --version >/dev/null 2>&1; then
    section "cargo nextest run --workspace"
    cargo nextest run --workspace
    # nextest does not run doctests.
    section "cargo test --workspace --doc"
    cargo test --workspace --doc
else
    section "cargo test --workspace"
    cargo test --workspace
fi

section "JS end-to-end tests (tests/e2e)"
cd "$REPO/tests/e2e"
if [ ! -d node_modules ]; then
    npm ci --no-audit --no-fund
fi
npm test

# Binaries from the workspace build above, so the scripts below need not rebuild them.
export MINITIA_L1_BIN="$CARGO_TARGET_DIR/debug/minitia-l1"
export MINITIA_EVM_BIN="$CARGO_TARGET_DIR/debug/minitia-evm"
export MINITIA_BIN="$CARGO_TARGET_DIR/debug/minitia"
export MINITIA_DA_BIN="$CARGO_TARGET_DIR/debug/minitia-da"

section "JS end-to-end tests (l1-orchestrator/tests/js: CosmJS + @initia/opinit.proto)"
"$REPO/l1-orchestrator/tests/js/run.sh"

section "JS end-to-end tests (vms/evm/tests/js: viem, ethers v6, solc)"
"$REPO/vms/evm/tests/js/run.sh"

section "Python smoke test (vms/evm/tests/py: web3.py)"
"$REPO/vms/evm/tests/py/run.sh"
