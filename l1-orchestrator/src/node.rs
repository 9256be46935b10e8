//! Running the L1: a home directory (`genesis.json` + `validator_key.json`), the chain node
//! with bank, ophost and bonds, the CometBFT RPC, and on dev chains `POST /dev/advance_time`
//! to move block time forward (so a 7-day finalization period passes in a test).

use std::{net::SocketAddr, path::Path, path::PathBuf, sync::Arc, time::Duration};

use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
use minitia_chain::{
    app::CosmosApp,
    node::{
        clock::SystemClock,
        genesis::{GenesisDoc, GenesisError},
        keys::{KeyError, ValidatorKey},
        mempool::MempoolLimits,
        Node, NodeError, NodeOptions,
    },
    rpc::RpcConfig,
};
use serde::Deserialize;

/// Default bech32 prefix of the L1.
pub const PREFIX: &str = "init";
/// Default fee and bond denom of the L1.
pub const DENOM: &str = "uinit";

/// Why the L1 could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// Genesis unreadable or invalid.
    #[error(transparent)]
    Genesis(#[from] GenesisError),
    /// Validator key unreadable or invalid.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The home directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The RPC address could not be bound.
    #[error("cannot listen for RPC on {addr}: {source}; is another node running? pass another --rpc.listen")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Bad configuration.
    #[error("{0}")]
    Config(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> L1Error + '_ {
    move |source| L1Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What a new L1 home is created with.
#[derive(Debug, Clone)]
pub struct GenesisSpec {
    /// Chain id.
    pub chain_id: String,
    /// Accounts funded at genesis: bech32 address and `uinit` amount.
    pub balances: Vec<(String, u128)>,
    /// OPinit's gov authority for ophost (updates, disabling bridges).
    pub authority: Option<String>,
    /// Minimum gas price in `uinit` (decimal).
    pub min_gas_price: String,
    /// Least bond of a bridge proposer.
    pub min_proposer_bond: u128,
    /// Least bond of a challenger.
    pub min_challenger_bond: u128,
    /// Unbonding period in seconds.
    pub unbonding_period_secs: i64,
}

impl Default for GenesisSpec {
    fn default() -> Self {
        Self {
            chain_id: "initiation-dev-1".into(),
            balances: vec![],
            authority: None,
            min_gas_price: "0".into(),
            min_proposer_bond: 1_000_000,
            min_challenger_bond: 1_000_000,
            unbonding_period_secs: 14 * 24 * 3600,
        }
    }
}

impl GenesisSpec {
    /// The genesis file as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let balances: Vec<_> = self
            .balances
            .iter()
            .map(|(a, n)| serde_json::json!({"address": a, "coins": [{"denom": DENOM, "amount": n.to_string()}]}))
            .collect();
        let mut ophost = serde_json::json!({});
        if let Some(a) = &self.authority {
            ophost["authority"] = serde_json::json!(a);
        }
        serde_json::json!({
            "genesis_time": "2026-01-01T00:00:00Z",
            "chain_id": self.chain_id,
            "initial_height": "1",
            "consensus_params": GenesisDoc::default_consensus_params(1 << 20),
            "validators": [],
            "app_hash": "",
            "app_state": {
                "chain": {"bech32_prefix": PREFIX, "fee_denom": DENOM, "min_gas_price": self.min_gas_price},
                "bank": {"balances": balances},
                "ophost": ophost,
                "bond": {
                    "denom": DENOM,
                    "min_proposer_bond": self.min_proposer_bond.to_string(),
                    "min_challenger_bond": self.min_challenger_bond.to_string(),
                    "unbonding_period_secs": self.unbonding_period_secs
                }
            }
        })
    }
}

/// How to run an L1 node.
#[derive(Debug, Clone)]
pub struct L1Options {
    /// Home directory with `genesis.json` and `validator_key.json`; data goes to `data/`.
    pub home: PathBuf,
    /// RPC listen address.
    pub rpc_listen: SocketAddr,
    /// Time between blocks.
    pub block_time: Duration,
    /// Dev chain: block time can be advanced by `POST /dev/advance_time`.
    pub dev: bool,
}

/// Writes a new home: `genesis.json` from `spec` and a fresh validator key.
pub fn init_home(home: &Path, spec: &GenesisSpec) -> Result<(), L1Error> {
    std::fs::create_dir_all(home).map_err(io(home))?;
    let g = home.join("genesis.json");
    let text = serde_json::to_string_pretty(&spec.to_json())
        .map_err(|e| L1Error::Config(e.to_string()))?;
    std::fs::write(&g, text).map_err(io(&g))?;
    ValidatorKey::generate().save(&home.join("validator_key.json"))?;
    Ok(())
}

/// The L1 app: bank (built in), ophost, bonds and fraud proofs, judging no engine (see
/// [`l1_app_with_engines`]).
pub fn l1_app(
    config: minitia_chain::app::AppConfig,
    clock: Arc<dyn minitia_chain::node::clock::Clock>,
) -> CosmosApp {
    l1_app_with_engines(
        config,
        clock,
        Arc::new(minitia_fraud_proofs::EngineSet::new()),
    )
}

/// [`l1_app`] judging fraud proofs with the engines of `engines` (a node that settles EVM or
/// Move minitias registers those).
pub fn l1_app_with_engines(
    config: minitia_chain::app::AppConfig,
    clock: Arc<dyn minitia_chain::node::clock::Clock>,
    engines: Arc<dyn minitia_fraud_proofs::EngineRegistry>,
) -> CosmosApp {
    CosmosApp::new(
        config,
        vec![
            Arc::new(crate::ophost::OphostModule::new(
                clock.clone(),
                engines.clone(),
            )),
            Arc::new(crate::bond::BondModule),
            Arc::new(crate::fraud::FraudModule::new(engines)),
        ],
    )
    .with_clock(clock)
}

/// A running L1: its RPC URL, node and clock. Dropping it stops the node.
pub struct L1Handle {
    /// `http://host:port` of the CometBFT RPC.
    pub url: String,
    /// The node.
    pub node: Arc<Node<CosmosApp>>,
    /// The block-time source.
    pub clock: Arc<SystemClock>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for L1Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L1Handle").field("url", &self.url).finish()
    }
}

impl L1Handle {
    /// Stops block production and the RPC and waits for both.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }

    /// Resolves when the producer stops (on error or shutdown).
    pub async fn wait(&mut self) {
        if !self.tasks.is_empty() {
            let producer = self.tasks.remove(0);
            let _ = producer.await;
        }
    }
}

impl Drop for L1Handle {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
    }
}

#[derive(Debug, Deserialize)]
struct AdvanceRequest {
    seconds: u64,
}

async fn advance_time(
    State(clock): State<Arc<SystemClock>>,
    Json(req): Json<AdvanceRequest>,
) -> (StatusCode, Json<serde_json::Value>) {
    match clock.advance(Duration::from_secs(req.seconds)) {
        Ok(total) => {
            tracing::info!(
                by = req.seconds,
                total_offset = total.as_secs(),
                "advanced L1 time"
            );
            (
                StatusCode::OK,
                Json(serde_json::json!({"offset_seconds": total.as_secs()})),
            )
        }
        Err(e) => (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({"error": e.to_string()})),
        ),
    }
}

/// Opens the node of `opts.home`, binds the RPC and starts producing blocks. It judges no
/// engine, so every fraud proof fails with "no engine"; [`start_with_engines`] is what an L1
/// that settles minitias runs (the `minitia-l1` binary passes `minitia_engines::registry`).
pub async fn start(opts: L1Options) -> Result<L1Handle, L1Error> {
    start_with_engines(opts, Arc::new(minitia_fraud_proofs::EngineSet::new())).await
}

/// [`start`] judging fraud proofs with the engines of `engines` (the `minitia-l1` binary
/// registers every minitia kind: `minitia_engines::registry`).
pub async fn start_with_engines(
    opts: L1Options,
    engines: Arc<dyn minitia_fraud_proofs::EngineRegistry>,
) -> Result<L1Handle, L1Error> {
    let listener = tokio::net::TcpListener::bind(opts.rpc_listen)
        .await
        .map_err(|source| L1Error::Bind {
            addr: opts.rpc_listen.to_string(),
            source,
        })?;
    start_on_with_engines(opts, listener, engines).await
}

/// [`start`] on an already bound listener (tests bind port 0).
pub async fn start_on(
    opts: L1Options,
    listener: tokio::net::TcpListener,
) -> Result<L1Handle, L1Error> {
    start_on_with_engines(
        opts,
        listener,
        Arc::new(minitia_fraud_proofs::EngineSet::new()),
    )
    .await
}

/// [`start_on`] judging fraud proofs with the engines of `engines` (wiring that knows the
/// minitias' module sets registers them; see [`l1_app_with_engines`]).
pub async fn start_on_with_engines(
    opts: L1Options,
    listener: tokio::net::TcpListener,
    engines: Arc<dyn minitia_fraud_proofs::EngineRegistry>,
) -> Result<L1Handle, L1Error> {
    let gpath = opts.home.join("genesis.json");
    let genesis = GenesisDoc::load(&gpath)?;
    let bytes = std::fs::read(&gpath).map_err(io(&gpath))?;
    let genesis_json: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| L1Error::Config(format!("{}: {e}", gpath.display())))?;
    let app_config = genesis
        .app_config()
        .map_err(|e| L1Error::Config(format!("{}: {e}", gpath.display())))?;
    let validator = ValidatorKey::load(&opts.home.join("validator_key.json"))?;
    let clock = Arc::new(if opts.dev {
        SystemClock::dev()
    } else {
        SystemClock::new()
    });
    let local = listener
        .local_addr()
        .map_err(|e| L1Error::Config(e.to_string()))?;
    let node_opts = NodeOptions {
        data_dir: opts.home.join("data"),
        genesis,
        genesis_json,
        validator,
        mempool: MempoolLimits::default(),
        max_block_txs: 10_000,
        max_block_bytes: 16 << 20,
        create_empty_blocks: true,
        moniker: "minitia-l1".into(),
        rpc_address: format!("tcp://{local}"),
        retained_versions: 100,
        event_index: true,
        clock: clock.clone(),
    };
    let app = l1_app_with_engines(app_config, clock.clone(), engines);
    let node = tokio::task::spawn_blocking(move || Node::open(app, node_opts))
        .await
        .map_err(|e| L1Error::Config(format!("node open panicked: {e}")))??;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let rpc_router =
        minitia_chain::rpc::router(node.clone(), RpcConfig::default(), stop_rx.clone());
    let dev_router = Router::new()
        .route("/dev/advance_time", post(advance_time))
        .with_state(clock.clone());
    let app = rpc_router.merge(dev_router);
    let mut rpc_stop = stop_rx.clone();
    let rpc = tokio::spawn(async move {
        let r = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rpc_stop.wait_for(|v| *v).await;
            })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "rpc server failed");
        }
    });
    let mut prod_stop = stop_rx;
    let producer_node = node.clone();
    let block_time = opts.block_time;
    let producer = tokio::spawn(async move {
        let r = producer_node
            .run_producer(block_time, async move {
                let _ = prod_stop.wait_for(|v| *v).await;
            })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "block producer stopped");
        }
    });
    tracing::info!(rpc = %local, height = node.height(), dev = opts.dev, "L1 node started");
    Ok(L1Handle {
        url: format!("http://{local}"),
        node,
        clock,
        stop: Some(stop_tx),
        tasks: vec![producer, rpc],
    })
}
