//! The `@NAME@` minitia node: `cargo run -- --home .` runs the chain of this home with the
//! engine its genesis names (`app_state.minitia.vm`) and this crate's own modules, exactly
//! as `minitia start` runs it (with the EVM, its Ethereum JSON-RPC too).

mod counter;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use minitia_engines::StartOptions;
use minitia_template::config::NodeConfig;

const USAGE: &str =
    "usage: @NAME@ [--home DIR] [--rpc.listen ADDR] [--json-rpc.listen ADDR] [--follow]";

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut home = PathBuf::from(".");
    let mut rpc_listen: Option<SocketAddr> = None;
    let mut opts = StartOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))
        };
        match flag.as_str() {
            "--home" => home = value()?.into(),
            "--rpc.listen" => rpc_listen = Some(value()?.parse()?),
            "--json-rpc.listen" => opts.json_rpc = value()?.parse()?,
            "--follow" => opts.follow = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument {arg:?}; {USAGE}").into()),
        }
    }
    let mut config = NodeConfig::load(&home)?;
    if let Some(addr) = rpc_listen {
        config.rpc.listen = addr;
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log.level)?)
        .init();

    // The engine genesis names, plus this chain's own modules. Register yours here.
    let registry = minitia_engines::registry();
    let engine = registry
        .for_home(&home, &config)?
        .with_modules(vec![Arc::new(counter::Counter)]);
    engine.start(&home, &config, opts, Box::pin(shutdown())).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
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
