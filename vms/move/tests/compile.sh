#!/usr/bin/env bash
# Regenerates tests/move-build/*.mv from tests/move-src with the Initia Move compiler
# Set BUILDER_JS_DIR to a directory whose node_modules already holds the package to work offline.
# shipped in the npm package @initia/builder.js (a dev-only tool, never a crate dependency).
# Usage: vms/move/tests/compile.sh   (needs node >= 20 and access to the npm registry)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "${BUILDER_JS_DIR:-}" ]; then ln -s "$BUILDER_JS_DIR/node_modules" "$work/node_modules"; else (cd "$work" && npm install --silent @initia/builder.js@0.2.12 >/dev/null); fi
cp -r "$here/move-src" "$work/pkg"
cat > "$work/build.cjs" <<'JS'
const { MoveBuilder } = require('@initia/builder.js');
new MoveBuilder(process.argv[2], {}).build().then(
  (r) => console.log('build:', r),
  (e) => { console.error(e); process.exit(1); });
JS
(cd "$work" && node build.cjs "$work/pkg")
rm -rf "$here/move-build"
mkdir -p "$here/move-build"
cp "$work"/pkg/build/VmTests/bytecode_modules/*.mv "$here/move-build/"
mkdir -p "$here/move-build/scripts"
cp "$work"/pkg/build/VmTests/bytecode_scripts/*.mv "$here/move-build/scripts/"
ls -R "$here/move-build"
