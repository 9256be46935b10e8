#!/usr/bin/env bash
# Regenerates tests/move-build/*.mv from tests/move-src with the Initia Move compiler
# shipped in the npm package @initia/builder.js (a dev-only tool, never a crate dependency).
# Usage: vms/move/tests/compile.sh   (needs node >= 20 and access to the npm registry)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent @initia/builder.js@0.2.12 >/dev/null)
cp -r "$here/move-src" "$work/pkg"
cat > "$work/build.js" <<'JS'
const { MoveBuilder } = require('@initia/builder.js');
new MoveBuilder(process.argv[2], {}).build().then(
  (r) => console.log('build:', r),
  (e) => { console.error(e); process.exit(1); });
JS
(cd "$work" && node build.js "$work/pkg")
rm -rf "$here/move-build"
mkdir -p "$here/move-build"
cp "$work"/pkg/build/VmTests/bytecode_modules/*.mv "$here/move-build/"
mkdir -p "$here/move-build/scripts"
cp "$work"/pkg/build/VmTests/bytecode_scripts/*.mv "$here/move-build/scripts/"
ls -R "$here/move-build"
