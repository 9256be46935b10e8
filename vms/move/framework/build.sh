#!/usr/bin/env bash
# Regenerates build/*.mv, the Move minitia's built-in 0x1 framework, from sources/ with the
# Initia Move compiler shipped in the npm package @initia/builder.js (a dev-only tool: never a
# crate dependency, never shipped; only the bytecode compiled from our own sources is).
# Usage: vms/move/framework/build.sh   (needs node >= 20 and the npm registry, or
# BUILDER_JS_DIR pointing at a directory whose node_modules already holds the package)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "${BUILDER_JS_DIR:-}" ]; then ln -s "$BUILDER_JS_DIR/node_modules" "$work/node_modules"; else (cd "$work" && npm install --silent @initia/builder.js@0.2.12 >/dev/null); fi
mkdir -p "$work/pkg"
cp -r "$here/Move.toml" "$here/sources" "$work/pkg/"
cat > "$work/build.cjs" <<'JS'
const { MoveBuilder } = require('@initia/builder.js');
new MoveBuilder(process.argv[2], {}).build().then(
  (r) => console.log('build:', r),
  (e) => { console.error(e); process.exit(1); });
JS
(cd "$work" && node build.cjs "$work/pkg")
rm -rf "$here/build"
mkdir -p "$here/build"
cp "$work"/pkg/build/MinitiaFramework/bytecode_modules/*.mv "$here/build/"
ls "$here/build"
