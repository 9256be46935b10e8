#!/usr/bin/env bash
# The main command: builds the binaries and runs `minitia localnet up` — the L1
# (minitia-l1), the DA node (minitia-da) and one minitia per VM, each as its own process —
# with its home in .localnet/ of this repository. Ctrl-C stops everything. Run it again to
# continue the same network; `scripts/localnet.sh reset` (or deleting .localnet/) starts afresh.
#
# Arguments go to `minitia localnet up`, e.g.
#   scripts/localnet.sh --vms evm,move
#   scripts/localnet.sh --free-ports
# Other localnet commands run against the same home:
#   scripts/localnet.sh status | down | reset | logs <component> [-f] | time advance 7d
#
# Environment: MINITIA_LOCALNET_HOME (default .localnet/ here), CARGO_TARGET_DIR (default
# target/). Ports and the localnet.json shape: docs/localnet.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
export MINITIA_LOCALNET_HOME="${MINITIA_LOCALNET_HOME:-$REPO/.localnet}"

case "${1:-}" in
    status | down | reset | logs | time)
        BIN="$CARGO_TARGET_DIR/debug/minitia"
        if [ ! -x "$BIN" ]; then
            cargo build -p minitia-cli
        fi
        exec "$BIN" localnet "$@"
        ;;
esac

echo "==> building minitia, minitia-l1 and minitia-da"
cargo build -p minitia-cli -p minitia-da --bins

# The binaries from this build, whatever else is on PATH.
export MINITIA_BIN="$CARGO_TARGET_DIR/debug/minitia"
export MINITIA_L1_BIN="$CARGO_TARGET_DIR/debug/minitia-l1"
export MINITIA_DA_BIN="$CARGO_TARGET_DIR/debug/minitia-da"

# An earlier version of this script kept a single minitia home in .localnet/localnet/.
if [ -f "$MINITIA_LOCALNET_HOME/localnet/minitia.toml" ] && [ ! -f "$MINITIA_LOCALNET_HOME/localnet.json" ]; then
    echo "error: $MINITIA_LOCALNET_HOME holds a single-node home from an older scripts/localnet.sh;" >&2
    echo "       delete it (rm -rf $MINITIA_LOCALNET_HOME) to create a localnet there" >&2
    exit 1
fi

exec "$MINITIA_BIN" localnet up "$@"
