//! The `minitia` command-line tool: create a minitia home, run its node, manage its keys.
//!
//! Only argument parsing and printing live here; the work is in `minitia-template`.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use clap::{Args, Parser, Subcommand};
use eyre::{eyre, WrapErr};
use minitia_template::{
    config::{self, LogFormat, NodeConfig},
    home::{self, AccountKey, HomeOptions},
};

mod bridge;

mod batcher;

mod challenger;

mod rollback;

#[derive(Parser)]
#[command(
    name = "minitia",
    about = "Build and run app-specific optimistic rollups (minitias)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new minitia home: config, genesis, sequencer and operator keys.
    New(NewArgs),
    /// Run the node of a home until Ctrl-C or SIGTERM.
    Start(StartArgs),
    /// Manage the account keys of a home.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Run a whole local network (L1, DA, minitias) as separate processes.
    #[command(subcommand)]
    Localnet(LocalnetCommand),
    /// Run the bridge executor of a home: relays L1 deposits, builds the withdrawal trees,
    /// proposes outputs and serves withdrawal proofs (keys executor and proposer).
    Executor(bridge::ExecutorArgs),
    /// Move tokens between the L1 and this minitia: deposit, withdraw, claim, status, proof.
    #[command(subcommand)]
    Bridge(bridge::BridgeCommand),
    /// Run the batch submitter of a home: posts finished blocks to DA (or the L1 on
    /// failover) and records each batch on the L1 (key sequencer).
    Batcher(batcher::BatcherArgs),
    /// Run the challenger of a home: derives the chain from the L1 and DA, checks every
    /// output root and proves a wrong state transition with a fraud proof (key challenger).
    Challenger(challenger::ChallengerArgs),
    /// Roll a stopped home back to an L2 height after the L1 deleted its outputs: the node
    /// re-executes its blocks up to it (checked against the chain's app hashes) and requeues
    /// the discarded blocks' txs; the executor and batcher rewind to it.
    Rollback(rollback::RollbackArgs),
    /// Print the version.
    Version,
}

#[derive(Args)]
struct NewArgs {
    /// Name of the minitia (the folder created under --home-dir).
    name: String,
    /// Execution engine.
    #[arg(long, default_value = "move", value_parser = minitia_engines::parse_vm)]
    vm: String,
    /// Chain id [default: <name>-1].
    #[arg(long)]
    chain_id: Option<String>,
    /// Folder in which the home is created.
    #[arg(long, default_value = ".")]
    home_dir: PathBuf,
    /// Bech32 prefix of account addresses.
    #[arg(long, default_value = "init")]
    bech32_prefix: String,
    /// Fee denom.
    #[arg(long, default_value = "umin")]
    fee_denom: String,
    /// Mark the chain a dev chain (genesis app_state.minitia.dev = true), which allows fault
    /// injection (`minitia start --fault.wrong-state-at`). Never for a real network.
    #[arg(long)]
    dev: bool,
    /// Build the new home's crate against this SDK checkout [default: the SDK source this
    /// binary was built from].
    #[arg(long, value_name = "DIR", conflicts_with = "sdk_git")]
    sdk_path: Option<PathBuf>,
    /// Build the new home's crate against the SDK in this git repository.
    #[arg(long, value_name = "URL")]
    sdk_git: Option<String>,
}

/// Flags override `MINITIA_*` environment variables, which override `minitia.toml`.
#[derive(Args)]
struct StartArgs {
    /// Home directory of the node.
    #[arg(long, env = "MINITIA_HOME")]
    home: PathBuf,
    /// RPC listen address, e.g. 127.0.0.1:26657.
    #[arg(long = "rpc.listen", value_name = "ADDR", value_parser = config::parse_listen)]
    rpc_listen: Option<SocketAddr>,
    /// Time between blocks, e.g. 500ms or 2s.
    #[arg(long = "sequencer.block-time", value_name = "DURATION", value_parser = config::parse_block_time)]
    block_time: Option<Duration>,
    /// Seal blocks without transactions.
    #[arg(long = "sequencer.create-empty-blocks", value_name = "BOOL")]
    create_empty_blocks: Option<bool>,
    /// Log filter, e.g. info or info,minitia_chain=debug (RUST_LOG wins).
    #[arg(long = "log.level", value_name = "FILTER")]
    log_level: Option<String>,
    /// Log format: text or json.
    #[arg(long = "log.format", value_name = "FORMAT", value_parser = parse_log_format)]
    log_format: Option<LogFormat>,
    /// Ethereum JSON-RPC listen address (EVM minitias only).
    #[arg(long = "json-rpc.listen", value_name = "ADDR", value_parser = config::parse_listen, default_value = "127.0.0.1:8545")]
    json_rpc_listen: SocketAddr,
    /// Run as a follower: derive the chain from the L1 ([l1]) and DA ([da]), serve the RPC
    /// read-only, never produce blocks.
    #[arg(long)]
    follow: bool,
    /// Fault injection for testing challengers: apply a wrong state transition at this
    /// height (one bogus write). Refused unless genesis app_state.minitia.dev is true.
    #[arg(long = "fault.wrong-state-at", value_name = "HEIGHT")]
    fault_wrong_state_at: Option<u64>,
}

#[derive(Args)]
struct HomeArg {
    /// Home directory.
    #[arg(long, env = "MINITIA_HOME")]
    home: PathBuf,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create an account key (fresh mnemonic, or --recover to type one in).
    Add {
        /// Key name.
        name: String,
        #[command(flatten)]
        home: HomeArg,
        /// Read the mnemonic from standard input instead of generating one.
        #[arg(long)]
        recover: bool,
    },
    /// List account keys.
    List {
        #[command(flatten)]
        home: HomeArg,
        /// Print JSON (without mnemonics).
        #[arg(long)]
        json: bool,
    },
    /// Show one account key.
    Show {
        /// Key name.
        name: String,
        #[command(flatten)]
        home: HomeArg,
        /// Also print the mnemonic.
        #[arg(long)]
        reveal: bool,
    },
}

#[derive(Args)]
struct LocalnetHome {
    /// Localnet home [default: $MINITIA_LOCALNET_HOME, else ~/.minitia/localnet].
    #[arg(long, env = "MINITIA_LOCALNET_HOME")]
    home: Option<PathBuf>,
}

impl LocalnetHome {
    fn path(&self) -> PathBuf {
        self.home
            .clone()
            .unwrap_or_else(minitia_localnet::up::default_home)
    }
}

#[derive(Subcommand)]
enum LocalnetCommand {
    /// Start the L1, the DA node and one minitia per VM, create the bridges, print the
    /// endpoints, serve the status page; runs until Ctrl-C or SIGTERM.
    Up(LocalnetUpArgs),
    /// Show every component: processes, heights, bridges, balances, alarms.
    Status {
        #[command(flatten)]
        home: LocalnetHome,
        /// Print the status JSON (what `/status` serves).
        #[arg(long)]
        json: bool,
    },
    /// Stop a running localnet (through its pid files).
    Down {
        #[command(flatten)]
        home: LocalnetHome,
    },
    /// Stop the localnet and delete its home (chain data, keys, logs).
    Reset {
        #[command(flatten)]
        home: LocalnetHome,
    },
    /// Print (or follow) a component's log: da, l1, or a minitia's name (evm, move).
    Logs {
        /// Component name.
        component: String,
        #[command(flatten)]
        home: LocalnetHome,
        /// Keep printing what is appended.
        #[arg(short, long)]
        follow: bool,
        /// Lines to print first.
        #[arg(short = 'n', long, default_value_t = 100)]
        lines: usize,
    },
    /// The L1's dev clock.
    #[command(subcommand)]
    Time(LocalnetTimeCommand),
}

#[derive(Subcommand)]
enum LocalnetTimeCommand {
    /// Move the L1 clock forward, e.g. `7d` to pass a finalization period.
    Advance {
        /// Duration: 30s, 90m, 2h, 7d, 1d12h.
        duration: String,
        #[command(flatten)]
        home: LocalnetHome,
    },
}

#[derive(Args)]
struct LocalnetUpArgs {
    #[command(flatten)]
    home: LocalnetHome,
    /// One minitia per VM, comma-separated (evm, move) [default: evm for a new home].
    #[arg(long, value_delimiter = ',', value_parser = minitia_engines::parse_vm)]
    vms: Option<Vec<String>>,
    /// Pick unused ports instead of the defaults (L1 26657, DA 26658, minitia RPC 26757,
    /// EVM JSON-RPC 8545, status 26600).
    #[arg(long)]
    free_ports: bool,
    /// Add this to every default port (to run two localnets side by side).
    #[arg(long, default_value_t = 0, conflicts_with = "free_ports")]
    port_offset: u16,
    /// L1 block time.
    #[arg(long = "l1.block-time", value_name = "DURATION", value_parser = config::parse_block_time, default_value = "1s")]
    l1_block_time: Duration,
    /// Minitia block time.
    #[arg(long = "minitia.block-time", value_name = "DURATION", value_parser = config::parse_block_time, default_value = "500ms")]
    minitia_block_time: Duration,
    /// DA block time.
    #[arg(long = "da.block-time", value_name = "DURATION", value_parser = config::parse_block_time, default_value = "2s")]
    da_block_time: Duration,
    /// How long each component may take to become healthy.
    #[arg(long, value_name = "DURATION", value_parser = config::parse_duration, default_value = "60s")]
    ready_timeout: Duration,
    /// Output submission interval of new bridges.
    #[arg(long = "bridge.submission-interval", value_name = "DURATION", value_parser = parse_secs, default_value = "30s")]
    submission_interval: Duration,
    /// Finalization period of new bridges (pass it with `localnet time advance`).
    #[arg(long = "bridge.finalization-period", value_name = "DURATION", value_parser = parse_secs, default_value = "5m")]
    finalization_period: Duration,
    /// Restart a component that exits (a crash, a kill -9) instead of stopping the
    /// localnet; one that fails (non-zero exit, a crash signal) 5 times in a row within 10 s
    /// of its start still stops it.
    #[arg(long)]
    restart: bool,
}

/// Whole seconds: `30s`, `5m`, `2h`, `7d`.
fn parse_secs(s: &str) -> Result<Duration, String> {
    minitia_localnet::ops::parse_duration_secs(s)
        .map(Duration::from_secs)
        .map_err(|e| e.to_string())
}

fn parse_log_format(s: &str) -> Result<LogFormat, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The chain of messages, without backtrace noise: every error says what to do.
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> eyre::Result<()> {
    match cli.command {
        Command::New(args) => new(args),
        Command::Start(args) => start(args),
        Command::Keys(cmd) => keys(cmd),
        Command::Executor(args) => bridge::executor(args, shutdown_signal()),
        Command::Bridge(cmd) => bridge::bridge(cmd),
        Command::Localnet(cmd) => localnet(cmd),
        Command::Batcher(args) => batcher::run(args),
        Command::Challenger(args) => challenger::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Version => {
            println!("minitia {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    }
}

fn new(args: NewArgs) -> eyre::Result<()> {
    let path = args.home_dir.join(&args.name);
    let opts = HomeOptions {
        chain_id: args.chain_id.unwrap_or_else(|| format!("{}-1", args.name)),
        vm: args.vm,
        bech32_prefix: args.bech32_prefix,
        fee_denom: args.fee_denom,
        sdk: match (args.sdk_path, args.sdk_git) {
            (Some(p), _) => home::SdkSource::Path(p),
            (None, Some(g)) => home::SdkSource::Git(g),
            (None, None) => home::SdkSource::BuiltFrom,
        },
        ..HomeOptions::new(args.name)
    };
    println!("Creating minitia {} in {}", opts.name, path.display());
    let created = home::create_home(&path, &opts, &mut |step| println!("  - {step}"))?;
    if args.dev {
        let cfg = NodeConfig::load(&created.path)?;
        minitia_template::challenger::mark_dev_chain(&cfg.genesis_path(&created.path))
            .map_err(|e| eyre!(e))?;
        println!("  - marked a dev chain (app_state.minitia.dev = true: fault injection allowed)");
    }
    println!();
    println!(
        "Created {} (chain id {}, vm {})",
        created.path.display(),
        created.chain_id,
        opts.vm
    );
    println!("  sequencer validator  {}", created.validator_address);
    for k in &created.operators {
        println!("  {:<20} {}", k.name, k.address);
    }
    println!(
        "  {:<20} {} (DEV ONLY, public mnemonic, funded with {} {})",
        "dev",
        created.dev.address,
        home::DEV_BALANCE,
        opts.fee_denom
    );
    println!();
    println!(
        "Mnemonics are in {}/keys/ — keep that folder secret.",
        created.path.display()
    );
    let registry = minitia_engines::registry();
    let engine = registry.engine(&opts.vm)?;
    match engine.available() {
        Err(e) => println!("Note: {e}; `minitia start` refuses this home until it is."),
        Ok(()) => println!(
            "Engine: {} — {}. Its bridge can register engine kind {} so the L1 judges its outputs \
             by fraud proofs; adding your own modules to the crate in this home makes it a \
             permissioned chain (see its README).",
            engine.vm(),
            engine.about(),
            engine.kind()
        ),
    }
    println!("Next: minitia start --home {}", created.path.display());
    Ok(())
}

fn start(args: StartArgs) -> eyre::Result<()> {
    let home = &args.home;
    if !home.join(config::CONFIG_FILE).exists() {
        return Err(eyre!(
            "{} is not a minitia home (no {}); create one with `minitia new <name>`",
            home.display(),
            config::CONFIG_FILE
        ));
    }
    let mut cfg = NodeConfig::load(home)?;
    if let Some(a) = args.rpc_listen {
        cfg.rpc.listen = a;
    }
    if let Some(t) = args.block_time {
        cfg.sequencer.block_time = t;
    }
    if let Some(b) = args.create_empty_blocks {
        cfg.sequencer.create_empty_blocks = b;
    }
    if let Some(l) = args.log_level {
        cfg.log.level = l;
    }
    if let Some(f) = args.log_format {
        cfg.log.format = f;
    }
    init_tracing(&cfg)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    tracing::info!(
        home = %home.display(),
        rpc = %cfg.rpc.listen,
        block_time = %config::format_duration(cfg.sequencer.block_time),
        "starting minitia node"
    );
    let registry = minitia_engines::registry();
    let engine = registry.for_home(home, &cfg)?;
    engine.available()?;
    tracing::info!(vm = engine.vm(), "execution engine");
    if args.follow {
        tracing::info!(l1 = %cfg.l1.rpc, bridge_id = cfg.l1.bridge_id, da = %cfg.da.rpc, "follower mode");
    }
    if engine.serves_json_rpc() {
        tracing::info!(json_rpc = %args.json_rpc_listen, "Ethereum JSON-RPC");
    }
    let opts = minitia_engines::StartOptions {
        follow: args.follow,
        json_rpc: args.json_rpc_listen,
        fault_wrong_state_at: args.fault_wrong_state_at,
    };
    runtime.block_on(engine.start(home, &cfg, opts, Box::pin(shutdown_signal())))?;
    tracing::info!("node stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        _ = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

fn init_tracing(cfg: &NodeConfig) -> eyre::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => EnvFilter::try_new(&v)
            .map_err(|e| eyre!("RUST_LOG={v:?} is not a valid log filter: {e}"))?,
        _ => EnvFilter::try_new(&cfg.log.level).map_err(|e| {
            eyre!(
                "log.level = {:?}: {e}; use a level (trace, debug, info, warn, error) or \
                 directives like \"info,minitia_chain=debug\"",
                cfg.log.level
            )
        })?,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let result = match cfg.log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| eyre!("cannot install the logger: {e}"))
}

fn keys(cmd: KeysCommand) -> eyre::Result<()> {
    match cmd {
        KeysCommand::Add {
            name,
            home,
            recover,
        } => {
            check_home(&home.home)?;
            let mnemonic = if recover {
                eprintln!("Enter the BIP39 mnemonic, then press Enter:");
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .wrap_err("cannot read the mnemonic from standard input")?;
                Some(line.trim().to_string())
            } else {
                None
            };
            let key = home::add_key(&home.home, &name, mnemonic.as_deref())?;
            print_key(&key, false);
            if !recover {
                println!();
                println!("mnemonic: {}", key.mnemonic);
                println!(
                    "Write the mnemonic down; it is also stored in {}.",
                    home::key_path(&home.home, &name).display()
                );
            }
            Ok(())
        }
        KeysCommand::List { home, json } => {
            check_home(&home.home)?;
            let keys = home::list_keys(&home.home)?;
            if json {
                let v: Vec<_> = keys
                    .iter()
                    .map(|k| {
                        serde_json::json!({"name": k.name, "address": k.address, "evm_address": k.evm_address})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if keys.is_empty() {
                println!(
                    "no keys; add one with `minitia keys add <name> --home {}`",
                    home.home.display()
                );
            } else {
                for k in &keys {
                    let note = if k.warning.is_some() {
                        "  (dev only)"
                    } else {
                        ""
                    };
                    println!("{:<12} {}  {}{note}", k.name, k.address, k.evm_address);
                }
            }
            Ok(())
        }
        KeysCommand::Show { name, home, reveal } => {
            check_home(&home.home)?;
            let key = home::show_key(&home.home, &name)?;
            print_key(&key, reveal);
            Ok(())
        }
    }
}

fn localnet(cmd: LocalnetCommand) -> eyre::Result<()> {
    use minitia_localnet::{ops, status, up};
    // Current-thread: children get a parent-death signal tied to the thread that spawned
    // them, so everything runs on the main thread.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    match cmd {
        LocalnetCommand::Up(a) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "warn".into()),
                )
                .with_writer(std::io::stderr)
                .try_init();
            let home = a.home.path();
            let mut opts = up::UpOptions::new(home.clone());
            opts.vms = a.vms;
            opts.free_ports = a.free_ports;
            opts.port_offset = a.port_offset;
            opts.timing.l1_block_time = a.l1_block_time;
            opts.timing.minitia_block_time = a.minitia_block_time;
            opts.timing.da_block_time = a.da_block_time;
            opts.ready_timeout = a.ready_timeout;
            opts.submission_interval = a.submission_interval;
            opts.finalization_period = a.finalization_period;
            opts.restart = a.restart;
            rt.block_on(up::run(
                opts,
                up::shutdown_signal(),
                &mut |step| println!("==> {step}"),
                &mut |started| {
                    println!();
                    print!("{}", up::endpoints_table(started, &home));
                },
            ))
        }
        LocalnetCommand::Status { home, json } => {
            let home = home.path();
            let m = minitia_localnet::Manifest::load(&home)?;
            let s = rt.block_on(status::collect(&home, &m));
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print!("{}", status::summary(&s));
            }
            Ok(())
        }
        LocalnetCommand::Down { home } => {
            let stopped = ops::down(&home.path())?;
            if stopped.is_empty() {
                println!("nothing was running from {}", home.path().display());
            } else {
                println!("stopped: {}", stopped.join(", "));
            }
            Ok(())
        }
        LocalnetCommand::Reset { home } => {
            ops::reset(&home.path())?;
            println!("deleted {}", home.path().display());
            Ok(())
        }
        LocalnetCommand::Logs {
            component,
            home,
            follow,
            lines,
        } => ops::logs(
            &home.path(),
            &component,
            lines,
            follow,
            &mut std::io::stdout(),
        ),
        LocalnetCommand::Time(LocalnetTimeCommand::Advance { duration, home }) => {
            let secs = ops::parse_duration_secs(&duration)?;
            println!("{}", rt.block_on(ops::time_advance(&home.path(), secs))?);
            Ok(())
        }
    }
}

fn check_home(home: &Path) -> eyre::Result<()> {
    if !home.join(home::KEYS_DIR).is_dir() {
        return Err(eyre!(
            "{} is not a minitia home (no keys/ folder); create one with `minitia new <name>` or pass --home",
            home.display()
        ));
    }
    Ok(())
}

fn print_key(k: &AccountKey, reveal: bool) {
    println!("name:        {}", k.name);
    println!("address:     {}", k.address);
    println!("evm_address: {}", k.evm_address);
    println!("public_key:  {}", k.public_key);
    if let Some(w) = &k.warning {
        println!("warning:     {w}");
    }
    if reveal {
        println!("mnemonic:    {}", k.mnemonic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn start_flags_parse() {
        let cli = Cli::try_parse_from([
            "minitia",
            "start",
            "--home",
            "/tmp/x",
            "--rpc.listen",
            "127.0.0.1:1234",
            "--sequencer.block-time",
            "2s",
        ])
        .unwrap();
        let Command::Start(a) = cli.command else {
            panic!("not start")
        };
        assert_eq!(a.rpc_listen.unwrap().port(), 1234);
        assert_eq!(a.block_time.unwrap(), Duration::from_secs(2));
        assert!(!a.follow);
        let follower =
            Cli::try_parse_from(["minitia", "start", "--home", "x", "--follow"]).unwrap();
        let Command::Start(f) = follower.command else {
            panic!("not start")
        };
        assert!(f.follow);
        assert!(Cli::try_parse_from([
            "minitia",
            "start",
            "--home",
            "x",
            "--sequencer.block-time",
            "1ms"
        ])
        .is_err());
        assert!(Cli::try_parse_from(["minitia", "new", "x", "--vm", "java"]).is_err());
    }

    #[test]
    fn new_then_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let args = NewArgs {
            name: "demo".into(),
            vm: "evm".into(),
            chain_id: None,
            home_dir: tmp.path().to_path_buf(),
            bech32_prefix: "init".into(),
            fee_denom: "umin".into(),
            dev: false,
            sdk_path: None,
            sdk_git: None,
        };
        new(args).unwrap();
        let home = tmp.path().join("demo");
        let genesis = |home: &std::path::Path| -> serde_json::Value {
            serde_json::from_slice(&std::fs::read(home.join("genesis.json")).unwrap()).unwrap()
        };
        assert!(!minitia_template::challenger::is_dev_chain(&genesis(&home)));
        new(NewArgs {
            name: "devchain".into(),
            vm: "move".into(),
            chain_id: None,
            home_dir: tmp.path().to_path_buf(),
            bech32_prefix: "init".into(),
            fee_denom: "umin".into(),
            dev: true,
            sdk_path: None,
            sdk_git: None,
        })
        .unwrap();
        assert!(minitia_template::challenger::is_dev_chain(&genesis(
            &tmp.path().join("devchain")
        )));
        keys(KeysCommand::Add {
            name: "alice".into(),
            home: HomeArg { home: home.clone() },
            recover: false,
        })
        .unwrap();
        keys(KeysCommand::List {
            home: HomeArg { home: home.clone() },
            json: true,
        })
        .unwrap();
        let e = keys(KeysCommand::Show {
            name: "bob".into(),
            home: HomeArg { home },
            reveal: false,
        })
        .unwrap_err();
        assert!(e.to_string().contains("minitia keys list"), "{e}");
    }
}
