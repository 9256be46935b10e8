//! `minitia challenger`: runs the challenger of a home (logic in
//! `minitia_template::challenger`, proofs in `minitia-fraud-proofs`).

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;
use eyre::{eyre, WrapErr};
use minitia_template::{
    challenger::ChallengerOptions,
    config::{self, NodeConfig},
    home::AccountKey,
};

/// Flags override `MINITIA_*` environment variables, which override `minitia.toml`.
#[derive(Args)]
pub struct ChallengerArgs {
    /// Home directory of the challenger: the chain's genesis, `[l1]` and `[da]`, its own
    /// data dir, and `keys/challenger.json` (a bonded L1 account).
    #[arg(long, env = "MINITIA_HOME")]
    home: PathBuf,
    /// CometBFT RPC of the L1, e.g. http://127.0.0.1:26657.
    #[arg(long = "l1.rpc", value_name = "URL", env = "MINITIA_L1_RPC")]
    l1_rpc: Option<String>,
    /// The minitia's bridge id on the L1.
    #[arg(long = "l1.bridge-id", value_name = "ID", env = "MINITIA_L1_BRIDGE_ID")]
    bridge_id: Option<u64>,
    /// celestia-node JSON-RPC URL (empty: batches are read from the L1 records only).
    #[arg(long = "da.rpc", value_name = "URL", env = "MINITIA_DA_RPC")]
    da_rpc: Option<String>,
    /// Where `GET /status` is served.
    #[arg(
        long = "challenger.listen",
        value_name = "ADDR",
        env = "MINITIA_CHALLENGER_LISTEN",
        default_value = "127.0.0.1:26690"
    )]
    listen: SocketAddr,
    /// Only watch and report; never submit proofs (no key needed).
    #[arg(long = "challenger.watch-only", env = "MINITIA_CHALLENGER_WATCH_ONLY")]
    watch_only: bool,
    /// Log filter, e.g. info (RUST_LOG wins).
    #[arg(long = "log.level", value_name = "FILTER")]
    log_level: Option<String>,
}

/// Runs the challenger until Ctrl-C or SIGTERM.
pub fn run(args: ChallengerArgs) -> eyre::Result<()> {
    let home = &args.home;
    if !home.join(config::CONFIG_FILE).exists() {
        return Err(eyre!(
            "{} is not a minitia home (no {}); create one with `minitia new <name>` and copy \
             the chain's genesis.json into it",
            home.display(),
            config::CONFIG_FILE
        ));
    }
    let mut cfg = NodeConfig::load(home)?;
    if let Some(v) = args.l1_rpc {
        cfg.l1.rpc = v;
    }
    if let Some(v) = args.bridge_id {
        cfg.l1.bridge_id = v;
    }
    if let Some(v) = args.da_rpc {
        cfg.da.rpc = v;
    }
    if let Some(v) = args.log_level {
        cfg.log.level = v;
    }
    super::init_tracing(&cfg)?;
    let registry = minitia_engines::registry();
    let engine = registry.for_home(home, &cfg)?;
    engine.available()?;
    let key = if args.watch_only {
        None
    } else {
        let path = minitia_template::home::key_path(home, "challenger");
        let k = AccountKey::load(&path).map_err(|e| {
            eyre!(
                "challenger key {}: {e}; create it with `minitia keys add challenger --home {}` \
                 and bond it on the L1, or run with --challenger.watch-only",
                path.display(),
                home.display()
            )
        })?;
        Some(minitia_template::batcher::signing_key(&k)?)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .wrap_err_with(|| format!("cannot listen on {}", args.listen))?;
        tracing::info!(status = %args.listen, "challenger status at GET /status");
        let opts = minitia_engines::ChallengeOptions {
            key,
            status: listener,
            tuning: ChallengerOptions::default(),
        };
        // Re-execute with the engine the minitia's sequencer runs (genesis names it).
        engine
            .challenge(home, &cfg, opts, Box::pin(super::shutdown_signal()))
            .await?;
        Ok(())
    })
}
