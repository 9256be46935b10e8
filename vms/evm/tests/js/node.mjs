// Starts a real minitia-evm node (the binary built by run.sh) in a temp home.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { privateKeyToAccount } from 'viem/accounts';

export const BIN = process.env.MINITIA_EVM_BIN;
export const BASE_FEE = 1_000_000_000n;
export const CHAIN_ID_STR = 'minitia-evm-js-1';

// Fixed test keys; never used for anything real.
export const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cb8a365a',
];
export const ADDRS = KEYS.map((k) => privateKeyToAccount(k).address);
export const FUNDS = 10n ** 24n;

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function rpc(url, method, params = []) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return r.json();
}

/** Starts a node; returns { url, wsUrl, stop }. */
export async function startNode() {
  if (!BIN) throw new Error('MINITIA_EVM_BIN is not set; run tests through run.sh');
  const home = mkdtempSync(join(tmpdir(), 'minitia-evm-js-'));
  execFileSync(BIN, [
    'init-dev', '--home', home, '--chain-id', CHAIN_ID_STR, '--min-gas-price', BASE_FEE.toString(),
    '--block-time', '200ms', ...ADDRS.flatMap((a) => ['--fund', `${a}=${FUNDS}`]),
  ]);
  const [ethPort, cometPort] = [await freePort(), await freePort()];
  const child = spawn(BIN, [
    'start', '--home', home, '--json-rpc.listen', `127.0.0.1:${ethPort}`, '--rpc.listen', `127.0.0.1:${cometPort}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = `http://127.0.0.1:${ethPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node exited: ${stderr}`);
    try {
      const r = await rpc(url, 'eth_blockNumber');
      if (r.result) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`node did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    wsUrl: `ws://127.0.0.1:${ethPort}`,
    cometUrl: `http://127.0.0.1:${cometPort}`,
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((r) => { if (child.exitCode !== null) r(); else child.on('exit', r); setTimeout(r, 5000); });
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    },
  };
}
