"""web3.py smoke test against a running minitia-evm node (started by run.sh)."""

import os
import subprocess
import tempfile
import time
import socket
import unittest

from eth_account import Account
from web3 import Web3

BIN = os.environ.get("MINITIA_EVM_BIN", "")
KEY = "0x" + "42" * 32
BASE_FEE = 1_000_000_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Web3Smoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN:
            raise RuntimeError("MINITIA_EVM_BIN is not set; run through run.sh")
        cls.home = tempfile.mkdtemp(prefix="minitia-evm-py-")
        cls.acct = Account.from_key(KEY)
        subprocess.run(
            [BIN, "init-dev", "--home", cls.home, "--chain-id", "minitia-evm-py-1",
             "--min-gas-price", str(BASE_FEE), "--fund", f"{cls.acct.address}={10**24}"],
            check=True, capture_output=True,
        )
        port, comet = free_port(), free_port()
        cls.proc = subprocess.Popen(
            [BIN, "start", "--home", cls.home, "--json-rpc.listen", f"127.0.0.1:{port}",
             "--rpc.listen", f"127.0.0.1:{comet}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        cls.w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        deadline = time.time() + 30
        while True:
            try:
                cls.w3.eth.block_number
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)

    def test_transfer(self):
        w3, acct = self.w3, self.acct
        self.assertEqual(w3.eth.get_balance(acct.address), 10**24)
        to = "0x000000000000000000000000000000000000bEEF"
        tx = {
            "to": to, "value": 12345, "gas": 21000, "nonce": w3.eth.get_transaction_count(acct.address),
            "maxFeePerGas": 2 * BASE_FEE, "maxPriorityFeePerGas": 0, "chainId": w3.eth.chain_id, "type": 2,
        }
        signed = acct.sign_transaction(tx)
        h = w3.eth.send_raw_transaction(signed.raw_transaction)
        r = w3.eth.wait_for_transaction_receipt(h, timeout=30, poll_latency=0.1)
        self.assertEqual(r["status"], 1)
        self.assertEqual(w3.eth.get_balance(to), 12345)
        self.assertEqual(w3.eth.get_transaction(h)["from"], acct.address)
        self.assertEqual(w3.eth.get_block(r["blockNumber"])["transactions"][0], h)


if __name__ == "__main__":
    unittest.main()
