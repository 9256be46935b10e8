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
    home::{self, AccountKey, HomeOptions, Vm},
};

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
    /// Print the version.
    Version,
}

#[derive(Args)]
struct NewArgs {
    /// Name of the minitia (the folder created under --home-dir).
    name: String,
    /// Execution engine.
    #[arg(long, default_value = "move", value_parser = parse_vm)]
    vm: Vm,
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

fn parse_vm(s: &str) -> Result<Vm, String> {
    s.parse()
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
        ..HomeOptions::new(args.name)
    };
    println!("Creating minitia {} in {}", opts.name, path.display());
    let created = home::create_home(&path, &opts, &mut |step| println!("  - {step}"))?;
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
    // The execution engine is the one genesis names (`app_state.minitia.vm`).
    let genesis = std::fs::read(cfg.genesis_path(home))
        .wrap_err_with(|| format!("cannot read {}", cfg.genesis_path(home).display()))?;
    let genesis: serde_json::Value = serde_json::from_slice(&genesis)
        .wrap_err_with(|| format!("{} is not JSON", cfg.genesis_path(home).display()))?;
    let vm = genesis["app_state"]["minitia"]["vm"]
        .as_str()
        .unwrap_or("none")
        .to_string();
    tracing::info!(vm, "execution engine");
    runtime.block_on(async {
        match vm.as_str() {
            "evm" => {
                tracing::info!(json_rpc = %args.json_rpc_listen, "Ethereum JSON-RPC");
                minitia_vm_evm::node::run_node(home, &cfg, args.json_rpc_listen, shutdown_signal()).await
            }
            "move" => {
                let modules: Vec<std::sync::Arc<dyn minitia_template::run::Module>> =
                    vec![std::sync::Arc::new(minitia_vm_move::minitia::MoveModule::new())];
                minitia_template::run::run_node_with(home, &cfg, modules, shutdown_signal()).await
            }
            "none" => minitia_template::run::run_node(home, &cfg, shutdown_signal()).await,
            other => Err(minitia_template::run::RunError::Other(format!(
                "genesis app_state.minitia.vm is {other:?}: this build runs \"evm\" or \"move\" (the Wasm engine is not built yet)"
            ))),
        }
    })?;
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
            vm: Vm::Evm,
            chain_id: None,
            home_dir: tmp.path().to_path_buf(),
            bech32_prefix: "init".into(),
            fee_denom: "umin".into(),
        };
        new(args).unwrap();
        let home = tmp.path().join("demo");
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
