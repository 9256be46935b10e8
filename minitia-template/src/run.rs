//! Runs a minitia node from a home directory: opens the node, serves the CometBFT RPC and
//! produces blocks until shutdown.

use std::{future::Future, path::Path, sync::Arc};

use minitia_chain::{
    app::{AppConfig, CosmosApp},
    node::{
        genesis::{GenesisDoc, GenesisError},
        keys::{KeyError, ValidatorKey},
        mempool::MempoolLimits,
        Node, NodeError, NodeOptions,
    },
};

pub use minitia_chain::app::Module;
use minitia_chain::node::ChainApp;

use crate::config::NodeConfig;

/// Why the node could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Genesis unreadable or invalid.
    #[error(transparent)]
    Genesis(#[from] GenesisError),
    /// Validator key unreadable or invalid.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The RPC address could not be bound.
    #[error("cannot listen for RPC on {addr}: {source}; is another node running? change [rpc] listen in minitia.toml or pass --rpc.listen")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Something else went wrong (I/O on the home dir).
    #[error("{0}")]
    Other(String),
}

/// Opens the node of `home` with `config` (bank and auth only).
pub fn open_node(home: &Path, config: &NodeConfig) -> Result<Arc<Node<CosmosApp>>, RunError> {
    open_node_with(home, config, Vec::new())
}

/// Opens the node of `home` with `config`, the bridge's `opchild` module and extra Cosmos
/// modules (e.g. the Move VM's).
pub fn open_node_with(
    home: &Path,
    config: &NodeConfig,
    extra_modules: Vec<Arc<dyn Module>>,
) -> Result<Arc<Node<CosmosApp>>, RunError> {
    let (app_config, opts) = node_options(home, config)?;
    Ok(Node::open(cosmos_app(app_config, extra_modules), opts)?)
}

/// The app every node of a Cosmos-engine minitia runs (sequencer and follower alike): bank,
/// auth, the bridge's `opchild` module and `extra_modules`.
pub fn cosmos_app(app_config: AppConfig, extra_modules: Vec<Arc<dyn Module>>) -> CosmosApp {
    minitia_app::minitia_cosmos_app(app_config, extra_modules)
}

/// Reads the genesis and validator key of `home` and turns `config` into the app
/// configuration and node options every engine's node is opened with.
pub fn node_options(
    home: &Path,
    config: &NodeConfig,
) -> Result<(AppConfig, NodeOptions), RunError> {
    let gpath = config.genesis_path(home);
    let genesis = GenesisDoc::load(&gpath)?;
    let genesis_json = read_genesis_json(home, config)?;
    let app_config = genesis
        .app_config()
        .map_err(|e| RunError::Other(format!("{}: {e}", gpath.display())))?;
    let validator = ValidatorKey::load(&config.validator_key_path(home))?;
    let opts = NodeOptions {
        data_dir: config.data_dir(home),
        genesis,
        genesis_json,
        validator,
        mempool: MempoolLimits {
            max_txs: config.mempool.max_txs,
            max_bytes: config.mempool.max_bytes as usize,
        },
        max_block_txs: 10_000,
        max_block_bytes: 16 << 20,
        create_empty_blocks: config.sequencer.create_empty_blocks,
        moniker: home
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "minitia".into()),
        rpc_address: format!("tcp://{}", config.rpc.listen),
        retained_versions: 100,
        event_index: config.rpc.tx_index != crate::config::TxIndexer::Null,
        clock: Arc::new(minitia_chain::node::clock::SystemClock::new()),
    };
    Ok((app_config, opts))
}

/// Runs the node of `home` until `shutdown` resolves (the plain Cosmos minitia's modules).
pub async fn run_node(
    home: &Path,
    config: &NodeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    run_node_with(home, config, Vec::new(), shutdown).await
}

/// Runs the node of `home` with extra Cosmos modules until `shutdown` resolves.
pub async fn run_node_with(
    home: &Path,
    config: &NodeConfig,
    extra_modules: Vec<Arc<dyn Module>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    run_sequencer(
        home,
        config,
        move |c| cosmos_app(c, extra_modules.clone()),
        no_extra_servers,
        None,
        shutdown,
    )
    .await
}

/// A server an engine runs beside the node's CometBFT RPC (the EVM's Ethereum JSON-RPC),
/// stopped by the future it was spawned with.
pub type ExtraServer = tokio::task::JoinHandle<()>;

/// The future that tells an [`ExtraServer`] to stop.
pub type StopSignal = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// Starts an engine's servers for a node (none for most engines); called again for each
/// node a follower or challenger reopens after rolling back.
pub trait ExtraServers<A: ChainApp>:
    FnMut(Arc<Node<A>>, StopSignal) -> Option<ExtraServer> + Send
{
}

impl<A: ChainApp, F: FnMut(Arc<Node<A>>, StopSignal) -> Option<ExtraServer> + Send> ExtraServers<A>
    for F
{
}

/// [`ExtraServers`] of an engine that serves nothing beside the CometBFT RPC.
pub fn no_extra_servers<A: ChainApp>(_: Arc<Node<A>>, _: StopSignal) -> Option<ExtraServer> {
    None
}

/// Runs the sequencer of `home` with the app `make_app` builds: the CometBFT RPC on
/// `[rpc] listen`, what `extra` spawns beside it, and a block every block time, until
/// `shutdown` resolves. With `fault_at = Some(h)` (dev chains only, refused otherwise before
/// anything starts) block `h` applies a wrong state transition, for exercising challengers
/// (see [`crate::challenger::inject_wrong_state`]).
pub async fn run_sequencer<A, F>(
    home: &Path,
    config: &NodeConfig,
    make_app: F,
    mut extra: impl ExtraServers<A>,
    fault_at: Option<u64>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError>
where
    A: ChainApp + 'static,
    F: FnOnce(AppConfig) -> A + Send + 'static,
{
    let genesis = match fault_at {
        Some(h) => {
            let g = read_genesis_json(home, config)?;
            if !crate::challenger::is_dev_chain(&g) {
                return Err(RunError::Other(format!(
                    "--fault.wrong-state-at {h}: this is not a dev chain (genesis \
                     app_state.minitia.dev is not true); fault injection is refused"
                )));
            }
            Some(g)
        }
        None => None,
    };
    let node = {
        let home = home.to_path_buf();
        let config = config.clone();
        tokio::task::spawn_blocking(move || -> Result<_, RunError> {
            let (app_config, opts) = node_options(&home, &config)?;
            Ok(Node::open(make_app(app_config), opts)?)
        })
        .await
        .map_err(|e| RunError::Other(format!("node start panicked: {e}")))??
    };
    if let (Some(h), Some(g)) = (fault_at, &genesis) {
        crate::challenger::inject_wrong_state(&node, g, h).map_err(RunError::Other)?;
        tracing::warn!(height = h, "minitia node started WITH FAULT INJECTION");
    }
    let listener = tokio::net::TcpListener::bind(config.rpc.listen)
        .await
        .map_err(|source| RunError::Bind {
            addr: config.rpc.listen.to_string(),
            source,
        })?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let extra_server = extra(
        node.clone(),
        Box::pin(crate::follower::flag_set(stop_rx.clone())),
    );
    tracing::info!(rpc = %config.rpc.listen, height = node.height(), "minitia node started");
    let result = node
        .run(listener, config.sequencer.block_time, shutdown)
        .await;
    let _ = stop_tx.send(true);
    if let Some(e) = extra_server {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), e).await;
    }
    Ok(result?)
}

/// The genesis file of `home` as JSON.
pub fn read_genesis_json(home: &Path, config: &NodeConfig) -> Result<serde_json::Value, RunError> {
    let path = config.genesis_path(home);
    let bytes =
        std::fs::read(&path).map_err(|e| RunError::Other(format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| RunError::Other(format!("{} is not JSON: {e}", path.display())))
}
