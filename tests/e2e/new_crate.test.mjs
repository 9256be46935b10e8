// End-to-end: what a team does first. `minitia new demo --vm evm|move`, then `cargo build` and
// `cargo run -- --home .` in the generated crate: the node runs the chosen VM (the EVM with its
// Ethereum JSON-RPC, Move with its views) plus the crate's own example module, whose Msg is
// sent with CosmJS and whose query and event are read back.
//
// Needs the built `minitia` binary (MINITIA_BIN or CARGO_TARGET_DIR/debug/minitia) and cargo;
// the generated crates build into CARGO_TARGET_DIR (shared with the workspace build).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { DEV_MNEMONIC, freePort, minitiaBin, sleep, targetDir } from "./common.mjs";

import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";
import { QueryClient, SigningStargateClient, defaultRegistryTypes } from "@cosmjs/stargate";
import { Tendermint37Client } from "@cosmjs/tendermint-rpc";
import { BinaryReader, BinaryWriter } from "cosmjs-types/binary.js";

const FEE = { amount: [{ denom: "umin", amount: "2000" }], gas: "200000" };




// The example module's protobuf messages, as a team would hand them to CosmJS.
const MsgIncrement = {
  encode(m, w = BinaryWriter.create()) {
    if (m.sender) w.uint32(10).string(m.sender);
    if (m.by) w.uint32(16).uint64(BigInt(m.by));
    return w;
  },
  decode(input) {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    const m = { sender: "", by: 0n };
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === 1) m.sender = r.string();
      else if (tag >>> 3 === 2) m.by = r.uint64();
      else r.skipType(tag & 7);
    }
    return m;
  },
  fromPartial(o) {
    return { sender: o.sender ?? "", by: o.by ?? 0n };
  },
};

function decodeUint64Field1(bytes) {
  const r = new BinaryReader(bytes);
  let v = 0n;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) v = BigInt(r.uint64().toString());
    else r.skipType(tag & 7);
  }
  return v;
}

/** `minitia new <name> --vm <vm>`, then `cargo build` of the generated crate. */
function newCrate(tmp, name, vm) {
  execFileSync(minitiaBin(), ["new", name, "--vm", vm, "--home-dir", tmp], { stdio: "pipe" });
  const home = join(tmp, name);
  execFileSync("cargo", ["build", "--manifest-path", join(home, "Cargo.toml")], {
    stdio: "inherit",
    env: { ...process.env, CARGO_TARGET_DIR: targetDir() },
  });
  const bin = join(targetDir(), "debug", name);
  assert.ok(existsSync(bin), `${bin} was not built`);
  return { home, bin };
}

/** The generated binary run as `cargo run -- --home .` runs it. */
class CrateNode {
  constructor(bin, home) {
    this.bin = bin;
    this.home = home;
    this.log = [];
  }

  async start() {
    this.port = await freePort();
    this.jsonPort = await freePort();
    this.rpc = `http://127.0.0.1:${this.port}`;
    this.jsonRpc = `http://127.0.0.1:${this.jsonPort}`;
    this.proc = spawn(
      this.bin,
      ["--home", ".", "--rpc.listen", `127.0.0.1:${this.port}`, "--json-rpc.listen", `127.0.0.1:${this.jsonPort}`],
      { cwd: this.home, stdio: ["ignore", "pipe", "pipe"] },
    );
    const keep = (c) => {
      this.log.push(c.toString());
      if (this.log.length > 300) this.log.shift();
    };
    this.proc.stdout.on("data", keep);
    this.proc.stderr.on("data", keep);
    this.exited = new Promise((r) => this.proc.once("exit", (code, signal) => r({ code, signal })));
    let dead = null;
    this.exited.then((e) => (dead = e));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (dead) throw new Error(`node exited (${JSON.stringify(dead)}):\n${this.logs()}`);
      try {
        if ((await fetch(`${this.rpc}/health`)).ok) return;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    throw new Error(`node did not answer within 60s:\n${this.logs()}`);
  }

  logs() {
    return this.log.join("").split("\n").slice(-40).join("\n");
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      if (!(await Promise.race([this.exited, sleep(10_000).then(() => null)]))) {
        this.proc.kill("SIGKILL");
        await this.exited;
      }
    }
  }
}

async function counterThroughCosmJS(node) {
  const registry = new Registry([...defaultRegistryTypes, ["/counter.v1.MsgIncrement", MsgIncrement]]);
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "init" });
  const [dev] = await wallet.getAccounts();
  const signing = await SigningStargateClient.connectWithSigner(node.rpc, wallet, {
    registry,
    broadcastPollIntervalMs: 200,
  });
  const tm = await Tendermint37Client.connect(node.rpc);
  const query = new QueryClient(tm);
  const count = async () =>
    decodeUint64Field1((await query.queryAbci("/counter.v1.Query/Count", new Uint8Array())).value);
  try {
    assert.equal(await count(), 0n);
    const msg = { typeUrl: "/counter.v1.MsgIncrement", value: { sender: dev.address, by: 5n } };
    const r = await signing.signAndBroadcast(dev.address, [msg], FEE);
    assert.equal(r.code, 0, r.rawLog);
    const ev = r.events.find((e) => e.type === "increment");
    assert.ok(ev, JSON.stringify(r.events));
    const attr = Object.fromEntries(ev.attributes.map((a) => [a.key, a.value]));
    assert.deepEqual([attr.sender, attr.by, attr.count], [dev.address, "5", "5"]);
    assert.equal(await count(), 5n);
    // A zero increment is refused at admission (CheckTx runs the message) and changes nothing.
    const bad = { typeUrl: "/counter.v1.MsgIncrement", value: { sender: dev.address, by: 0n } };
    await assert.rejects(signing.signAndBroadcast(dev.address, [bad], FEE), /by must be at least 1/);
    assert.equal(await count(), 5n);
  } finally {
    signing.disconnect();
    tm.disconnect();
  }
}

describe("a `minitia new` crate runs the chosen VM and its own module", () => {
  let tmp;
  const nodes = [];
  const killOnExit = () => nodes.forEach((n) => n.proc?.kill("SIGKILL"));
  process.on("exit", killOnExit);

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "minitia-new-"));
  });

  after(async () => {
    for (const n of nodes) await n.stop();
    process.off("exit", killOnExit);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test("--vm evm: the Ethereum JSON-RPC answers and the example Msg works through CosmJS", async () => {
    const { home, bin } = newCrate(tmp, "demoevm", "evm");
    const genesis = JSON.parse(readFileSync(join(home, "genesis.json"), "utf8"));
    assert.equal(genesis.app_state.minitia.vm, "evm");
    // The example module's own unit tests pass in the generated crate.
    const out = execFileSync("cargo", ["test", "--manifest-path", join(home, "Cargo.toml")], {
      env: { ...process.env, CARGO_TARGET_DIR: targetDir() },
    }).toString();
    assert.match(out, /test result: ok\. 2 passed/);
    const node = new CrateNode(bin, home);
    nodes.push(node);
    await node.start();
    const res = await fetch(node.jsonRpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    const body = await res.json();
    assert.match(body.result ?? "", /^0x[0-9a-f]+$/, JSON.stringify(body));
    await counterThroughCosmJS(node);
    await node.stop();
  });

  test("--vm move: a Move view answers and the example Msg works through CosmJS", async () => {
    const { home, bin } = newCrate(tmp, "demomove", "move");
    const node = new CrateNode(bin, home);
    nodes.push(node);
    await node.start();
    // 0x1::coin::metadata_address(@0x1, "umin"): the view the framework answers.
    const addr = new Uint8Array(32);
    addr[31] = 1;
    const symbol = new TextEncoder().encode("umin");
    const req = BinaryWriter.create();
    req.uint32(10).string("0x1").uint32(18).string("coin").uint32(26).string("metadata_address");
    req.uint32(42).bytes(addr);
    req.uint32(42).bytes(Uint8Array.from([symbol.length, ...symbol]));
    const tm = await Tendermint37Client.connect(node.rpc);
    try {
      const r = await new QueryClient(tm).queryAbci("/initia.move.v1.Query/ViewFunction", req.finish());
      const reader = new BinaryReader(r.value);
      reader.uint32();
      const data = JSON.parse(reader.string());
      assert.match(data, /^0x[0-9a-f]{1,64}$/);
    } finally {
      tm.disconnect();
    }
    await counterThroughCosmJS(node);
    await node.stop();
  });
});
