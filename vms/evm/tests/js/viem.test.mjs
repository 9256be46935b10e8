// The full flow with viem, unmodified: deploy an ERC-20 compiled from Solidity, transfer,
// read balances, fetch Transfer logs with eth_getLogs and a websocket subscription, see a
// revert reason, wait for receipts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPublicClient, createWalletClient, http, webSocket, defineChain, parseAbiItem,
  ContractFunctionRevertedError, BaseError, parseEther,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { compile } from './contracts.mjs';
import { startNode, KEYS, ADDRS, FUNDS, BASE_FEE, rpc } from './node.mjs';

let node, chain, pub, wallet, wsPub, token, events;
const { Token, Events } = compile();
const alice = privateKeyToAccount(KEYS[0]);
const bob = ADDRS[1];

before(async () => {
  node = await startNode();
  const id = Number((await rpc(node.url, 'eth_chainId')).result);
  chain = defineChain({
    id, name: 'minitia', nativeCurrency: { name: 'MIN', symbol: 'MIN', decimals: 18 },
    rpcUrls: { default: { http: [node.url], webSocket: [node.wsUrl] } },
  });
  pub = createPublicClient({ chain, transport: http(node.url), pollingInterval: 100 });
  wsPub = createPublicClient({ chain, transport: webSocket(node.wsUrl) });
  wallet = createWalletClient({ chain, transport: http(node.url), account: alice });
});

after(async () => {
  await wsPub?.transport?.getRpcClient?.().then((c) => c.close()).catch(() => {});
  await node?.stop();
});

test('chain basics', async () => {
  assert.equal(await pub.getChainId(), chain.id);
  assert.ok((await pub.getBlockNumber()) >= 0n);
  assert.equal(await pub.getBalance({ address: alice.address }), FUNDS);
  assert.equal(await pub.getGasPrice(), BASE_FEE);
  const block = await pub.getBlock();
  assert.equal(block.baseFeePerGas, BASE_FEE);
  const fees = await pub.estimateFeesPerGas();
  assert.ok(fees.maxFeePerGas >= BASE_FEE);
});

test('native transfer moves funds and bumps the nonce', async () => {
  const before = await pub.getBalance({ address: bob });
  const hash = await wallet.sendTransaction({ to: bob, value: parseEther('1') });
  const r = await pub.waitForTransactionReceipt({ hash });
  assert.equal(r.status, 'success');
  assert.equal(r.gasUsed, 21000n);
  assert.equal(await pub.getBalance({ address: bob }), before + parseEther('1'));
  assert.equal(await pub.getTransactionCount({ address: alice.address }), 1);
  const tx = await pub.getTransaction({ hash });
  assert.equal(tx.from.toLowerCase(), alice.address.toLowerCase());
  assert.equal(tx.blockNumber, r.blockNumber);
  const block = await pub.getBlock({ blockNumber: r.blockNumber, includeTransactions: true });
  assert.ok(block.transactions.some((t) => t.hash === hash));
});

test('deploy ERC-20, transfer, logs via getLogs and subscription', async () => {
  const deployHash = await wallet.deployContract({ abi: Token.abi, bytecode: Token.bytecode, args: [1_000_000n] });
  const dr = await pub.waitForTransactionReceipt({ hash: deployHash });
  assert.equal(dr.status, 'success');
  token = dr.contractAddress;
  assert.ok(token);
  assert.ok((await pub.getCode({ address: token })).length > 2);
  assert.equal(await pub.readContract({ address: token, abi: Token.abi, functionName: 'balanceOf', args: [alice.address] }), 1_000_000n);
  assert.equal(await pub.readContract({ address: token, abi: Token.abi, functionName: 'symbol' }), 'TST');

  const seen = [];
  const unwatch = wsPub.watchContractEvent({
    address: token, abi: Token.abi, eventName: 'Transfer', onLogs: (logs) => seen.push(...logs),
  });
  await new Promise((r) => setTimeout(r, 300));

  const { request } = await pub.simulateContract({ account: alice, address: token, abi: Token.abi, functionName: 'transfer', args: [bob, 250n] });
  const hash = await wallet.writeContract(request);
  const r = await pub.waitForTransactionReceipt({ hash });
  assert.equal(r.status, 'success');
  assert.equal(r.logs.length, 1);
  assert.equal(await pub.readContract({ address: token, abi: Token.abi, functionName: 'balanceOf', args: [bob] }), 250n);

  const logs = await pub.getLogs({
    address: token,
    event: parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)'),
    args: { to: bob },
    fromBlock: 0n,
  });
  assert.equal(logs.length, 1);
  assert.equal(logs[0].args.value, 250n);
  assert.equal(logs[0].transactionHash, hash);

  const deadline = Date.now() + 10_000;
  while (!seen.some((l) => l.transactionHash === hash) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  unwatch();
  const l = seen.find((x) => x.transactionHash === hash);
  assert.ok(l, 'subscription delivered the Transfer log');
  assert.equal(l.args.to.toLowerCase(), bob.toLowerCase());
  assert.equal(l.args.value, 250n);

  const receipts = await pub.request({ method: 'eth_getBlockReceipts', params: [`0x${r.blockNumber.toString(16)}`] });
  assert.ok(receipts.some((x) => x.transactionHash === hash));
});

test('newHeads subscription delivers blocks', async () => {
  const heads = [];
  const unwatch = wsPub.watchBlocks({ onBlock: (b) => heads.push(b) });
  await wallet.sendTransaction({ to: bob, value: 1n });
  const deadline = Date.now() + 10_000;
  while (heads.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  unwatch();
  assert.ok(heads.length > 0);
  assert.ok(heads[0].hash && heads[0].number > 0n);
});

test('revert reasons reach the client', async () => {
  const hash = await wallet.deployContract({ abi: Events.abi, bytecode: Events.bytecode });
  events = (await pub.waitForTransactionReceipt({ hash })).contractAddress;
  assert.equal(await pub.readContract({ address: events, abi: Events.abi, functionName: 'check', args: [11n] }), 22n);
  await assert.rejects(
    pub.readContract({ address: events, abi: Events.abi, functionName: 'check', args: [1n] }),
    (e) => {
      const r = e instanceof BaseError && e.walk((x) => x instanceof ContractFunctionRevertedError);
      assert.ok(r, `not a revert: ${e}`);
      assert.equal(r.reason, 'x too small');
      return true;
    },
  );
  await assert.rejects(
    pub.estimateContractGas({ account: alice, address: events, abi: Events.abi, functionName: 'boom' }),
    (e) => /always reverts/.test(String(e)),
  );
  // Mined anyway (explicit gas): status reverted, fee charged, state untouched.
  const before = await pub.readContract({ address: events, abi: Events.abi, functionName: 'count' });
  const h2 = await wallet.writeContract({ address: events, abi: Events.abi, functionName: 'boom', gas: 100_000n });
  const r2 = await pub.waitForTransactionReceipt({ hash: h2 });
  assert.equal(r2.status, 'reverted');
  assert.ok(r2.gasUsed > 21000n);
  assert.equal(await pub.readContract({ address: events, abi: Events.abi, functionName: 'count' }), before);
  const trace = await pub.request({ method: 'debug_traceTransaction', params: [h2, { tracer: 'callTracer' }] });
  assert.equal(trace.type, 'CALL');
  assert.equal(trace.to.toLowerCase(), events.toLowerCase());
  assert.equal(trace.error, 'execution reverted');
  assert.equal(trace.revertReason, 'always reverts');
  assert.equal(BigInt(trace.gasUsed), r2.gasUsed);

  const h3 = await wallet.writeContract({ address: events, abi: Events.abi, functionName: 'ping', args: ['hello'] });
  const r3 = await pub.waitForTransactionReceipt({ hash: h3 });
  assert.equal(r3.status, 'success');
  const pings = await pub.getContractEvents({ address: events, abi: Events.abi, eventName: 'Ping', fromBlock: r3.blockNumber, toBlock: r3.blockNumber });
  assert.equal(pings.length, 1);
  assert.equal(pings[0].args.note, 'hello');
});

test('filters, batch requests, proofs and standard errors', async () => {
  const id = await pub.request({ method: 'eth_newBlockFilter' });
  await wallet.sendTransaction({ to: bob, value: 2n });
  await new Promise((r) => setTimeout(r, 600));
  const changes = await pub.request({ method: 'eth_getFilterChanges', params: [id] });
  assert.ok(changes.length > 0);
  assert.equal(await pub.request({ method: 'eth_uninstallFilter', params: [id] }), true);

  const batch = await fetch(node.url, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'net_version', params: [] },
      { jsonrpc: '2.0', id: 3, method: 'no_such_method', params: [] },
    ]),
  }).then((r) => r.json());
  assert.equal(batch.length, 3);
  assert.equal(Number(batch[0].result), chain.id);
  assert.equal(batch[1].result, String(chain.id));
  assert.equal(batch[2].error.code, -32601);

  const parse = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' }).then((r) => r.json());
  assert.equal(parse.error.code, -32700);

  const proof = await pub.request({ method: 'eth_getProof', params: [token, ['0x3'], 'latest'] });
  assert.equal(proof.accountProof.length, 3);
  assert.equal(BigInt(proof.balance), 0n);
  assert.equal(proof.storageProof.length, 1);
  assert.equal(BigInt(proof.storageProof[0].value), 1_000_000n);
  const block = await pub.getBlock();
  assert.equal(proof.storageHash, block.stateRoot);
  assert.equal(await pub.request({ method: 'web3_clientVersion' }).then((v) => v.startsWith('minitia-evm/')), true);
});
