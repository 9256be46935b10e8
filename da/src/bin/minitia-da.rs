//! `minitia-da`: a local Celestia-compatible DA node (celestia-node JSON-RPC subset).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use minitia_da::{LocalDaConfig, LocalDaServer, DEFAULT_PORT, MAX_BLOB_SIZE};

/// A local DA node that speaks the celestia-node JSON-RPC API a rollup uses.
#[derive(Debug, Parser)]
#[command(name = "minitia-da", version)]
struct Args {
    /// Directory for the block store.
    #[arg(long = "da.home", env = "MINITIA_DA_HOME", default_value = "./da-data")]
    home: PathBuf,
    /// Address to serve JSON-RPC on.
    #[arg(long = "da.listen", env = "MINITIA_DA_LISTEN", default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
    listen: SocketAddr,
    /// Milliseconds between DA blocks.
    #[arg(
        long = "da.block-time-ms",
        env = "MINITIA_DA_BLOCK_TIME_MS",
        default_value_t = 6000
    )]
    block_time_ms: u64,
    /// Largest accepted blob in bytes.
    #[arg(long = "da.max-blob-size", env = "MINITIA_DA_MAX_BLOB_SIZE", default_value_t = MAX_BLOB_SIZE)]
    max_blob_size: usize,
    /// Chain id reported in headers.
    #[arg(
        long = "da.chain-id",
        env = "MINITIA_DA_CHAIN_ID",
        default_value = "minitia-da-local"
    )]
    chain_id: String,
    /// Bearer token clients must send; unset disables auth.
    #[arg(long = "da.auth-token", env = "MINITIA_DA_AUTH_TOKEN")]
    auth_token: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let mut cfg = LocalDaConfig::new(args.home);
    cfg.block_time = Duration::from_millis(args.block_time_ms.max(1));
    cfg.max_blob_size = args.max_blob_size;
    cfg.chain_id = args.chain_id;
    cfg.auth_token = args.auth_token;
    let server = match LocalDaServer::start(cfg, args.listen).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("minitia-da: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("minitia-da listening on {}", server.url());
    server.run_until(shutdown_signal()).await;
    std::process::ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM.
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
