//! `minitia batcher`: runs the batch submitter of a home (logic in
//! `minitia_template::batcher`).

use std::path::PathBuf;

use clap::Args;
use eyre::{eyre, WrapErr};
use minitia_template::config::{self, NodeConfig};

/// Flags override `MINITIA_*` environment variables, which override `minitia.toml`.
#[derive(Args)]
pub struct BatcherArgs {
    /// Home directory of the minitia (its `minitia.toml` and `keys/sequencer.json`).
    #[arg(long, env = "MINITIA_HOME")]
    home: PathBuf,
    /// CometBFT RPC of the L1, e.g. http://127.0.0.1:26657.
    #[arg(long = "l1.rpc", value_name = "URL")]
    l1_rpc: Option<String>,
    /// The minitia's bridge id on the L1.
    #[arg(long = "l1.bridge-id", value_name = "ID")]
    bridge_id: Option<u64>,
    /// celestia-node JSON-RPC URL; an empty string posts every batch to the L1.
    #[arg(long = "da.rpc", value_name = "URL")]
    da_rpc: Option<String>,
    /// CometBFT RPC of the minitia node to read blocks from [default: the home's rpc.listen].
    #[arg(long = "batch.node-rpc", value_name = "URL")]
    node_rpc: Option<String>,
    /// Serve GET /metrics and /status on this address [default: [batch] metrics_listen; empty: none].
    #[arg(long = "batch.metrics-listen", value_name = "ADDR")]
    metrics_listen: Option<String>,
    /// Log filter, e.g. info (RUST_LOG wins).
    #[arg(long = "log.level", value_name = "FILTER")]
    log_level: Option<String>,
    /// Fault injection for testing challengers: never post blocks at or above HEIGHT.
    /// Refused unless the minitia is a dev chain (`minitia new --dev`).
    #[arg(long = "fault.withhold-from", value_name = "HEIGHT")]
    fault_withhold_from: Option<u64>,
}

/// Runs the batcher until Ctrl-C or SIGTERM.
pub fn run(args: BatcherArgs) -> eyre::Result<()> {
    let home = &args.home;
    if !home.join(config::CONFIG_FILE).exists() {
        return Err(eyre!(
            "{} is not a minitia home (no {}); create one with `minitia new <name>`",
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
    if let Some(v) = args.node_rpc {
        cfg.batch.node_rpc = v;
    }
    if let Some(v) = args.metrics_listen {
        cfg.batch.metrics_listen = v;
    }
    if let Some(v) = args.log_level {
        cfg.log.level = v;
    }
    if args.fault_withhold_from.is_some() {
        minitia_template::bridge::require_dev_chain(home).map_err(|e| eyre!(e))?;
    }
    super::init_tracing(&cfg)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut b = minitia_template::batcher::from_home(home, &cfg).await?;
        b.set_withhold_from(args.fault_withhold_from);
        let listen = cfg.batch.metrics_listen.trim();
        if !listen.is_empty() {
            let addr = config::parse_listen(listen)
                .map_err(|e| eyre!("[batch] metrics_listen {listen:?}: {e}"))?;
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .wrap_err_with(|| format!("cannot listen on {addr} for the batcher's metrics"))?;
            tracing::info!(%addr, "batcher metrics and status");
            tokio::spawn(minitia_template::batcher::serve_metrics(
                b.status_handle(),
                l,
                super::shutdown_signal(),
            ));
        }
        b.run(super::shutdown_signal()).await?;
        tracing::info!(status = ?b.status(), "batcher stopped");
        Ok(())
    })
}
