//! `evm-load`: signed EVM transfers from many fresh senders through a running node's
//! Ethereum JSON-RPC, measuring accepted and included tx/s, inclusion latency and rejections
//! (see [`minitia_evm_node::load`]).
//!
//! Against a dev node:
//! `minitia-evm init-dev --home H --block-time 500ms --fund 0xADDR=AMOUNT`,
//! `minitia-evm start --home H`, then `evm-load --rpc http://127.0.0.1:8545 --key HEX`
//! (add `--erc20` for token transfers).

use std::time::Duration;

use clap::Parser;
use minitia_evm_node::load::{run, LoadConfig, TxType};
use minitia_vm_evm::wallet::Wallet;

#[derive(Parser)]
#[command(
    name = "evm-load",
    about = "Load an EVM minitia's JSON-RPC with signed transfers and measure inclusion"
)]
struct Cli {
    /// Ethereum JSON-RPC URL (HTTP).
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    rpc: String,
    /// Hex secp256k1 private key of a funded account that pays the senders.
    #[arg(long, env = "EVM_LOAD_KEY")]
    key: String,
    /// Fresh senders.
    #[arg(long, default_value_t = 400)]
    senders: usize,
    /// Transfers per sender.
    #[arg(long, default_value_t = 100)]
    txs_per_sender: usize,
    /// Calls per JSON-RPC batch (1 sends single requests).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Parallel HTTP requests.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Offered load in tx/s (0 = as fast as the node answers).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Bound on the whole run in seconds, funding included.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Seed of the senders' keys.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Tx type: legacy (EIP-155) or eip1559.
    #[arg(long, default_value = "legacy")]
    tx_type: TxType,
    /// ERC-20 `transfer` calls on a token deployed by --key, instead of value transfers.
    #[arg(long)]
    erc20: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let secret: [u8; 32] = hex::decode(cli.key.trim_start_matches("0x"))
        .map_err(|e| format!("--key: {e}"))?
        .try_into()
        .map_err(|_| "--key: expected 32 bytes of hex")?;
    let funder = Wallet::from_bytes(secret).ok_or("--key: not a valid secp256k1 secret key")?;
    let cfg = LoadConfig {
        rpc: cli.rpc,
        funder,
        senders: cli.senders,
        txs_per_sender: cli.txs_per_sender,
        batch: cli.batch,
        concurrency: cli.concurrency,
        rate: cli.rate,
        timeout: Duration::from_secs(cli.timeout),
        seed: cli.seed,
        tx_type: cli.tx_type,
        erc20: cli.erc20,
    };
    let rt = tokio::runtime::Runtime::new()?;
    let report = rt.block_on(run(&cfg))?;
    print!("{report}");
    if report.timed_out {
        return Err("the deadline came before every accepted transfer was included".into());
    }
    Ok(())
}
