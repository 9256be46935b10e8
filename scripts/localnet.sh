#!/usr/bin/env bash
# Builds `minitia`, creates a local minitia home under .localnet/ if there is none, and runs
# its node in the foreground (Ctrl-C stops it). Extra arguments go to `minitia start`, e.g.
#   scripts/localnet.sh --sequencer.block-time 1s
#
# Environment: MINITIA_LOCALNET_NAME (default "localnet"), MINITIA_RPC_LISTEN (default
# 127.0.0.1:26657), CARGO_TARGET_DIR (default target/). Delete .localnet/ to start afresh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
NAME="${MINITIA_LOCALNET_NAME:-localnet}"
PARENT="$REPO/.localnet"
HOME_DIR="$PARENT/$NAME"
RPC="${MINITIA_RPC_LISTEN:-127.0.0.1:26657}"

echo "==> building minitia"
cargo build -p minitia-cli
BIN="$CARGO_TARGET_DIR/debug/minitia"

if [ ! -f "$HOME_DIR/minitia.toml" ]; then
    echo "==> creating $HOME_DIR"
    mkdir -p "$PARENT"
    # Keys and chain data of a local network never belong in git.
    printf '*\n' > "$PARENT/.gitignore"
    "$BIN" new "$NAME" --home-dir "$PARENT"
fi

json_field() { sed -n "s/^ *\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$2" | head -n 1; }
DEV_ADDRESS="$(json_field address "$HOME_DIR/keys/dev.json")"
DEV_MNEMONIC="$(json_field mnemonic "$HOME_DIR/keys/dev.json")"
CHAIN_ID="$(json_field chain_id "$HOME_DIR/genesis.json")"

cat <<INFO

==> starting $NAME
    home         $HOME_DIR
    chain id     $CHAIN_ID
    RPC URL      http://$RPC
    dev account  $DEV_ADDRESS  (DEV ONLY)
    dev mnemonic $DEV_MNEMONIC

INFO
exec "$BIN" start --home "$HOME_DIR" --rpc.listen "$RPC" "$@"
