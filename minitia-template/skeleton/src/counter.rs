//! An example module of this chain's own: a counter anyone can increment.
//!
//! A module is a Cosmos SDK-style message and query service: it names its message type URLs
//! and query paths, says who must sign each message, executes messages against state through
//! a metered [`Ctx`] and answers queries from a read-only view. Clients reach it as they reach
//! any Cosmos module: a `MsgIncrement` in a signed Cosmos tx (CosmJS with this type in its
//! registry), and `abci_query` on `/counter.v1.Query/Count`.
//!
//! State lives under this module's own key prefix in the chain's one commitment, so every
//! write is in the app hash and the output roots the chain posts to the L1.

use minitia_app::{
    ctx::Ctx,
    errors::{code, sdk, ExecResult},
    module::{decode_query, parse_addr, unpack},
    Any, AppConfig, Module, QueryCtx, QueryError,
};
use minitia_core::{Address, Event, TxError};
use prost::Message;

/// `MsgIncrement`'s type URL.
pub const MSG_INCREMENT: &str = "/counter.v1.MsgIncrement";
/// `MsgIncrementResponse`'s type URL.
pub const MSG_INCREMENT_RESPONSE: &str = "/counter.v1.MsgIncrementResponse";
/// The count query's path.
pub const QUERY_COUNT: &str = "/counter.v1.Query/Count";

/// Where the count is kept (this module's prefix, `counter/`).
const COUNT_KEY: &[u8] = b"counter/count";

/// Adds `by` to the counter; signed by `sender`.
#[derive(Clone, PartialEq, Message)]
pub struct MsgIncrement {
    /// The signer (bech32).
    #[prost(string, tag = "1")]
    pub sender: String,
    /// How much to add (at least 1).
    #[prost(uint64, tag = "2")]
    pub by: u64,
}

/// The count after an increment.
#[derive(Clone, PartialEq, Message)]
pub struct MsgIncrementResponse {
    /// The new count.
    #[prost(uint64, tag = "1")]
    pub count: u64,
}

/// Asks for the count.
#[derive(Clone, PartialEq, Message)]
pub struct QueryCountRequest {}

/// The count.
#[derive(Clone, PartialEq, Message)]
pub struct QueryCountResponse {
    /// The count.
    #[prost(uint64, tag = "1")]
    pub count: u64,
}

/// The counter module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counter;

fn decode_count(bytes: Option<Vec<u8>>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map_or(0, u64::from_be_bytes)
}

impl Module for Counter {
    fn name(&self) -> &'static str {
        "counter"
    }

    fn msg_types(&self) -> &'static [&'static str] {
        &[MSG_INCREMENT]
    }

    fn signers(&self, msg: &Any, config: &AppConfig) -> Result<Vec<Address>, TxError> {
        let m: MsgIncrement = unpack(msg)?;
        Ok(vec![parse_addr("sender", &m.sender, config)?])
    }

    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> ExecResult<Any> {
        let m: MsgIncrement = unpack(msg)?;
        if m.by == 0 {
            return Err(sdk(code::INVALID_REQUEST, "by must be at least 1: invalid request").into());
        }
        let count = decode_count(ctx.get(COUNT_KEY)?)
            .checked_add(m.by)
            .ok_or_else(|| sdk(code::INVALID_REQUEST, "the counter would overflow u64"))?;
        ctx.set(COUNT_KEY.to_vec(), count.to_be_bytes().to_vec())?;
        ctx.emit(
            Event::new("increment")
                .attr("sender", m.sender)
                .attr("by", m.by.to_string())
                .attr("count", count.to_string()),
        );
        Ok(Any {
            type_url: MSG_INCREMENT_RESPONSE.into(),
            value: MsgIncrementResponse { count }.encode_to_vec(),
        })
    }

    fn query_paths(&self) -> &'static [&'static str] {
        &[QUERY_COUNT]
    }

    fn query(&self, q: &QueryCtx<'_>, path: &str, data: &[u8]) -> Result<Vec<u8>, QueryError> {
        match path {
            QUERY_COUNT => {
                decode_query::<QueryCountRequest>(data)?;
                let count = decode_count(q.view.get(COUNT_KEY)?);
                Ok(QueryCountResponse { count }.encode_to_vec())
            }
            other => Err(QueryError::invalid(format!("unknown query path {other}"))),
        }
    }

    /// Genesis section `app_state.counter`: `{"count": "5"}` starts there (absent: 0).
    fn init_genesis(&self, ctx: &mut Ctx<'_>, state: &serde_json::Value) -> ExecResult<()> {
        let Some(count) = state.get("count") else {
            return Ok(());
        };
        let count: u64 = count
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| sdk(code::INVALID_REQUEST, "app_state.counter.count must be a u64 in a string"))?;
        ctx.set(COUNT_KEY.to_vec(), count.to_be_bytes().to_vec())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use minitia_app::gas::GasMeter;
    use minitia_core::{BlockContext, ChainId, Hash32, Height, StateIter, StateView};

    use super::*;

    fn sender() -> String {
        Address::from_slice(&[7; 20]).unwrap().to_bech32("init")
    }

    fn config() -> AppConfig {
        AppConfig::new(ChainId::new("demo-1".to_string()).unwrap(), "init", "umin")
    }

    fn block() -> BlockContext {
        BlockContext {
            chain_id: ChainId::new("demo-1".to_string()).unwrap(),
            height: Height(1),
            time_unix_nanos: 0,
            proposer: Address::default(),
            max_gas: 0,
            last_block_hash: Hash32::default(),
        }
    }

    fn increment(by: u64) -> Any {
        Any {
            type_url: MSG_INCREMENT.into(),
            value: MsgIncrement {
                sender: sender(),
                by,
            }
            .encode_to_vec(),
        }
    }

    /// The committed state in these tests: a map that also answers prefix scans.
    struct Map(BTreeMap<Vec<u8>, Vec<u8>>);
    impl StateView for Map {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, minitia_core::StateError> {
            Ok(self.0.get(key).cloned())
        }
    }
    impl StateIter for Map {
        fn iter_prefix(
            &self,
            prefix: &[u8],
            limit: usize,
        ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, minitia_core::StateError> {
            Ok(self
                .0
                .range(prefix.to_vec()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .take(limit)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        }
    }

    #[test]
    fn increments_emit_an_event_and_the_query_reads_the_count() {
        let (config, block) = (config(), block());
        let mut state = Map(BTreeMap::new());
        for (by, expect) in [(2, 2), (5, 7)] {
            let mut ctx = Ctx::new(&state, &block, &config, GasMeter::new(1_000_000));
            let resp = Counter.deliver(&mut ctx, &increment(by)).unwrap();
            assert_eq!(MsgIncrementResponse::decode(resp.value.as_slice()).unwrap().count, expect);
            let (writes, events, _) = ctx.into_parts();
            assert_eq!(events[0].kind, "increment");
            for (k, v) in writes.0 {
                state.0.insert(k, v.unwrap());
            }
        }
        let q = QueryCtx {
            view: &state,
            config: &config,
            height: 1,
        };
        let resp = Counter.query(&q, QUERY_COUNT, &[]).unwrap();
        assert_eq!(QueryCountResponse::decode(resp.as_slice()).unwrap().count, 7);
        let signers = Counter.signers(&increment(1), &config).unwrap();
        assert_eq!(signers[0].to_bech32("init"), sender());
    }

    #[test]
    fn a_zero_increment_is_refused_and_writes_nothing() {
        let (config, block) = (config(), block());
        let state = Map(BTreeMap::new());
        let mut ctx = Ctx::new(&state, &block, &config, GasMeter::new(1_000_000));
        let e = Counter.deliver(&mut ctx, &increment(0)).unwrap_err();
        assert!(e.to_string().contains("by must be at least 1"), "{e}");
        assert!(ctx.into_parts().0 .0.is_empty());
    }
}
