#!/usr/bin/env bash
# Records the reference results of the differential suite (tests/move-src/sources/d_*.move)
# Set BUILDER_JS_DIR to a directory whose node_modules already holds the package to work offline.
# by running its functions as Move unit tests on Initia's VM, shipped in the npm package
# @initia/builder.js (a dev-only tool, never a crate dependency; BUSL-licensed).
#
# Functions `t_*()` become `#[test]`s, `ts_*(s: signer)` become `#[test(s = @0xcafe)]`s, in a
# temporary copy of the package only. The outcome of each is written to
# tests/diff_reference.json as {"0x42::module::function": {"outcome": ..., ...}}, which
# tests/differential.rs compares against this crate's interpreter.
# Usage: vms/move/tests/diff_reference.sh   (needs node >= 20 and the npm registry once)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && if [ -n "${BUILDER_JS_DIR:-}" ]; then ln -s "$BUILDER_JS_DIR/node_modules" node_modules; else npm install --silent @initia/builder.js@0.2.12 >/dev/null; fi)
cp -r "$here/move-src" "$work/pkg"
rm -rf "$work/pkg/build"
for f in "$work"/pkg/sources/d_*.move; do
  sed -i -E \
    -e 's/^( *)public fun t_/\1#[test]\n\1public fun t_/' \
    -e 's/^( *)public fun ts_/\1#[test(s = @0xcafe)]\n\1public fun ts_/' "$f"
done
cat > "$work/test.cjs" <<'JS'
const { MoveBuilder } = require('@initia/builder.js');
new MoveBuilder(process.argv[2], {}).test({}).then(
  () => process.exit(0),
  () => process.exit(0)); // failing tests are expected; the log is parsed below
JS
(cd "$work" && node test.cjs "$work/pkg" > "$work/log.txt" 2>&1) || true
cat > "$work/parse.cjs" <<'JS'
// Parses the unit-test log: "[ PASS    ] name" lines and the "┌── fn ──" failure blocks.
const fs = require('fs');
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
const out = {};
let mod = null, current = null, text = '';
const flush = () => {
  if (current === null) return;
  let r;
  let m;
  if ((m = text.match(/aborted with code (\d+)/))) r = { outcome: 'abort', code: m[1] };
  else if ((m = text.match(/arithmetic error with error message: "([A-Za-z ]+)/)))
    r = { outcome: 'arithmetic', detail: m[1].trim() };
  else if ((m = text.match(/vector operation error with sub-status (\d+)/)))
    r = { outcome: 'vector', sub_status: m[1] };
  else if ((m = text.match(/gave an? ([A-Z][A-Z_]+) \(code/)))
    r = { outcome: 'error', status: m[1] };
  else r = { outcome: 'error', status: 'UNKNOWN' };
  out[`${mod}::${current}`] = r;
  current = null; text = '';
};
for (const line of lines) {
  let m;
  if ((m = line.match(/^\[ PASS\s*\] (\S+)/))) out[m[1]] = { outcome: 'pass' };
  else if ((m = line.match(/^Failures in (\S+):/))) { flush(); mod = m[1]; }
  else if ((m = line.match(/^┌── (\S+) ──/))) { flush(); current = m[1]; }
  else if (line.startsWith('└──')) flush();
  else if (current !== null) text += line + '\n';
}
flush();
const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
if (Object.keys(sorted).length === 0) { console.error(lines.join('\n')); process.exit(1); }
fs.writeFileSync(process.argv[3], JSON.stringify(sorted, null, 1) + '\n');
console.log(`recorded ${Object.keys(sorted).length} results`);
JS
cp "$work/log.txt" "${DIFF_LOG:-/dev/null}"
node "$work/parse.cjs" "$work/log.txt" "$here/diff_reference.json"
