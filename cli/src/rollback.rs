//! `minitia rollback`: recovery of a stopped home after the L1 deleted its outputs (logic in
//! `minitia_template::recovery` and `minitia_chain::node::rollback`).

use std::path::PathBuf;

use clap::Args;
use eyre::eyre;
use minitia_template::config::{self, NodeConfig};

/// Stop the node, executor and batcher of the home first.
#[derive(Args)]
pub struct RollbackArgs {
    /// Home directory of the minitia (its sequencer node).
    #[arg(long, env = "MINITIA_HOME")]
    home: PathBuf,
    /// The L2 height to roll back to: the `l2_block_number` of the last output the L1 still
    /// has (`minitia bridge status --home ..` shows it).
    #[arg(long = "to-height", value_name = "HEIGHT")]
    to_height: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: RollbackArgs) -> eyre::Result<()> {
    let home = &args.home;
    if !home.join(config::CONFIG_FILE).exists() {
        return Err(eyre!(
            "{} is not a minitia home (no {})",
            home.display(),
            config::CONFIG_FILE
        ));
    }
    let cfg = NodeConfig::load(home)?;
    let registry = minitia_engines::registry();
    let engine = registry.for_home(home, &cfg)?;
    let to = args.to_height;
    let report = engine.rollback(home, &cfg, to)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let n = &report.node;
    println!(
        "rolled back from height {} to {} (state root {}); {} txs of the discarded blocks and {} pending txs are back in the mempool",
        n.from_height, n.to_height, n.root, n.requeued_txs, n.pending_txs
    );
    println!("old node files kept in {}", n.backup_dir.display());
    match report.executor {
        Some((w, o)) => println!(
            "executor: forgot {w} withdrawals and {o} outputs above height {to}; they are rescanned from the new blocks"
        ),
        None => println!("executor: no database in this home"),
    }
    match report.batcher_next_start {
        Some(h) => println!("batcher: the next batch starts at height {h}"),
        None => println!("batcher: no WAL in this home"),
    }
    println!("start the node, executor and batcher again");
    Ok(())
}
