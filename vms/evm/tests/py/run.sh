#!/usr/bin/env bash
# Builds minitia-evm and runs the web3.py smoke test in a venv with the pinned requirements.
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
venv="${MINITIA_PY_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
cd "$here"
"$venv/bin/python" -m unittest -v smoke_test.py
