// The withdrawal precompile seen from viem: its ABI, revert reasons on bad input, and that a
// reverted withdrawal moves nothing but gas. (The full deposit → withdraw → claim round trip
// with an L1 and the executor is vms/evm/tests/bridge_evm.rs; this chain has no bridge, so
// the native token was never deposited and every withdrawal must revert.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPublicClient, createWalletClient, http, defineChain, parseAbi,
  ContractFunctionRevertedError, BaseError,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startNode, KEYS, FUNDS, rpc } from './node.mjs';

const BRIDGE = '0x0000000000000000000000000000000000000f10';
const abi = parseAbi([
  'function initiateTokenWithdrawal(string to) payable',
  'event InitiateTokenWithdrawal(address indexed from, string to, uint256 amount)',
]);
const L1_ADDR = 'init1qqqsyqcyq5rqwzqfpg9scrgwpugpzysndq3f6m';

let node, pub, wallet;
const alice = privateKeyToAccount(KEYS[0]);

before(async () => {
  node = await startNode();
  const id = Number((await rpc(node.url, 'eth_chainId')).result);
  const chain = defineChain({
    id, name: 'minitia', nativeCurrency: { name: 'MIN', symbol: 'MIN', decimals: 18 },
    rpcUrls: { default: { http: [node.url] } },
  });
  pub = createPublicClient({ chain, transport: http(node.url), pollingInterval: 100 });
  wallet = createWalletClient({ chain, transport: http(node.url), account: alice });
});

after(async () => { await node?.stop(); });

async function revertReason(args, value) {
  try {
    await pub.simulateContract({ address: BRIDGE, abi, functionName: 'initiateTokenWithdrawal', args, value, account: alice });
  } catch (e) {
    assert.ok(e instanceof BaseError, String(e));
    const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
    assert.ok(r, `not a revert: ${e.shortMessage}`);
    return r.reason;
  }
  assert.fail('the call did not revert');
}

test('bad input reverts with a reason', async () => {
  assert.match(await revertReason(['not-an-address'], 1000n), /invalid L1 recipient/);
  assert.match(await revertReason([L1_ADDR], 0n), /msg\.value/);
  assert.match(await revertReason([L1_ADDR], 1000n), /never deposited from the L1/);
});

test('a reverted withdrawal moves nothing but gas', async () => {
  const before = await pub.getBalance({ address: alice.address });
  assert.equal(before, FUNDS);
  const hash = await wallet.writeContract({
    address: BRIDGE, abi, functionName: 'initiateTokenWithdrawal', args: [L1_ADDR], value: 1000n, gas: 100_000n,
  });
  const r = await pub.waitForTransactionReceipt({ hash });
  assert.equal(r.status, 'reverted');
  assert.equal(r.logs.length, 0);
  const after = await pub.getBalance({ address: alice.address });
  assert.equal(before - after, r.gasUsed * r.effectiveGasPrice);
  assert.equal(await pub.getBalance({ address: BRIDGE }), 0n);
});
