// The bridge round trip on a real localnet (L1 + DA + EVM minitia + batcher, executor,
// challenger as separate processes), seen from viem: an L1 deposit shows up as the viem
// account's native balance; a withdrawal through the bridge precompile (viem writeContract)
// and one through the Cosmos path (`minitia bridge withdraw`) are proven by the executor,
// claimed on the L1 with `minitia bridge claim` after `minitia localnet time advance`, and
// reach the L1 recipient; the bridge's L1 escrow equals the L2 supply plus the withdrawals
// in flight at every step; a second claim is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  createPublicClient, createWalletClient, http, defineChain, parseAbi, decodeEventLog,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const MINITIA = process.env.MINITIA_BIN;
const BRIDGE = '0x0000000000000000000000000000000000000f10';
const abi = parseAbi([
  'function initiateTokenWithdrawal(string to) payable',
  'event InitiateTokenWithdrawal(address indexed from, string to, uint256 amount)',
]);
// A test key; never used for anything real.
const user = privateKeyToAccount('0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba');

let home, mhome, net, mi, up, pub, wallet;

// ---- small helpers: bech32 (BIP-173), protobuf for one bank query, CLI calls ----
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
function polymod(values) {
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const b = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((b >> i) & 1) chk ^= G[i];
  }
  return chk;
}
function bech32(hrp, bytes) {
  const words = [];
  let acc = 0; let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b; bits += 8;
    while (bits >= 5) { bits -= 5; words.push((acc >> bits) & 31); }
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  const hrpx = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));
  const pm = polymod(hrpx.concat(words, [0, 0, 0, 0, 0, 0])) ^ 1;
  const chk = [0, 1, 2, 3, 4, 5].map((i) => (pm >> (5 * (5 - i))) & 31);
  return `${hrp}1${words.concat(chk).map((w) => CHARSET[w]).join('')}`;
}
function pbString(field, s) {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
}
// QueryBalanceResponse { balance: Coin { denom = 1, amount = 2 } } -> amount.
function parseBalance(buf) {
  const fields = (b) => {
    const out = {};
    let i = 0;
    while (i < b.length) {
      const key = b[i++]; let len = 0; let shift = 0;
      for (;;) { const x = b[i++]; len |= (x & 0x7f) << shift; shift += 7; if (!(x & 0x80)) break; }
      out[key >> 3] = b.subarray(i, i + len); i += len;
    }
    return out;
  };
  const coin = fields(buf)[1];
  return coin ? BigInt(fields(coin)[2].toString()) : 0n;
}
async function l1Balance(address, denom) {
  const data = Buffer.concat([pbString(1, address), pbString(2, denom)]).toString('hex');
  const path = encodeURIComponent('"/cosmos.bank.v1beta1.Query/Balance"');
  const r = await (await fetch(`${net.l1.rpc}/abci_query?path=${path}&data=0x${data}`)).json();
  assert.equal(r.result.response.code, 0, JSON.stringify(r));
  return parseBalance(Buffer.from(r.result.response.value ?? '', 'base64'));
}
function cli(args) {
  return execFileSync(MINITIA, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function bridgeJson(cmd, ...args) {
  return JSON.parse(cli(['bridge', cmd, '--home', mhome, '--json', ...args]));
}
function escrow() {
  const s = bridgeJson('status');
  const e = s.escrow.find((x) => x.l1_denom === net.l1.denom);
  return e ? { l1: BigInt(e.l1_escrow), l2: BigInt(e.l2_supply), status: s } : { l1: 0n, l2: 0n, status: s };
}
async function until(what, secs, f) {
  const deadline = Date.now() + secs * 1000;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  if (!MINITIA || !process.env.MINITIA_L1_BIN || !process.env.MINITIA_DA_BIN) {
    throw new Error('MINITIA_BIN, MINITIA_L1_BIN and MINITIA_DA_BIN must be set; run tests through run.sh');
  }
  home = mkdtempSync(join(tmpdir(), 'minitia-bridge-js-'));
  up = spawn(MINITIA, [
    'localnet', 'up', '--home', home, '--free-ports', '--vms', 'evm',
    '--l1.block-time', '300ms', '--minitia.block-time', '300ms', '--da.block-time', '500ms',
    '--bridge.submission-interval', '3s', '--bridge.finalization-period', '1h',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINITIA_LOCALNET_HOME: '' } });
  let out = '';
  up.stdout.on('data', (d) => { out += d; });
  up.stderr.on('data', (d) => { out += d; });
  await until('localnet is up', 150, () => {
    if (up.exitCode !== null) throw new Error(`localnet exited ${up.exitCode}:\n${out}`);
    return out.includes('localnet is up');
  });
  net = JSON.parse(readFileSync(join(home, 'localnet.json'), 'utf8'));
  mi = net.minitias.find((m) => m.vm === 'evm');
  mhome = join(home, 'minitias', mi.name);
  const id = Number(await createPublicClient({ transport: http(mi.json_rpc) }).getChainId());
  const chain = defineChain({
    id, name: mi.chain_id, nativeCurrency: { name: 'INIT', symbol: 'INIT', decimals: 18 },
    rpcUrls: { default: { http: [mi.json_rpc] } },
  });
  pub = createPublicClient({ chain, transport: http(mi.json_rpc), pollingInterval: 200 });
  wallet = createWalletClient({ chain, transport: http(mi.json_rpc), account: user });
});

after(async () => {
  if (up && up.exitCode === null) {
    up.kill('SIGINT');
    await new Promise((r) => { up.on('exit', r); setTimeout(r, 20_000); });
  }
  if (home) rmSync(home, { recursive: true, force: true });
});

test('deposit, withdraw through viem and the Cosmos path, claim on the L1', async () => {
  const denom = net.l1.denom;
  const dev = net.accounts.find((a) => a.name === 'dev');
  // A fresh L1 recipient: its balance is exactly what it was sent.
  const recipient = bech32(net.l1.prefix, createHash('sha256').update('bridge-js-recipient').digest().subarray(0, 20));
  const e0 = escrow();
  assert.equal(e0.status.bridge_id, mi.bridge_id);

  // L1 -> L2: to the viem account's 0x address, and to dev's own L2 address.
  bridgeJson('deposit', '--from', 'dev', `1000000${denom}`, '--to', user.address);
  bridgeJson('deposit', '--from', 'dev', `5000${denom}`);
  await until('the deposit as viem native balance', 60, async () => (await pub.getBalance({ address: user.address })) === 1_000_000n);
  const e1 = await until('both deposits finalized', 60, async () => {
    const e = escrow();
    return e.status.deposits_pending === 0 ? e : null;
  });
  assert.equal(e1.l1 - e0.l1, 1_005_000n, 'L1 escrow grew by the deposits');
  assert.equal(e1.l2 - e0.l2, 1_005_000n, 'L2 supply grew by the same');

  // L2 -> L1 through the precompile, from viem.
  const hash = await wallet.writeContract({
    address: BRIDGE, abi, functionName: 'initiateTokenWithdrawal', args: [recipient], value: 400_000n,
  });
  const receipt = await pub.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
  const ev = receipt.logs
    .filter((l) => l.address.toLowerCase() === BRIDGE)
    .map((l) => decodeEventLog({ abi, data: l.data, topics: l.topics }));
  assert.deepEqual(ev.map((e) => [e.eventName, e.args.to, e.args.amount]), [['InitiateTokenWithdrawal', recipient, 400_000n]]);
  const gasPaid = receipt.gasUsed * receipt.effectiveGasPrice;
  assert.equal(await pub.getBalance({ address: user.address }), 1_000_000n - 400_000n - gasPaid);

  // L2 -> L1 through the Cosmos path (MsgInitiateTokenWithdrawal signed by the CLI).
  const w2 = bridgeJson('withdraw', '--from', 'dev', `3000${denom}`, '--to', recipient);
  assert.ok(w2.sequence > 0, JSON.stringify(w2));
  const seqs = [w2.sequence - 1, w2.sequence];
  const e2 = escrow();
  assert.equal(e2.l1 - e0.l1, 1_005_000n, 'nothing left the escrow yet');
  assert.equal(e2.l2 - e0.l2, 1_005_000n - 403_000n - 0n, 'withdrawals burned on the L2');

  // Claiming before the finalization period is refused, and nothing moves.
  const proofs = [];
  for (const s of seqs) {
    proofs.push(await until(`proof of withdrawal ${s}`, 90, () => {
      try { return bridgeJson('proof', String(s)); } catch { return null; }
    }));
  }
  assert.deepEqual(proofs.map((p) => [p.to, p.amount.amount]), [[recipient, '400000'], [recipient, '3000']]);
  assert.throws(() => bridgeJson('claim', '--from', 'dev', String(seqs[0])), /finaliz/);
  assert.equal(await l1Balance(recipient, denom), 0n);

  cli(['localnet', 'time', 'advance', '1h1m', '--home', home]);
  for (const s of seqs) {
    await until(`claim of ${s}`, 30, () => {
      try { bridgeJson('claim', '--from', 'dev', String(s)); return true; } catch (e) {
        if (/already finalized/.test(String(e.stderr))) throw e;
        return false;
      }
    });
  }
  assert.equal(await l1Balance(recipient, denom), 403_000n, 'both withdrawals reached the L1');
  const e3 = escrow();
  assert.equal(e3.l1 - e0.l1, 1_005_000n - 403_000n, 'escrow paid out exactly the claims');
  assert.equal(e3.l1 - e0.l1, e3.l2 - e0.l2, 'L1 escrow = L2 supply again');

  // Replay of a finalized withdrawal.
  assert.throws(() => bridgeJson('claim', '--from', 'dev', String(seqs[0])), /already finalized/);
  assert.equal(await l1Balance(recipient, denom), 403_000n);
});
