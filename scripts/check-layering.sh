#!/usr/bin/env bash
# Checks the layering docs/layout.md states (core -> store/app -> engines -> node -> bots ->
# cli): the app layer and the fraud-proof verifier pull in no IO crates, the engines sit
# below the node, and no code outside engines/ chooses an engine by its VM name.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail=0
deps() { cargo tree -p "$1" -e normal --prefix none --format '{p}' 2>/dev/null | awk '{print $1}' | sort -u; }
forbid() {
    local crate="$1"; shift
    local found
    found=$(deps "$crate" | grep -xE "$(IFS='|'; echo "$*")" || true)
    if [ -n "$found" ]; then
        echo "layering: $crate depends on $(echo "$found" | tr '\n' ' ')(see docs/layout.md)" >&2
        fail=1
    fi
}
forbid minitia-app tokio axum hyper redb minitia-store minitia-chain
forbid minitia-fraud-proofs tokio axum hyper redb minitia-chain minitia-template
forbid minitia-vm-evm minitia-template minitia-chain tokio axum redb
forbid minitia-vm-move minitia-template minitia-chain tokio axum redb

# An engine is chosen by name only in engines/ (wire names such as Initia's `move` event
# type are not matches: these patterns are branches and comparisons on a VM name).
matches=$(grep -rnE \
    '"(evm|move|wasm|none)"[[:space:]]*(=>|\|)|(==|!=)[[:space:]]*"(evm|move|wasm)"|"(evm|move|wasm)"[[:space:]]*(==|!=)|\.vm[[:space:]]*(==|!=)|vm\.as_str\(\)' \
    --include='*.rs' app core store chain da fraud-proofs l1-orchestrator minitia-template \
    ibc-relayer localnet cli vms/evm/src vms/evm/node/src vms/move/src vms/wasm/src \
    | grep -v '/tests/' || true)
if [ -n "$matches" ]; then
    echo "layering: code outside engines/ branches on a VM name (ask the engine registry instead):" >&2
    echo "$matches" >&2
    fail=1
fi

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "layering: ok (app, fraud-proofs and engines free of IO and node crates; VM names only in engines/)"
