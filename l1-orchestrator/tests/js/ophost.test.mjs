// CosmJS + @initia/opinit.proto against our L1: the OPinit message types are registered in
// a CosmJS Registry, signed with DirectSecp256k1HdWallet and broadcast to a real
// `minitia-l1` process; escrow, events and sequences are checked through CosmJS queries.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";
import {
  QueryClient,
  SigningStargateClient,
  StargateClient,
  createProtobufRpcClient,
  defaultRegistryTypes,
} from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";

const require = createRequire(import.meta.url);
const ophostTx = require("@initia/opinit.proto/opinit/ophost/v1/tx");
const ophostQuery = require("@initia/opinit.proto/opinit/ophost/v1/query");
const ophostTypes = require("@initia/opinit.proto/opinit/ophost/v1/types");

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MNEMONIC =
  "notice oak worry limit wrap speak medal online prefer cluster roof addict wrist behave treat actual wasp year salad speed social layer crew genius";
const PREFIX = "init";
const DENOM = "uinit";
const CHAIN_ID = "initiation-js-1";
const FEE = { amount: [], gas: "2000000" };

function l1Bin() {
  if (process.env.MINITIA_L1_BIN) return process.env.MINITIA_L1_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? "target";
  const dir = isAbsolute(target) ? target : join(REPO, target);
  return join(dir, "debug", "minitia-l1");
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function registry() {
  const r = new Registry(defaultRegistryTypes);
  for (const name of ["MsgCreateBridge", "MsgInitiateTokenDeposit", "MsgProposeOutput"]) {
    r.register(`/opinit.ophost.v1.${name}`, ophostTx[name]);
  }
  return r;
}

describe("OPinit ophost via CosmJS and @initia/opinit.proto", () => {
  let proc;
  let home;
  let rpc;
  let log = [];
  let wallet;
  let me;
  let signing;
  let client;
  let ophost;

  before(async () => {
    const bin = l1Bin();
    assert.ok(existsSync(bin), `${bin} not found: run l1-orchestrator/tests/js/run.sh`);
    wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: PREFIX });
    [me] = await wallet.getAccounts();
    home = mkdtempSync(join(tmpdir(), "minitia-l1-js-"));
    execFileSync(bin, [
      "init", "--home", home, "--chain-id", CHAIN_ID,
      "--fund", `${me.address}=100000000`, "--authority", me.address,
    ], { stdio: "pipe" });
    const port = await freePort();
    rpc = `http://127.0.0.1:${port}`;
    proc = spawn(bin, ["start", "--home", home, "--rpc.listen", `127.0.0.1:${port}`, "--block-time-ms", "100", "--dev"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (c) => { log.push(c.toString()); if (log.length > 300) log.shift(); };
    proc.stdout.on("data", keep);
    proc.stderr.on("data", keep);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const s = await (await fetch(`${rpc}/status`)).json();
        if (Number(s.result?.sync_info?.latest_block_height ?? 0) >= 1) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`L1 did not start:\n${log.join("")}`);
      await sleep(100);
    }
    signing = await SigningStargateClient.connectWithSigner(rpc, wallet, { registry: registry() });
    client = await StargateClient.connect(rpc);
    const comet = await Comet38Client.connect(rpc);
    ophost = createProtobufRpcClient(new QueryClient(comet));
  });

  after(async () => {
    signing?.disconnect();
    client?.disconnect();
    if (proc && proc.exitCode === null) {
      proc.kill("SIGINT");
      await new Promise((r) => proc.once("exit", r));
    }
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const query = async (method, Req, Resp, req) =>
    Resp.decode(await ophost.request("opinit.ophost.v1.Query", method, Req.encode(Req.fromPartial(req)).finish()));

  const event = (result, type) => {
    const e = result.events.find((x) => x.type === type);
    assert.ok(e, `no ${type} event in ${JSON.stringify(result.events)}`);
    return Object.fromEntries(e.attributes.map((a) => [a.key, a.value]));
  };

  test("create a bridge, deposit twice: escrow, events and sequences", async () => {
    const create = {
      typeUrl: "/opinit.ophost.v1.MsgCreateBridge",
      value: ophostTx.MsgCreateBridge.fromPartial({
        creator: me.address,
        config: {
          proposer: me.address,
          challenger: me.address,
          batchInfo: { submitter: me.address, chainType: ophostTypes.BatchInfo_ChainType.INITIA },
          submissionInterval: { seconds: 60n, nanos: 0 },
          finalizationPeriod: { seconds: 604800n, nanos: 0 },
          submissionStartHeight: 1n,
          metadata: new TextEncoder().encode("js"),
        },
      }),
    };
    const created = await signing.signAndBroadcast(me.address, [create], FEE);
    assert.equal(created.code, 0, created.rawLog);
    const bridgeId = event(created, "create_bridge").bridge_id;
    assert.equal(bridgeId, "1");

    const bridge = await query("Bridge", ophostQuery.QueryBridgeRequest, ophostQuery.QueryBridgeResponse, { bridgeId: 1n });
    assert.equal(bridge.bridgeConfig.proposer, me.address);
    assert.equal(bridge.bridgeConfig.finalizationPeriod.seconds, 604800n);
    assert.equal(bridge.bridgeConfig.batchInfo.chainType, ophostTypes.BatchInfo_ChainType.INITIA);
    const escrow = bridge.bridgeAddr;
    assert.equal((await client.getBalance(escrow, DENOM)).amount, "0");

    const before = BigInt((await client.getBalance(me.address, DENOM)).amount);
    for (const [i, amount] of ["1500", "2500"].entries()) {
      const dep = {
        typeUrl: "/opinit.ophost.v1.MsgInitiateTokenDeposit",
        value: ophostTx.MsgInitiateTokenDeposit.fromPartial({
          sender: me.address,
          bridgeId: 1n,
          to: "init1l2receiver",
          amount: { denom: DENOM, amount },
          data: new Uint8Array([0xab]),
        }),
      };
      const res = await signing.signAndBroadcast(me.address, [dep], FEE);
      assert.equal(res.code, 0, res.rawLog);
      const e = event(res, "initiate_token_deposit");
      assert.equal(e.l1_sequence, String(i + 1));
      assert.equal(e.bridge_id, "1");
      assert.equal(e.amount, amount);
      assert.equal(e.l1_denom, DENOM);
      assert.match(e.l2_denom, /^l2\/[0-9a-f]{64}$/);
      assert.equal(e.data, "ab");
      const resp = ophostTx.MsgInitiateTokenDepositResponse.decode(res.msgResponses[0].value);
      assert.equal(resp.sequence, BigInt(i + 1));
    }
    assert.equal((await client.getBalance(escrow, DENOM)).amount, "4000");
    const after = BigInt((await client.getBalance(me.address, DENOM)).amount);
    // The creator also bonded the proposer minimum (1000000uinit) when creating the bridge.
    assert.equal(before - after, 4000n);

    const next = await query("NextL1Sequence", ophostQuery.QueryNextL1SequenceRequest, ophostQuery.QueryNextL1SequenceResponse, { bridgeId: 1n });
    assert.equal(next.nextL1Sequence, 3n);
    const pair = await query("TokenPairByL1Denom", ophostQuery.QueryTokenPairByL1DenomRequest, ophostQuery.QueryTokenPairByL1DenomResponse, { bridgeId: 1n, l1Denom: DENOM });
    assert.match(pair.tokenPair.l2Denom, /^l2\//);

    const found = await client.searchTx(`initiate_token_deposit.bridge_id='1'`);
    assert.equal(found.length, 2);
  });

  test("a deposit of a denom the sender lacks is rejected and changes nothing", async () => {
    const bridge = await query("Bridge", ophostQuery.QueryBridgeRequest, ophostQuery.QueryBridgeResponse, { bridgeId: 1n });
    const escrowBefore = (await client.getBalance(bridge.bridgeAddr, "ufoo")).amount;
    const dep = {
      typeUrl: "/opinit.ophost.v1.MsgInitiateTokenDeposit",
      value: ophostTx.MsgInitiateTokenDeposit.fromPartial({
        sender: me.address, bridgeId: 1n, to: "init1l2receiver", amount: { denom: "ufoo", amount: "5" },
      }),
    };
    // CheckTx runs the message, so the node refuses it at broadcast (CosmJS throws).
    await assert.rejects(signing.signAndBroadcast(me.address, [dep], FEE), (e) => {
      assert.equal(e.code, 5);
      assert.match(e.message, /codespace: sdk.*spendable balance 0ufoo is smaller than 5ufoo: insufficient funds/s);
      return true;
    });
    assert.equal((await client.getBalance(bridge.bridgeAddr, "ufoo")).amount, escrowBefore);
    const next = await query("NextL1Sequence", ophostQuery.QueryNextL1SequenceRequest, ophostQuery.QueryNextL1SequenceResponse, { bridgeId: 1n });
    assert.equal(next.nextL1Sequence, 3n);
  });

  test("outputs: proposed in order by the proposer, queryable, out-of-order refused", async () => {
    const root = new Uint8Array(32).fill(7);
    const propose = (outputIndex, l2BlockNumber) => ({
      typeUrl: "/opinit.ophost.v1.MsgProposeOutput",
      value: ophostTx.MsgProposeOutput.fromPartial({
        proposer: me.address, bridgeId: 1n, outputIndex, l2BlockNumber, outputRoot: root,
      }),
    });
    const res = await signing.signAndBroadcast(me.address, [propose(1n, 100n)], FEE);
    assert.equal(res.code, 0, res.rawLog);
    assert.equal(event(res, "propose_output").output_root, "07".repeat(32));
    const out = await query("OutputProposal", ophostQuery.QueryOutputProposalRequest, ophostQuery.QueryOutputProposalResponse, { bridgeId: 1n, outputIndex: 1n });
    assert.deepEqual(Array.from(out.outputProposal.outputRoot), Array.from(root));
    assert.equal(out.outputProposal.l2BlockNumber, 100n);
    await assert.rejects(signing.signAndBroadcast(me.address, [propose(3n, 200n)], FEE), (e) => {
      assert.match(e.message, /codespace: ophost.*expected 2, got 3: invalid output index/s);
      return true;
    });
  });
});
