#!/usr/bin/env bash
# The perturbation suite's long mode: more seeds and longer rounds than the fast mode that
# `scripts/test.sh` runs (seeds 1-20, 3 s rounds). Usage:
#   scripts/perturb.sh [FIRST-LAST] [ROUND_MS]      e.g. scripts/perturb.sh 1-200 8000
# Prints each seed's schedule and the invariant results; exits non-zero on the first
# violated invariant (the localnet's logs are in the test's temp home, named in the panic).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
export MINITIA_PERTURB_SEEDS="${1:-1-200}"
export MINITIA_PERTURB_ROUND_MS="${2:-8000}"

cargo build -p minitia-cli -p l1-orchestrator -p minitia-da --bins
cargo test -p minitia-localnet --test perturbation -- --nocapture
