//! Log filters (eth_getLogs, eth_newFilter, eth_subscribe logs) and installed filters.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use revm::primitives::{Address, B256};
use serde_json::Value;

use super::{types::*, RpcErr};
use minitia_vm_evm::receipt::StoredLog;

/// Installed filters not polled for this long are dropped (geth's default).
const FILTER_TIMEOUT: Duration = Duration::from_secs(300);
/// Most filters installed at once.
const MAX_FILTERS: usize = 10_000;

/// A log filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFilter {
    /// `fromBlock` tag or number.
    pub from_block: Option<Value>,
    /// `toBlock` tag or number.
    pub to_block: Option<Value>,
    /// A single block by hash (excludes from/to).
    pub block_hash: Option<B256>,
    /// Any of these addresses (empty = any).
    pub addresses: Vec<Address>,
    /// Per position: any of these topics (empty = any).
    pub topics: Vec<Vec<B256>>,
}

impl LogFilter {
    /// Parses a filter object.
    pub fn parse(v: &Value) -> Result<Self, RpcErr> {
        let mut f = Self::default();
        if v.is_null() {
            return Ok(f);
        }
        let o = v
            .as_object()
            .ok_or_else(|| RpcErr::invalid_params("filter must be an object"))?;
        f.from_block = o.get("fromBlock").filter(|v| !v.is_null()).cloned();
        f.to_block = o.get("toBlock").filter(|v| !v.is_null()).cloned();
        if let Some(h) = o.get("blockHash").and_then(Value::as_str) {
            if f.from_block.is_some() || f.to_block.is_some() {
                return Err(RpcErr::invalid_params(
                    "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
                ));
            }
            f.block_hash = Some(parse_b256(h)?);
        }
        match o.get("address") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => f.addresses.push(parse_address(s)?),
            Some(Value::Array(a)) => {
                for x in a {
                    let s = x
                        .as_str()
                        .ok_or_else(|| RpcErr::invalid_params("invalid address in filter"))?;
                    f.addresses.push(parse_address(s)?);
                }
            }
            Some(_) => return Err(RpcErr::invalid_params("invalid address in filter")),
        }
        if let Some(Value::Array(ts)) = o.get("topics") {
            if ts.len() > 4 {
                return Err(RpcErr::invalid_params("too many topics, max is 4"));
            }
            for t in ts {
                f.topics.push(match t {
                    Value::Null => vec![],
                    Value::String(s) => vec![parse_b256(s)?],
                    Value::Array(a) => a
                        .iter()
                        .filter(|x| !x.is_null())
                        .map(|x| {
                            x.as_str()
                                .ok_or_else(|| RpcErr::invalid_params("invalid topic"))
                                .and_then(parse_b256)
                        })
                        .collect::<Result<_, _>>()?,
                    _ => return Err(RpcErr::invalid_params("invalid topic")),
                });
            }
        }
        Ok(f)
    }

    /// Does `log` match?
    pub fn matches(&self, log: &StoredLog) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        self.topics
            .iter()
            .enumerate()
            .all(|(i, want)| want.is_empty() || log.topics.get(i).is_some_and(|t| want.contains(t)))
    }
}

enum Kind {
    Logs(LogFilter),
    Blocks,
    Pending,
}

struct Installed {
    kind: Kind,
    /// Last height already reported.
    last: u64,
    touched: Instant,
}

/// What a poll returns.
pub enum Change {
    /// New block hashes for heights `from..=to` (empty when from > to).
    Blocks(u64, u64),
    /// Logs of heights `from..=to` matching the filter.
    Logs(LogFilter, u64, u64),
    /// Pending tx filters report nothing (txs are visible once in a block).
    Pending,
}

/// Installed filters.
#[derive(Default)]
pub struct Filters {
    next: u64,
    map: BTreeMap<String, Installed>,
}

impl Filters {
    fn install(&mut self, kind: Kind, head: u64) -> String {
        let now = Instant::now();
        self.map
            .retain(|_, f| now.duration_since(f.touched) < FILTER_TIMEOUT);
        if self.map.len() >= MAX_FILTERS {
            if let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, f)| f.touched)
                .map(|(k, _)| k.clone())
            {
                self.map.remove(&oldest);
            }
        }
        self.next += 1;
        let id = format!("{:#x}", self.next);
        self.map.insert(
            id.clone(),
            Installed {
                kind,
                last: head,
                touched: now,
            },
        );
        id
    }

    /// Installs a log filter.
    pub fn install_logs(&mut self, f: LogFilter, head: u64) -> String {
        self.install(Kind::Logs(f), head)
    }

    /// Installs a block filter.
    pub fn install_blocks(&mut self, head: u64) -> String {
        self.install(Kind::Blocks, head)
    }

    /// Installs a pending-tx filter.
    pub fn install_pending(&mut self) -> String {
        self.install(Kind::Pending, 0)
    }

    /// Removes a filter; true if it existed.
    pub fn remove(&mut self, id: &str) -> bool {
        self.map.remove(id).is_some()
    }

    /// The log filter of `id`.
    pub fn log_filter(&self, id: &str) -> Option<LogFilter> {
        match &self.map.get(id)?.kind {
            Kind::Logs(f) => Some(f.clone()),
            _ => None,
        }
    }

    /// What changed since the last poll, up to `head`.
    pub fn poll(&mut self, id: &str, head: u64) -> Option<Change> {
        let f = self.map.get_mut(id)?;
        f.touched = Instant::now();
        let from = f.last + 1;
        f.last = f.last.max(head);
        Some(match &f.kind {
            Kind::Blocks => Change::Blocks(from, head),
            Kind::Logs(l) => Change::Logs(l.clone(), from, head),
            Kind::Pending => Change::Pending,
        })
    }
}
