//! `minitia-evm`: runs an EVM minitia node (CometBFT RPC + Ethereum JSON-RPC) from a home
//! directory, or writes a dev home.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, Subcommand};
use minitia_evm_node::node::{init_dev_home, run_node, DevAccount, DEFAULT_JSON_RPC};
use minitia_template::config::{parse_block_time, NodeConfig};

#[derive(Parser)]
#[command(name = "minitia-evm", about = "Run an EVM minitia node")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the node of a home directory.
    Start {
        /// Home directory (genesis.json, minitia.toml, keys/).
        #[arg(long)]
        home: PathBuf,
        /// Ethereum JSON-RPC listen address (HTTP and websocket).
        #[arg(long = "json-rpc.listen", env = "MINITIA_JSON_RPC_LISTEN", default_value = DEFAULT_JSON_RPC)]
        json_rpc: SocketAddr,
        /// CometBFT RPC listen address (overrides minitia.toml).
        #[arg(long = "rpc.listen", env = "MINITIA_RPC_LISTEN")]
        rpc: Option<SocketAddr>,
    },
    /// Writes a dev home with funded 0x accounts.
    InitDev {
        /// Home directory to create.
        #[arg(long)]
        home: PathBuf,
        /// Chain id.
        #[arg(long, default_value = "minitia-evm-1")]
        chain_id: String,
        /// Native (fee) denom.
        #[arg(long, default_value = "umin")]
        denom: String,
        /// Minimum gas price (= EVM base fee), per gas in base units.
        #[arg(long, default_value = "0")]
        min_gas_price: String,
        /// Block time (e.g. 200ms).
        #[arg(long, default_value = "200ms", value_parser = parse_block_time)]
        block_time: Duration,
        /// Funded account as `0xADDRESS=AMOUNT`; repeatable.
        #[arg(long = "fund")]
        fund: Vec<String>,
    },
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
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
    match cli.cmd {
        Cmd::InitDev {
            home,
            chain_id,
            denom,
            min_gas_price,
            block_time,
            fund,
        } => {
            let accounts = fund
                .iter()
                .map(|f| {
                    let (a, n) = f
                        .split_once('=')
                        .ok_or_else(|| format!("--fund {f:?}: expected 0xADDRESS=AMOUNT"))?;
                    let amount = n
                        .parse::<u128>()
                        .map_err(|e| format!("--fund {f:?}: {e}"))?;
                    Ok(DevAccount {
                        address: a.to_string(),
                        amount,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            init_dev_home(
                &home,
                &chain_id,
                &denom,
                &min_gas_price,
                block_time,
                &accounts,
            )?;
            println!("wrote {}", home.display());
            Ok(())
        }
        Cmd::Start {
            home,
            json_rpc,
            rpc,
        } => {
            let mut config = NodeConfig::load(&home)?;
            if let Some(r) = rpc {
                config.rpc.listen = r;
            }
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async { run_node(&home, &config, json_rpc, shutdown_signal()).await })?;
            Ok(())
        }
    }
}
