// Bad input through eth_sendRawTransaction: each case gets the error string Ethereum clients
// expect, and changes no state (balance and nonce of the sender stay as they were).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, http, defineChain, keccak256, serializeTransaction, parseSignature } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { startNode, KEYS, ADDRS, BASE_FEE, rpc } from './node.mjs';

let node, pub, chainId;
const alice = privateKeyToAccount(KEYS[2]);
const bob = ADDRS[1];

before(async () => {
  node = await startNode();
  chainId = Number((await rpc(node.url, 'eth_chainId')).result);
  const chain = defineChain({ id: chainId, name: 'm', nativeCurrency: { name: 'M', symbol: 'M', decimals: 18 }, rpcUrls: { default: { http: [node.url] } } });
  pub = createPublicClient({ chain, transport: http(node.url), pollingInterval: 100 });
  // One mined tx so that nonce 0 is used.
  const raw = await sign(alice, { nonce: 0 });
  const hash = await send(raw).then((r) => r.result);
  assert.ok(hash, 'first tx accepted');
  await pub.waitForTransactionReceipt({ hash });
});

after(async () => { await node?.stop(); });

function sign(account, over = {}) {
  return account.signTransaction({
    type: 'eip1559', chainId, nonce: 1, to: bob, value: 1n, gas: 21000n,
    maxFeePerGas: 2n * BASE_FEE, maxPriorityFeePerGas: 0n, ...over,
  });
}

const send = (raw) => rpc(node.url, 'eth_sendRawTransaction', [raw]);

async function snapshot(addr) {
  return {
    balance: await pub.getBalance({ address: addr }),
    nonce: await pub.getTransactionCount({ address: addr }),
  };
}

async function expectRejected(raw, pattern, who = alice.address) {
  const before = await snapshot(who);
  const r = await send(raw);
  assert.ok(r.error, `expected an error, got ${JSON.stringify(r)}`);
  assert.equal(r.error.code, -32000);
  assert.match(r.error.message, pattern);
  await new Promise((res) => setTimeout(res, 500)); // a block or two
  assert.deepEqual(await snapshot(who), before);
  if (raw.startsWith('0x') && raw.length > 2) {
    const receipt = await rpc(node.url, 'eth_getTransactionReceipt', [keccak256(raw)]);
    assert.equal(receipt.result, null);
  }
  return r.error;
}

test('wrong chain id', async () => {
  await expectRejected(await sign(alice, { chainId: chainId + 1 }), /invalid chain id/);
});

test('nonce too low', async () => {
  await expectRejected(await sign(alice, { nonce: 0, value: 5n }), /nonce too low/);
});

test('underpriced', async () => {
  await expectRejected(await sign(alice, { maxFeePerGas: BASE_FEE - 1n }), /max fee per gas less than block base fee/);
});

test('insufficient funds', async () => {
  const poor = privateKeyToAccount(generatePrivateKey());
  await expectRejected(await sign(poor, { nonce: 0 }), /insufficient funds for gas \* price \+ value/, poor.address);
});

test('gas limit above the block gas limit', async () => {
  await expectRejected(await sign(alice, { gas: 30_000_001n }), /exceeds block gas limit/);
});

test('intrinsic gas too low', async () => {
  await expectRejected(await sign(alice, { gas: 20_000n }), /intrinsic gas too low/);
});

test('malformed RLP', async () => {
  await expectRejected('0xc0ffee', /rlp/);
  await expectRejected('0x02f8', /rlp/);
});

test('oversized tx', async () => {
  const data = '0x' + '11'.repeat(200_000);
  await expectRejected(await sign(alice, { data, gas: 29_000_000n }), /oversized data/);
});

test('invalid signature', async () => {
  const raw = await sign(alice);
  // Re-serialize the same tx with s above secp256k1n/2 (malleable, rejected by EIP-2).
  const { transactionRequest } = { transactionRequest: { type: 'eip1559', chainId, nonce: 1, to: bob, value: 1n, gas: 21000n, maxFeePerGas: 2n * BASE_FEE, maxPriorityFeePerGas: 0n } };
  const sig = parseSignature(await alice.sign({ hash: keccak256(serializeTransaction(transactionRequest)) }));
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const highS = `0x${(n - BigInt(sig.s)).toString(16).padStart(64, '0')}`;
  const bad = serializeTransaction(transactionRequest, { r: sig.r, s: highS, yParity: sig.yParity === 0 ? 1 : 0 });
  await expectRejected(bad, /invalid transaction v, r, s values|invalid sender/);
  const zero = serializeTransaction(transactionRequest, { r: '0x0', s: sig.s, yParity: sig.yParity });
  await expectRejected(zero, /invalid transaction v, r, s values|invalid sender/);
  assert.ok(raw);
});

test('a valid tx after all that is accepted and mined', async () => {
  const hash = (await send(await sign(alice, { nonce: 1 }))).result;
  assert.ok(hash);
  const r = await pub.waitForTransactionReceipt({ hash });
  assert.equal(r.status, 'success');
  assert.equal(await pub.getTransactionCount({ address: alice.address }), 2);
});
