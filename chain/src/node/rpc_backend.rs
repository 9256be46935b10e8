//! [`RpcBackend`] for [`Node`]: block store and state reads shaped as CometBFT responses.

use minitia_core::{Event, Hash32, StateView, TxResult};
use tendermint::{
    abci::{self, types::ExecTxResult, Code},
    block, AppHash, Hash,
};
use tendermint_rpc::{
    endpoint::{
        abci_info, abci_query, block as block_ep, block_results, blockchain, commit, status,
        tx as tx_ep, validators,
    },
    query::Query,
    Order,
};

use super::{
    blockstore::BlockResults,
    instance::{read, Node, NodeError},
    ChainApp,
};
use crate::rpc::{CheckTxOutcome, NodeEvent, RpcBackend, RpcError};

/// The CometBFT version we present; CosmJS picks its 0.38 client from it.
pub const COMETBFT_VERSION: &str = "0.38.17";

impl From<NodeError> for RpcError {
    fn from(e: NodeError) -> Self {
        RpcError::Internal(e.to_string())
    }
}

impl From<super::blockstore::BlockStoreError> for RpcError {
    fn from(e: super::blockstore::BlockStoreError) -> Self {
        RpcError::Internal(e.to_string())
    }
}

fn abci_event(e: &Event) -> abci::Event {
    abci::Event::new(
        e.kind.clone(),
        e.attributes
            .iter()
            .map(|a| abci::EventAttribute::from((a.key.clone(), a.value.clone(), a.index))),
    )
}

fn exec_result(r: &TxResult) -> ExecTxResult {
    ExecTxResult {
        code: Code::from(r.code),
        data: r.data.clone().into(),
        log: r.log.clone(),
        info: String::new(),
        gas_wanted: r.gas_wanted as i64,
        gas_used: r.gas_used as i64,
        events: r.events.iter().map(abci_event).collect(),
        codespace: r.codespace.clone(),
    }
}

pub(crate) fn tx_response(
    hash: Hash,
    height: block::Height,
    index: u32,
    r: &TxResult,
    tx: Vec<u8>,
) -> tx_ep::Response {
    tx_ep::Response {
        hash,
        height,
        index,
        tx_result: exec_result(r),
        tx,
        proof: None,
    }
}

pub(crate) fn block_results_response(
    height: block::Height,
    res: &BlockResults,
    root: Hash32,
) -> block_results::Response {
    block_results::Response {
        height,
        txs_results: Some(res.tx_results.iter().map(exec_result).collect()),
        finalize_block_events: res.block_events.iter().map(abci_event).collect(),
        begin_block_events: None,
        end_block_events: None,
        validator_updates: vec![],
        consensus_param_updates: None,
        app_hash: AppHash::try_from(root.0.to_vec()).unwrap_or_default(),
    }
}

fn height_of(h: u64) -> Result<block::Height, RpcError> {
    block::Height::try_from(h).map_err(|e| RpcError::InvalidParams(e.to_string()))
}

impl<A: ChainApp> Node<A> {
    fn resolve_height(&self, h: Option<u64>) -> Result<u64, RpcError> {
        let latest = self.height();
        match h {
            None | Some(0) => Ok(latest),
            Some(h) if h > latest => Err(RpcError::HeightUnavailable {
                requested: h,
                latest,
            }),
            Some(h) => Ok(h),
        }
    }

    fn block_response(&self, h: u64) -> Result<block_ep::Response, RpcError> {
        let block = self
            .blocks
            .block(h)?
            .ok_or_else(|| RpcError::NotFound(format!("block {h}")))?;
        let commit = self
            .blocks
            .commit(h)?
            .ok_or_else(|| RpcError::NotFound(format!("commit {h}")))?;
        Ok(block_ep::Response {
            block_id: commit.block_id,
            block,
        })
    }

    fn load_tx(&self, height: u64, index: u32) -> Result<tx_ep::Response, RpcError> {
        let block = self
            .blocks
            .block(height)?
            .ok_or_else(|| RpcError::NotFound(format!("block {height}")))?;
        let results = self.blocks.results(height)?.unwrap_or_default();
        let raw = block
            .data
            .get(index as usize)
            .cloned()
            .ok_or_else(|| RpcError::NotFound(format!("tx {index} of block {height}")))?;
        let r = results
            .tx_results
            .get(index as usize)
            .cloned()
            .unwrap_or_default();
        let hash = Hash::Sha256(minitia_core::sha256(&raw).0);
        Ok(tx_response(hash, block.header.height, index, &r, raw))
    }

    /// Serves `/store/<name>/key` raw-key queries with ICS-23 proofs (`prove=true`); the
    /// value and proof are against the root in header `height + 1`.
    fn store_query(
        &self,
        data: &[u8],
        height: u64,
        prove: bool,
    ) -> Result<abci_query::AbciQuery, RpcError> {
        let (value, proof) = if prove {
            let store = read(&self.store);
            let kp = store
                .prove_key(super::instance::version_of(height), data)
                .map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            let op = tendermint::merkle::proof::ProofOp {
                field_type: "ics23:smt".into(),
                key: data.to_vec(),
                data: prost::Message::encode_to_vec(&kp.proof),
            };
            (
                kp.value.unwrap_or_default(),
                Some(tendermint::merkle::proof::ProofOps { ops: vec![op] }),
            )
        } else {
            let v = self
                .view_at(height)?
                .get(data)
                .map_err(|e| RpcError::Internal(e.to_string()))?;
            (v.unwrap_or_default(), None)
        };
        Ok(abci_query::AbciQuery {
            key: data.to_vec(),
            value,
            proof,
            height: height_of(height)?,
            ..Default::default()
        })
    }
}

impl<A: ChainApp> RpcBackend for Node<A> {
    fn metrics(&self) -> String {
        use minitia_core::metrics::{Exposition, Kind};
        let (height, time, txs, failed) = {
            let t = self.tip.read().unwrap_or_else(|e| e.into_inner());
            (t.height, t.time, t.results.txs, t.results.failed)
        };
        let (pending, bytes) = {
            let m = self.mempool.lock().unwrap_or_else(|e| e.into_inner());
            (m.len(), m.bytes())
        };
        let chain = || vec![("chain_id", self.chain_id.to_string())];
        let block_time = time
            .duration_since(tendermint::Time::unix_epoch())
            .map_or(0.0, |d| d.as_secs_f64());
        Exposition::new()
            .family(
                "minitia_chain_height",
                "Latest committed block height.",
                Kind::Gauge,
                [(chain(), height as f64)],
            )
            .family(
                "minitia_chain_block_time_seconds",
                "Unix time of the latest block's header.",
                Kind::Gauge,
                [(chain(), block_time)],
            )
            .family(
                "minitia_chain_block_txs",
                "Txs in the latest block.",
                Kind::Gauge,
                [(chain(), txs as f64)],
            )
            .family(
                "minitia_chain_block_failed_txs",
                "Txs of the latest block that failed (non-zero code).",
                Kind::Gauge,
                [(chain(), failed as f64)],
            )
            .family(
                "minitia_chain_mempool_txs",
                "Txs accepted and waiting for a block.",
                Kind::Gauge,
                [(chain(), pending as f64)],
            )
            .family(
                "minitia_chain_mempool_bytes",
                "Bytes of the txs waiting for a block.",
                Kind::Gauge,
                [(chain(), bytes as f64)],
            )
            .family(
                "minitia_chain_follower",
                "1 when the node follows a sequencer instead of producing blocks.",
                Kind::Gauge,
                [(chain(), f64::from(u8::from(self.is_follower())))],
            )
            .family(
                "minitia_chain_follow_halted",
                "1 when a follower stopped at a block it could not apply.",
                Kind::Gauge,
                [(chain(), f64::from(u8::from(self.follow_error().is_some())))],
            )
            .finish()
    }

    fn status(&self) -> Result<status::Response, RpcError> {
        let h = self.height();
        let latest = if h > 0 {
            Some(self.block_response(h)?)
        } else {
            None
        };
        let earliest = if h > 0 {
            Some(self.block_response(1)?)
        } else {
            None
        };
        let node_id = tendermint::node::Id::from(match self.opts.validator.public_key() {
            tendermint::PublicKey::Ed25519(k) => k,
            _ => return Err(RpcError::Internal("validator key is not ed25519".into())),
        });
        let node_info: tendermint::node::Info = serde_json::from_value(serde_json::json!({
            "protocol_version": {"p2p": "8", "block": "11", "app": "1"},
            "id": node_id.to_string(),
            "listen_addr": "tcp://0.0.0.0:26656",
            "network": self.chain_id.as_str(),
            "version": COMETBFT_VERSION,
            "channels": "40202122233038606100",
            "moniker": self.opts.moniker,
            "other": {"tx_index": "on", "rpc_address": self.opts.rpc_address},
        }))
        .map_err(|e| RpcError::Internal(format!("node info: {e}")))?;
        let gen_time = self.opts.genesis.genesis_time;
        let (lh, lt, lhash) = latest
            .as_ref()
            .map_or((block::Height::default(), gen_time, Hash::None), |b| {
                (b.block.header.height, b.block.header.time, b.block_id.hash)
            });
        let (eh, et, ehash, eapp) = earliest.as_ref().map_or(
            (
                block::Height::default(),
                gen_time,
                Hash::None,
                AppHash::default(),
            ),
            |b| {
                (
                    b.block.header.height,
                    b.block.header.time,
                    b.block_id.hash,
                    b.block.header.app_hash.clone(),
                )
            },
        );
        let root = self.root_at(h)?;
        Ok(status::Response {
            node_info,
            sync_info: status::SyncInfo {
                earliest_block_hash: ehash,
                earliest_app_hash: eapp,
                earliest_block_height: eh,
                earliest_block_time: et,
                latest_block_hash: lhash,
                latest_app_hash: AppHash::try_from(root.0.to_vec()).unwrap_or_default(),
                latest_block_height: lh,
                latest_block_time: lt,
                catching_up: false,
            },
            validator_info: self.opts.validator.validator_info(10),
        })
    }

    fn genesis(&self) -> Result<serde_json::Value, RpcError> {
        Ok(self.opts.genesis_json.clone())
    }

    fn abci_info(&self) -> Result<abci_info::Response, RpcError> {
        let h = self.height();
        Ok(abci_info::Response {
            response: abci::response::Info {
                data: "minitia".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                app_version: 1,
                last_block_height: height_of(h)?,
                last_block_app_hash: AppHash::try_from(self.root_at(h)?.0.to_vec())
                    .unwrap_or_default(),
            },
        })
    }

    fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: u64,
        prove: bool,
    ) -> Result<abci_query::AbciQuery, RpcError> {
        let h = self.resolve_height(Some(height))?;
        if path.starts_with("/store/") || path.starts_with("store/") {
            return self.store_query(data, h, prove);
        }
        let view = self.view_at(h)?;
        match self.app.query(&view, h, path, data) {
            Ok(value) => Ok(abci_query::AbciQuery {
                value,
                height: height_of(h)?,
                ..Default::default()
            }),
            Err(e) => {
                let (codespace, code) = e.abci_code();
                Ok(abci_query::AbciQuery {
                    code: Code::from(code),
                    codespace: codespace.into(),
                    log: e.to_string(),
                    height: height_of(h)?,
                    ..Default::default()
                })
            }
        }
    }

    fn submit_tx(&self, tx: Vec<u8>) -> Result<CheckTxOutcome, RpcError> {
        Ok(Node::submit_tx(self, tx)?)
    }

    fn block(&self, height: Option<u64>) -> Result<block_ep::Response, RpcError> {
        let h = self.resolve_height(height)?;
        if h == 0 {
            return Err(RpcError::NotFound("no blocks yet".into()));
        }
        self.block_response(h)
    }

    fn block_by_hash(&self, hash: Hash) -> Result<Option<block_ep::Response>, RpcError> {
        match self.blocks.height_of_block(hash.as_bytes())? {
            Some(h) if h <= self.height() => self.block_response(h).map(Some),
            _ => Ok(None),
        }
    }

    fn block_results(&self, height: Option<u64>) -> Result<block_results::Response, RpcError> {
        let h = self.resolve_height(height)?;
        let res = self
            .blocks
            .results(h)?
            .ok_or_else(|| RpcError::NotFound(format!("results of block {h}")))?;
        Ok(block_results_response(
            height_of(h)?,
            &res,
            self.root_at(h)?,
        ))
    }

    fn blockchain(&self, min: u64, max: u64) -> Result<blockchain::Response, RpcError> {
        let latest = self.height();
        let max = if max == 0 { latest } else { max.min(latest) };
        let min = min.max(1).max(max.saturating_sub(19));
        let mut metas = Vec::new();
        for h in (min..=max).rev() {
            let b = self.block_response(h)?;
            let size = tendermint_proto::Protobuf::<tendermint_proto::types::Block>::encode_vec(
                b.block.clone(),
            )
            .len();
            metas.push(block::Meta {
                block_id: b.block_id,
                block_size: size as i64,
                num_txs: b.block.data.len() as i64,
                header: b.block.header,
            });
        }
        Ok(blockchain::Response {
            last_height: height_of(latest)?,
            block_metas: metas,
        })
    }

    fn commit(&self, height: Option<u64>) -> Result<commit::Response, RpcError> {
        let h = self.resolve_height(height)?;
        let b = self.block_response(h)?;
        let c = self
            .blocks
            .commit(h)?
            .ok_or_else(|| RpcError::NotFound(format!("commit {h}")))?;
        let sh = tendermint::block::signed_header::SignedHeader::new(b.block.header, c)
            .map_err(|e| RpcError::Internal(e.to_string()))?;
        Ok(commit::Response {
            signed_header: sh,
            canonical: true,
        })
    }

    fn validators(&self, height: Option<u64>) -> Result<validators::Response, RpcError> {
        let h = self.resolve_height(height)?;
        let vals = self.validators.validators().clone();
        let n = vals.len() as i32;
        Ok(validators::Response::new(height_of(h.max(1))?, vals, n))
    }

    fn tx(&self, hash: Hash) -> Result<Option<tx_ep::Response>, RpcError> {
        // A block is visible only once its state is committed (the tip moved), so a client
        // that sees its tx also sees its effects.
        match self.blocks.tx_location(hash.as_bytes())? {
            Some((h, i)) if h <= self.height() => self.load_tx(h, i).map(Some),
            _ => Ok(None),
        }
    }

    fn tx_search(
        &self,
        query: &Query,
        page: u32,
        per_page: u8,
        order: Order,
    ) -> Result<(Vec<tx_ep::Response>, u32), RpcError> {
        let mut locs = self.search_locations(query)?;
        if matches!(order, Order::Descending) {
            locs.reverse();
        }
        let total = locs.len() as u32;
        let per = per_page.clamp(1, 100) as usize;
        let start = (page.max(1) as usize - 1) * per;
        let txs = locs
            .iter()
            .skip(start)
            .take(per)
            .map(|(h, i)| self.load_tx(*h, *i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((txs, total))
    }

    fn latest_height(&self) -> block::Height {
        block::Height::try_from(self.height()).unwrap_or_default()
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<NodeEvent> {
        Node::subscribe(self)
    }
}

impl<A: ChainApp> Node<A> {
    /// Tx locations matching `query`, in chain order. Equality conditions on indexed
    /// attributes use the event index; every candidate is then checked against the whole
    /// query with the same matcher websocket subscriptions use.
    fn search_locations(&self, query: &Query) -> Result<Vec<(u64, u32)>, RpcError> {
        use tendermint_rpc::query::{Condition, Operand, Operation};
        let eq = query
            .conditions
            .iter()
            .find_map(|c: &Condition| match &c.operation {
                Operation::Eq(Operand::String(v))
                    if c.key != "tm.event" && c.key != "tx.height" && c.key != "tx.hash" =>
                {
                    Some((c.key.clone(), v.clone()))
                }
                Operation::Eq(op) if c.key == "tx.height" => {
                    Some((c.key.clone(), op.to_string().trim_matches('\'').to_string()))
                }
                Operation::Eq(Operand::String(v)) if c.key == "tx.hash" => {
                    Some((c.key.clone(), v.clone()))
                }
                _ => None,
            });
        let candidates: Vec<(u64, u32)> = match eq {
            Some((k, v)) if k == "tx.hash" => {
                let h = Hash32::from_hex(&v).ok_or_else(|| {
                    RpcError::InvalidParams(format!("tx.hash {v:?} is not a hash"))
                })?;
                self.blocks.tx_location(h.as_bytes())?.into_iter().collect()
            }
            Some((k, v)) if k == "tx.height" => {
                let h: u64 = v.parse().map_err(|_| {
                    RpcError::InvalidParams(format!("tx.height {v:?} is not a number"))
                })?;
                let n = self.blocks.block(h)?.map_or(0, |b| b.data.len());
                (0..n as u32).map(|i| (h, i)).collect()
            }
            Some((k, v)) => self.blocks.txs_with_event(&k, &v)?,
            None => {
                let mut all = Vec::new();
                for h in 1..=self.height() {
                    let n = self.blocks.block(h)?.map_or(0, |b| b.data.len());
                    all.extend((0..n as u32).map(|i| (h, i)));
                }
                all
            }
        };
        let mut out = Vec::new();
        let tip = self.height();
        for (h, i) in candidates.into_iter().filter(|(h, _)| *h <= tip) {
            let tx = self.load_tx(h, i)?;
            let mut events = crate::rpc::flatten_events(&tx.tx_result.events);
            events.insert("tx.hash".into(), vec![tx.hash.to_string()]);
            events.insert("tx.height".into(), vec![h.to_string()]);
            events.insert("tm.event".into(), vec!["Tx".into()]);
            if crate::rpc::query_match::matches(query, &events) {
                out.push((h, i));
            }
        }
        Ok(out)
    }
}
