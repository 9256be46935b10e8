// The same flow with ethers v6, unmodified.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { JsonRpcProvider, WebSocketProvider, Wallet, ContractFactory, Contract, parseEther } from 'ethers';
import { compile } from './contracts.mjs';
import { startNode, KEYS, ADDRS, FUNDS } from './node.mjs';

let node, provider, ws, signer;
const { Token, Events } = compile();
const bob = ADDRS[1];

before(async () => {
  node = await startNode();
  // Blocks come every 200 ms: turn off ethers' 250 ms response cache so nonces are fresh.
  provider = new JsonRpcProvider(node.url, undefined, { pollingInterval: 100, cacheTimeout: -1 });
  provider.pollingInterval = 100;
  ws = new WebSocketProvider(node.wsUrl);
  signer = new Wallet(KEYS[0], provider);
});

after(async () => {
  await ws?.destroy();
  provider?.destroy();
  await node?.stop();
});

test('network and balances', async () => {
  const net = await provider.getNetwork();
  assert.ok(net.chainId > 0n);
  assert.equal(await provider.getBalance(signer.address), FUNDS);
  const fee = await provider.getFeeData();
  assert.ok(fee.maxFeePerGas > 0n);
});

test('native transfer', async () => {
  const tx = await signer.sendTransaction({ to: bob, value: parseEther('2') });
  const r = await tx.wait();
  assert.equal(r.status, 1);
  assert.equal(await provider.getBalance(bob), FUNDS + parseEther('2'));
  const got = await provider.getTransaction(tx.hash);
  assert.equal(got.hash, tx.hash);
});

test('ERC-20: deploy, transfer, queryFilter and subscription', async () => {
  const factory = new ContractFactory(Token.abi, Token.bytecode, signer);
  const token = await factory.deploy(5_000n);
  await token.waitForDeployment();
  const addr = await token.getAddress();
  assert.equal(await token.balanceOf(signer.address), 5_000n);

  const wsToken = new Contract(addr, Token.abi, ws);
  const got = new Promise((resolve) => {
    wsToken.on('Transfer', (from, to, value, ev) => {
      if (to.toLowerCase() === bob.toLowerCase()) resolve({ from, to, value, hash: ev.log.transactionHash });
    });
  });
  await new Promise((r) => setTimeout(r, 300));

  const tx = await token.transfer(bob, 1234n);
  const r = await tx.wait();
  assert.equal(r.status, 1);
  assert.equal(await token.balanceOf(bob), 1234n);
  const logs = await token.queryFilter(token.filters.Transfer(null, bob), 0, 'latest');
  assert.equal(logs.length, 1);
  assert.equal(logs[0].args.value, 1234n);

  const ev = await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error('no event')), 10_000))]);
  assert.equal(ev.value, 1234n);
  assert.equal(ev.hash, tx.hash);
  await wsToken.removeAllListeners();
});

test('revert reason', async () => {
  const factory = new ContractFactory(Events.abi, Events.bytecode, signer);
  const c = await factory.deploy();
  await c.waitForDeployment();
  assert.equal(await c.check(20n), 40n);
  await assert.rejects(c.check(1n), (e) => {
    assert.equal(e.code, 'CALL_EXCEPTION');
    assert.equal(e.reason, 'x too small');
    return true;
  });
  await assert.rejects(c.boom(), (e) => e.reason === 'always reverts');
  const tx = await c.ping('hi');
  const r = await tx.wait();
  assert.equal(r.logs.length, 1);
  const parsed = c.interface.parseLog(r.logs[0]);
  assert.equal(parsed.args.note, 'hi');
});

test('nonce too low is reported', async () => {
  const nonce = await provider.getTransactionCount(signer.address);
  await assert.rejects(
    signer.sendTransaction({ to: bob, value: 1n, nonce: nonce - 1 }),
    (e) => /nonce/i.test(e.code + ' ' + e.message),
  );
});
