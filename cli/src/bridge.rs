//! `minitia executor` and `minitia bridge …`: argument parsing and printing only; the work is
//! in `minitia_template::bridge`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use eyre::{eyre, WrapErr};
use minitia_template::{
    bridge::{client::BridgeClient, executor::Executor},
    config::{self, NodeConfig},
};

/// `minitia executor`.
#[derive(Args)]
pub struct ExecutorArgs {
    /// Home directory of the minitia (keys/executor.json, keys/proposer.json, minitia.toml).
    #[arg(long, env = "MINITIA_HOME")]
    pub home: PathBuf,
    /// Executor API listen address [default: [bridge] api_listen].
    #[arg(long = "api.listen", value_name = "ADDR", value_parser = config::parse_listen)]
    pub api_listen: Option<std::net::SocketAddr>,
    /// L1 CometBFT RPC URL [default: [l1] rpc].
    #[arg(long = "l1.rpc", value_name = "URL")]
    pub l1_rpc: Option<String>,
    /// Bridge id [default: [l1] bridge_id].
    #[arg(long = "l1.bridge-id", value_name = "ID")]
    pub bridge_id: Option<u64>,
    /// Fault injection for testing challengers: propose output INDEX with a wrong root (once).
    /// Refused unless the minitia is a dev chain (`minitia new --dev`).
    #[arg(long = "fault.wrong-output-root-at", value_name = "INDEX")]
    pub fault_wrong_output_root_at: Option<u64>,
    /// Fault injection for testing challengers: never finalize L1 deposit SEQUENCE on the L2
    /// (nor any after it). Refused unless the minitia is a dev chain.
    #[arg(long = "fault.skip-deposit", value_name = "SEQUENCE")]
    pub fault_skip_deposit: Option<u64>,
}

#[derive(Args)]
pub struct ClientArgs {
    /// Home directory of the minitia.
    #[arg(long, env = "MINITIA_HOME")]
    pub home: PathBuf,
    /// Executor API URL [default: http://<[bridge] api_listen>].
    #[arg(long)]
    pub api: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `minitia bridge …`.
#[derive(Subcommand)]
pub enum BridgeCommand {
    /// Deposit L1 tokens into the minitia (MsgInitiateTokenDeposit on the L1).
    Deposit {
        #[command(flatten)]
        c: ClientArgs,
        /// Key of the home that signs (keys/<name>.json).
        #[arg(long)]
        from: String,
        /// Amount with its L1 denom, e.g. 1000uinit.
        amount: String,
        /// L2 recipient [default: the same key's L2 address].
        #[arg(long)]
        to: Option<String>,
    },
    /// Withdraw bridged tokens to the L1 (MsgInitiateTokenWithdrawal on the L2).
    Withdraw {
        #[command(flatten)]
        c: ClientArgs,
        /// Key of the home that signs.
        #[arg(long)]
        from: String,
        /// Amount with its L2 denom (l2/…) or its L1 denom, e.g. 500uinit.
        amount: String,
        /// L1 recipient [default: the same key's L1 address].
        #[arg(long)]
        to: Option<String>,
    },
    /// Claim a withdrawal on the L1 once its output is finalized (MsgFinalizeTokenWithdrawal
    /// with the executor's proof).
    Claim {
        #[command(flatten)]
        c: ClientArgs,
        /// Key of the home that signs the L1 tx (anyone may claim; the recipient is fixed).
        #[arg(long)]
        from: String,
        /// The withdrawal's L2 sequence.
        sequence: u64,
    },
    /// Show both sides of the bridge and the executor's status.
    Status {
        #[command(flatten)]
        c: ClientArgs,
    },
    /// Print the proof of a withdrawal (OPinit's fields) from the executor API.
    Proof {
        #[command(flatten)]
        c: ClientArgs,
        /// The withdrawal's L2 sequence.
        sequence: u64,
    },
}

fn runtime() -> eyre::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")
}

fn load(home: &std::path::Path) -> eyre::Result<NodeConfig> {
    if !home.join(config::CONFIG_FILE).exists() {
        return Err(eyre!(
            "{} is not a minitia home (no {})",
            home.display(),
            config::CONFIG_FILE
        ));
    }
    Ok(NodeConfig::load(home)?)
}

/// Runs `minitia executor` until Ctrl-C or SIGTERM.
pub fn executor(
    args: ExecutorArgs,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> eyre::Result<()> {
    let mut cfg = load(&args.home)?;
    if let Some(a) = args.api_listen {
        cfg.bridge.api_listen = a;
    }
    if let Some(r) = args.l1_rpc {
        cfg.l1.rpc = r;
    }
    if let Some(b) = args.bridge_id {
        cfg.l1.bridge_id = b;
    }
    super::init_tracing(&cfg)?;
    let mut opts =
        minitia_template::bridge::executor_options(&args.home, &cfg).map_err(|e| eyre!(e))?;
    opts.faults = minitia_template::bridge::executor::ExecutorFaults {
        wrong_output_root_at: args.fault_wrong_output_root_at,
        skip_deposit: args.fault_skip_deposit,
    };
    if opts.faults.any() {
        minitia_template::bridge::require_dev_chain(&args.home).map_err(|e| eyre!(e))?;
    }
    runtime()?.block_on(async {
        let ex = Executor::connect(opts).await?;
        let api = minitia_template::bridge::executor::bind(cfg.bridge.api_listen).await?;
        tracing::info!(api = %cfg.bridge.api_listen, bridge_id = cfg.l1.bridge_id, "bridge executor started");
        ex.run(api, shutdown).await
    })?;
    tracing::info!("executor stopped");
    Ok(())
}

fn print(json: bool, v: serde_json::Value) {
    if json {
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        serde_json::Value::String(s) => println!("{k}: {s}"),
                        other => println!("{k}: {other}"),
                    }
                }
            }
            other => println!("{other}"),
        }
    }
}

/// Runs one `minitia bridge …` command.
pub fn bridge(cmd: BridgeCommand) -> eyre::Result<()> {
    let rt = runtime()?;
    let client = |c: &ClientArgs| -> eyre::Result<BridgeClient> {
        BridgeClient::new(&c.home, load(&c.home)?).map_err(|e| eyre!(e))
    };
    rt.block_on(async {
        match cmd {
            BridgeCommand::Deposit { c, from, amount, to } => {
                let s = client(&c)?.deposit(&from, &amount, to.as_deref()).await.map_err(|e| eyre!(e))?;
                print(c.json, serde_json::to_value(&s)?);
            }
            BridgeCommand::Withdraw { c, from, amount, to } => {
                let s = client(&c)?.withdraw(&from, &amount, to.as_deref()).await.map_err(|e| eyre!(e))?;
                print(c.json, serde_json::to_value(&s)?);
                if !c.json {
                    println!("Claim it on the L1 after the output holding it is finalized: minitia bridge claim --home {} --from {from} {}", c.home.display(), s.sequence.unwrap_or_default());
                }
            }
            BridgeCommand::Claim { c, from, sequence } => {
                let s = client(&c)?.claim(&from, sequence, c.api.as_deref()).await.map_err(|e| eyre!(e))?;
                print(c.json, serde_json::to_value(&s)?);
            }
            BridgeCommand::Status { c } => {
                let s = client(&c)?.status(c.api.as_deref()).await.map_err(|e| eyre!(e))?;
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            }
            BridgeCommand::Proof { c, sequence } => {
                let p = client(&c)?.proof(sequence, c.api.as_deref()).await.map_err(|e| eyre!(e))?;
                println!("{}", serde_json::to_string_pretty(&p).unwrap_or_default());
            }
        }
        Ok(())
    })
}
