//! `minitia-l1`: creates and runs a settlement L1 (bank, bonds, OPinit ophost), judging
//! fraud proofs of every minitia kind (`minitia_engines::registry`).

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use std::sync::Arc;

use l1_orchestrator::{init_home, start_with_engines, GenesisSpec, L1Options};

#[derive(Debug, Parser)]
#[command(
    name = "minitia-l1",
    about = "Settlement L1 with the OPinit bridge (ophost) and bonds"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Writes genesis.json and a validator key into a new home.
    Init {
        /// Home directory.
        #[arg(long)]
        home: PathBuf,
        /// Chain id.
        #[arg(long, default_value = "initiation-dev-1")]
        chain_id: String,
        /// Funded account, `init1...=AMOUNT` (uinit); repeatable.
        #[arg(long = "fund")]
        fund: Vec<String>,
        /// Address acting as OPinit's gov authority.
        #[arg(long)]
        authority: Option<String>,
        /// Least proposer bond (uinit).
        #[arg(long, default_value_t = 1_000_000)]
        min_proposer_bond: u128,
        /// Least challenger bond (uinit).
        #[arg(long, default_value_t = 1_000_000)]
        min_challenger_bond: u128,
        /// Unbonding period in seconds.
        #[arg(long, default_value_t = 14 * 24 * 3600)]
        unbonding_period_secs: i64,
    },
    /// Runs the node of a home.
    Start {
        /// Home directory.
        #[arg(long)]
        home: PathBuf,
        /// RPC listen address.
        #[arg(long = "rpc.listen", default_value = "127.0.0.1:26657")]
        rpc_listen: SocketAddr,
        /// Block time in milliseconds.
        #[arg(long = "block-time-ms", default_value_t = 1000)]
        block_time_ms: u64,
        /// Dev chain: enables POST /dev/advance_time.
        #[arg(long)]
        dev: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.cmd {
        Cmd::Init {
            home,
            chain_id,
            fund,
            authority,
            min_proposer_bond,
            min_challenger_bond,
            unbonding_period_secs,
        } => {
            let balances = fund
                .iter()
                .map(|f| {
                    let (a, n) = f
                        .split_once('=')
                        .ok_or_else(|| format!("--fund {f:?}: expected ADDRESS=AMOUNT"))?;
                    let n = n
                        .parse::<u128>()
                        .map_err(|e| format!("--fund {f:?}: amount: {e}"))?;
                    Ok((a.to_string(), n))
                })
                .collect::<Result<Vec<_>, String>>()?;
            let spec = GenesisSpec {
                chain_id,
                balances,
                authority,
                min_proposer_bond,
                min_challenger_bond,
                unbonding_period_secs,
                ..GenesisSpec::default()
            };
            init_home(&home, &spec).map_err(|e| e.to_string())?;
            println!("{}", home.display());
            Ok(())
        }
        Cmd::Start {
            home,
            rpc_listen,
            block_time_ms,
            dev,
        } => {
            let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let mut h = start_with_engines(
                    L1Options {
                        home,
                        rpc_listen,
                        block_time: Duration::from_millis(block_time_ms),
                        dev,
                    },
                    Arc::new(minitia_engines::registry()),
                )
                .await
                .map_err(|e| e.to_string())?;
                println!("{}", h.url);
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = h.wait() => {}
                }
                h.shutdown().await;
                Ok(())
            })
        }
    }
}
