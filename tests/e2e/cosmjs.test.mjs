// End-to-end: a real `minitia` node, driven by CosmJS exactly as a wallet or dapp would.
//
// Needs the built binary: `cargo build -p minitia-cli` (honours CARGO_TARGET_DIR; set
// MINITIA_BIN to use another binary).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { DEV_MNEMONIC, freePort, minitiaBin, sleep } from "./common.mjs";

import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import {
  SigningStargateClient,
  StargateClient,
  assertIsDeliverTxSuccess,
  calculateFee,
  GasPrice,
} from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx.js";

const PREFIX = "init";
const DENOM = "umin";
const FEE = { amount: [{ denom: DENOM, amount: "2000" }], gas: "200000" };




/** A node started in a fresh temp home; `stop()` kills it and removes the home. */
class Node {
  constructor() {
    this.log = [];
    this.proc = null;
    this.exited = null;
  }

  async start() {
    const bin = minitiaBin();
    assert.ok(existsSync(bin), `${bin} not found: run \`cargo build -p minitia-cli\` first`);
    this.tmp = mkdtempSync(join(tmpdir(), "minitia-e2e-"));
    execFileSync(bin, ["new", "e2e", "--home-dir", this.tmp], { stdio: "pipe" });
    this.home = join(this.tmp, "e2e");
    this.genesis = JSON.parse(readFileSync(join(this.home, "genesis.json"), "utf8"));
    this.devKey = JSON.parse(readFileSync(join(this.home, "keys", "dev.json"), "utf8"));
    this.port = await freePort();
    this.rpc = `http://127.0.0.1:${this.port}`;
    this.proc = spawn(
      bin,
      [
        "start",
        "--home",
        this.home,
        "--rpc.listen",
        `127.0.0.1:${this.port}`,
        "--sequencer.block-time",
        "100ms",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const keep = (chunk) => {
      this.log.push(chunk.toString());
      if (this.log.length > 500) this.log.shift();
    };
    this.proc.stdout.on("data", keep);
    this.proc.stderr.on("data", keep);
    this.exited = new Promise((r) => this.proc.once("exit", (code, signal) => r({ code, signal })));
    await this.waitHealthy(30_000);
    await this.waitHeight(1, 30_000);
  }

  async waitHeight(height, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const res = await fetch(`${this.rpc}/status`);
      const status = await res.json();
      if (Number(status.result?.sync_info?.latest_block_height ?? 0) >= height) return;
      await sleep(100);
    }
    throw new Error(`minitia did not reach height ${height} within ${timeoutMs}ms:\n${this.logs()}`);
  }

  async waitHealthy(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let dead = null;
    this.exited.then((e) => (dead = e));
    while (Date.now() < deadline) {
      if (dead) throw new Error(`minitia exited early (${JSON.stringify(dead)}):\n${this.logs()}`);
      try {
        const res = await fetch(`${this.rpc}/health`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`minitia did not answer ${this.rpc}/health within ${timeoutMs}ms:\n${this.logs()}`);
  }

  logs() {
    return this.log.join("").split("\n").slice(-60).join("\n");
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      const done = await Promise.race([this.exited, sleep(10_000).then(() => null)]);
      if (!done) {
        this.proc.kill("SIGKILL");
        await this.exited;
      }
    }
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }
}

function genesisBalance(genesis, address) {
  const entry = genesis.app_state.bank.balances.find((b) => b.address === address);
  const coin = entry?.coins.find((c) => c.denom === DENOM);
  return BigInt(coin?.amount ?? "0");
}

async function balance(client, address) {
  return BigInt((await client.getBalance(address, DENOM)).amount);
}

describe("CosmJS against a minitia node", () => {
  const node = new Node();
  let client;
  let signing;
  let dev;
  let recipient;

  // A crash or Ctrl-C of the test runner must not leave a node behind.
  const killOnExit = () => node.proc?.kill("SIGKILL");
  process.on("exit", killOnExit);

  before(async () => {
    try {
      await node.start();
    } catch (e) {
      await node.stop();
      throw e;
    }
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: PREFIX });
    [dev] = await wallet.getAccounts();
    const fresh = await DirectSecp256k1HdWallet.generate(12, { prefix: PREFIX });
    [recipient] = await fresh.getAccounts();
    client = await StargateClient.connect(node.rpc);
    signing = await SigningStargateClient.connectWithSigner(node.rpc, wallet, {
      broadcastPollIntervalMs: 200,
    });
  });

  after(async () => {
    client?.disconnect();
    signing?.disconnect();
    await node.stop();
    process.off("exit", killOnExit);
  });

  test("the dev account of `minitia new` is CosmJS's account for the dev mnemonic", () => {
    assert.equal(node.devKey.mnemonic, DEV_MNEMONIC);
    assert.equal(node.devKey.address, dev.address);
  });

  test("chain id and dev balance come from genesis", async () => {
    assert.equal(await client.getChainId(), node.genesis.chain_id);
    const expected = genesisBalance(node.genesis, dev.address);
    assert.equal(expected, 1_000_000_000_000n);
    assert.equal(await balance(client, dev.address), expected);
    assert.equal(await balance(client, recipient.address), 0n);
  });

  test("a bank send moves exactly amount + fee, and the tx is found by hash", async () => {
    const amount = 12_345n;
    const before = await balance(client, dev.address);
    const result = await signing.sendTokens(
      dev.address,
      recipient.address,
      [{ denom: DENOM, amount: amount.toString() }],
      FEE,
      "e2e send",
    );
    assertIsDeliverTxSuccess(result);
    assert.ok(result.height > 0);

    const tx = await client.getTx(result.transactionHash);
    assert.ok(tx, `getTx(${result.transactionHash}) found nothing`);
    assert.equal(tx.hash, result.transactionHash);
    assert.equal(tx.height, result.height);
    assert.equal(tx.code, 0);

    const fee = BigInt(FEE.amount[0].amount);
    assert.equal(await balance(client, dev.address), before - amount - fee);
    assert.equal(await balance(client, recipient.address), amount);
  });

  test("Simulate estimates the gas and a tx with the fee computed from it succeeds", async () => {
    const before = await balance(client, recipient.address);
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: dev.address, toAddress: recipient.address, amount: [{ denom: DENOM, amount: "7" }] },
    };
    const gas = await signing.simulate(dev.address, [msg], "");
    assert.ok(gas > 10_000 && gas < 200_000, `simulated gas ${gas} is implausible`);
    const fee = calculateFee(Math.round(gas * 1.5), GasPrice.fromString(`0.025${DENOM}`));
    const result = await signing.signAndBroadcast(dev.address, [msg], fee, "simulated fee");
    assertIsDeliverTxSuccess(result);
    assert.ok(result.gasUsed <= result.gasWanted, `used ${result.gasUsed} of ${result.gasWanted}`);
    assert.equal(await balance(client, recipient.address), before + 7n);
  });

  async function signedSend(signerData) {
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: {
        fromAddress: dev.address,
        toAddress: recipient.address,
        amount: [{ denom: DENOM, amount: "1000" }],
      },
    };
    const { accountNumber, sequence } = await signing.getSequence(dev.address);
    const chainId = await signing.getChainId();
    return signing.sign(dev.address, [msg], FEE, "", { accountNumber, sequence, chainId, ...signerData });
  }

  async function expectRejected(txRaw, what) {
    const devBefore = await balance(client, dev.address);
    const recipientBefore = await balance(client, recipient.address);
    const seqBefore = (await signing.getSequence(dev.address)).sequence;
    await assert.rejects(
      // broadcastTxSync, not broadcastTx: CosmJS 0.33's broadcastTx leaves a 60 s timer
      // running when CheckTx rejects, which keeps the test process alive.
      signing.broadcastTxSync(TxRaw.encode(txRaw).finish()),
      (err) => {
        assert.equal(err.code, 4, `${what}: expected code 4 (unauthorized), got ${err.code}: ${err.message}`);
        return true;
      },
      `${what} was accepted`,
    );
    // Give the sequencer a few blocks: nothing may change.
    await sleep(500);
    assert.equal(await balance(client, dev.address), devBefore);
    assert.equal(await balance(client, recipient.address), recipientBefore);
    assert.equal((await signing.getSequence(dev.address)).sequence, seqBefore);
  }

  test("a tx signed for another chain id is rejected with code 4 and changes nothing", async () => {
    const txRaw = await signedSend({ chainId: "some-other-chain-1" });
    await expectRejected(txRaw, "tx signed for another chain id");
  });

  test("a tx with a tampered signature is rejected with code 4 and changes nothing", async () => {
    const txRaw = await signedSend({});
    const sig = Uint8Array.from(txRaw.signatures[0]);
    sig[5] ^= 0xff;
    await expectRejected(TxRaw.fromPartial({ ...txRaw, signatures: [sig] }), "tx with a tampered signature");
  });
});
