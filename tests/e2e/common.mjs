// Helpers shared by the end-to-end tests in this folder.

import { createServer } from "node:net";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The public dev mnemonic every `minitia new` home funds. */
export const DEV_MNEMONIC =
  "notice oak worry limit wrap speak medal online prefer cluster roof addict wrist behave treat actual wasp year salad speed social layer crew genius";

/** The cargo target dir the workspace builds into (CARGO_TARGET_DIR, else `target`). */
export function targetDir() {
  const target = process.env.CARGO_TARGET_DIR ?? "target";
  return isAbsolute(target) ? target : join(REPO, target);
}

/** The built `minitia` binary (MINITIA_BIN overrides). */
export function minitiaBin() {
  return process.env.MINITIA_BIN ?? join(targetDir(), "debug", "minitia");
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
