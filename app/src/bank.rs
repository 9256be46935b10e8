//! `x/bank`: balances, supply, denom metadata and `MsgSend`.

use cosmrs::proto::cosmos::bank::v1beta1 as pb;
use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::Any;
use minitia_core::{Address, Event, TxError};
use prost::{Message, Name};
use serde::Deserialize;

use super::{
    auth,
    coin::{coins_to_string, parse_coins, validate_denom, Coin},
    config::AppConfig,
    ctx::Ctx,
    errors::{code, sdk, ExecError, ExecResult},
    module::{decode_query, parse_addr, unpack, Module, QueryCtx, QueryError},
};

const BALANCE_PREFIX: &[u8] = b"bank/bal/";
const SUPPLY_PREFIX: &[u8] = b"bank/supply/";
const METADATA_PREFIX: &[u8] = b"bank/meta/";
const DENOM_INDEX_PREFIX: &[u8] = b"bank/denom/";

/// The object address Initia gives a coin: `sha3_256(0x1 (32 bytes) || denom || 0xFE)`, the
/// address of the named object `denom` created by `0x1` — Initia's
/// `coin::metadata(@0x1, denom)`. The Move VM names coins by it (`Object<Metadata>`).
pub fn denom_object_address(denom: &str) -> [u8; 32] {
    use sha3::Digest;
    let mut one = [0u8; 32];
    one[31] = 1;
    sha3::Sha3_256::new()
        .chain_update(one)
        .chain_update(denom.as_bytes())
        .chain_update([0xFE])
        .finalize()
        .into()
}

/// `bank/denom/` + [`denom_object_address`] → denom: written when a denom is first minted,
/// so that execution can resolve a coin's object address without iterating state.
pub fn denom_index_key(object_address: &[u8; 32]) -> Vec<u8> {
    [DENOM_INDEX_PREFIX, object_address.as_slice()].concat()
}

/// `bank/bal/` + address + denom → amount (u128 big-endian).
pub fn balance_key(addr: &Address, denom: &str) -> Vec<u8> {
    [BALANCE_PREFIX, addr.as_bytes(), denom.as_bytes()].concat()
}

/// `bank/supply/` + denom → total supply (u128 big-endian).
pub fn supply_key(denom: &str) -> Vec<u8> {
    [SUPPLY_PREFIX, denom.as_bytes()].concat()
}

fn decode_amount(b: &[u8]) -> ExecResult<u128> {
    <[u8; 16]>::try_from(b)
        .map(u128::from_be_bytes)
        .map_err(|_| {
            ExecError::Fatal(minitia_core::EngineError::Invariant(
                "stored amount is not 16 bytes".into(),
            ))
        })
}

/// Balance of `addr` in `denom`.
pub fn balance(ctx: &mut Ctx<'_>, addr: &Address, denom: &str) -> ExecResult<u128> {
    match ctx.get(&balance_key(addr, denom))? {
        None => Ok(0),
        Some(b) => decode_amount(&b),
    }
}

/// Sets a balance directly (supply unchanged): for engines whose own transfers keep supply,
/// such as the Move VM's coin natives. Zero deletes the entry.
pub fn set_balance(ctx: &mut Ctx<'_>, addr: &Address, denom: &str, amount: u128) -> ExecResult<()> {
    if amount == 0 {
        ctx.delete(balance_key(addr, denom))
    } else {
        ctx.set(balance_key(addr, denom), amount.to_be_bytes().to_vec())
    }
}

/// Total supply of `denom`.
pub fn supply(ctx: &mut Ctx<'_>, denom: &str) -> ExecResult<u128> {
    match ctx.get(&supply_key(denom))? {
        None => Ok(0),
        Some(b) => decode_amount(&b),
    }
}

fn sub_balance(ctx: &mut Ctx<'_>, addr: &Address, coin: &Coin) -> ExecResult<()> {
    let have = balance(ctx, addr, &coin.denom)?;
    let Some(left) = have.checked_sub(coin.amount) else {
        return Err(sdk(
            code::INSUFFICIENT_FUNDS,
            format!(
                "spendable balance {have}{} is smaller than {coin}: insufficient funds",
                coin.denom
            ),
        )
        .into());
    };
    set_balance(ctx, addr, &coin.denom, left)
}

fn add_balance(ctx: &mut Ctx<'_>, addr: &Address, coin: &Coin) -> ExecResult<()> {
    let have = balance(ctx, addr, &coin.denom)?;
    let new = have.checked_add(coin.amount).ok_or_else(|| {
        sdk(
            code::INVALID_COINS,
            format!("balance of {addr} in {} would overflow", coin.denom),
        )
    })?;
    set_balance(ctx, addr, &coin.denom, new)
}

/// Moves coins, creating the recipient account if needed; emits the SDK's
/// `coin_spent` / `coin_received` / `transfer` events.
pub fn send(ctx: &mut Ctx<'_>, from: &Address, to: &Address, coins: &[Coin]) -> ExecResult<()> {
    move_coins(ctx, from, to, coins)?;
    let p = &ctx.config.bech32_prefix;
    let (from, to) = (from.to_bech32(p), to.to_bech32(p));
    let amount = coins_to_string(coins);
    ctx.emit(
        Event::new("coin_spent")
            .attr("spender", &from)
            .attr("amount", &amount),
    );
    ctx.emit(
        Event::new("coin_received")
            .attr("receiver", &to)
            .attr("amount", &amount),
    );
    ctx.emit(
        Event::new("transfer")
            .attr("recipient", to)
            .attr("sender", from)
            .attr("amount", amount),
    );
    Ok(())
}

/// [`send`] without its events, for transfers whose events the caller drops (the ante
/// handler's fee payment, which reports only the SDK's `tx` fee event).
pub(crate) fn move_coins(
    ctx: &mut Ctx<'_>,
    from: &Address,
    to: &Address,
    coins: &[Coin],
) -> ExecResult<()> {
    for c in coins {
        sub_balance(ctx, from, c)?;
        add_balance(ctx, to, c)?;
    }
    auth::ensure_account(ctx, to).map(|_| ())
}

/// Creates coins in `to` and raises supply.
pub fn mint(ctx: &mut Ctx<'_>, to: &Address, coins: &[Coin]) -> ExecResult<()> {
    for c in coins {
        add_balance(ctx, to, c)?;
        let before = supply(ctx, &c.denom)?;
        if before == 0 {
            ctx.set(
                denom_index_key(&denom_object_address(&c.denom)),
                c.denom.as_bytes().to_vec(),
            )?;
        }
        let s = before.checked_add(c.amount).ok_or_else(|| {
            sdk(
                code::INVALID_COINS,
                format!("supply of {} would overflow", c.denom),
            )
        })?;
        ctx.set(supply_key(&c.denom), s.to_be_bytes().to_vec())?;
    }
    auth::ensure_account(ctx, to)?;
    let p = ctx.config.bech32_prefix.clone();
    ctx.emit(
        Event::new("coinbase")
            .attr("minter", to.to_bech32(&p))
            .attr("amount", coins_to_string(coins)),
    );
    Ok(())
}

/// Destroys coins held by `from` and lowers supply.
pub fn burn(ctx: &mut Ctx<'_>, from: &Address, coins: &[Coin]) -> ExecResult<()> {
    for c in coins {
        sub_balance(ctx, from, c)?;
        let s = supply(ctx, &c.denom)?.saturating_sub(c.amount);
        if s == 0 {
            ctx.delete(supply_key(&c.denom))?;
        } else {
            ctx.set(supply_key(&c.denom), s.to_be_bytes().to_vec())?;
        }
    }
    let p = ctx.config.bech32_prefix.clone();
    ctx.emit(
        Event::new("burn")
            .attr("burner", from.to_bech32(&p))
            .attr("amount", coins_to_string(coins)),
    );
    Ok(())
}

/// Genesis section of bank, in the Cosmos SDK's JSON shape.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BankGenesis {
    balances: Vec<GenesisBalance>,
    denom_metadata: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct GenesisBalance {
    address: String,
    coins: Vec<Coin>,
}

/// The bank module.
#[derive(Debug, Default, Clone, Copy)]
pub struct BankModule;

const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";
const Q_BALANCE: &str = "/cosmos.bank.v1beta1.Query/Balance";
const Q_ALL_BALANCES: &str = "/cosmos.bank.v1beta1.Query/AllBalances";
const Q_SPENDABLE: &str = "/cosmos.bank.v1beta1.Query/SpendableBalances";
const Q_TOTAL_SUPPLY: &str = "/cosmos.bank.v1beta1.Query/TotalSupply";
const Q_SUPPLY_OF: &str = "/cosmos.bank.v1beta1.Query/SupplyOf";
const Q_DENOM_METADATA: &str = "/cosmos.bank.v1beta1.Query/DenomMetadata";
const Q_DENOMS_METADATA: &str = "/cosmos.bank.v1beta1.Query/DenomsMetadata";
const Q_PARAMS: &str = "/cosmos.bank.v1beta1.Query/Params";

fn paginate(
    q: &QueryCtx<'_>,
    prefix: &[u8],
    page: Option<&PageRequest>,
) -> Result<(minitia_core::state::KvPairs, Option<PageResponse>), QueryError> {
    const DEFAULT_LIMIT: u64 = 100;
    const MAX_LIMIT: u64 = 1000;
    let (key, offset, limit, count_total) = match page {
        Some(p) => (
            p.key.clone(),
            p.offset,
            if p.limit == 0 {
                DEFAULT_LIMIT
            } else {
                p.limit.min(MAX_LIMIT)
            },
            p.count_total,
        ),
        None => (Vec::new(), 0, DEFAULT_LIMIT, false),
    };
    // Offset pages read only up to the page end (+1 to learn the next key); `StateIter` has
    // no start key, so key-based pages and `count_total` read the whole prefix.
    let bound = if key.is_empty() && !count_total {
        (offset as usize)
            .saturating_add(limit as usize)
            .saturating_add(1)
    } else {
        usize::MAX
    };
    let all = q.view.iter_prefix(prefix, bound)?;
    let start = if key.is_empty() {
        offset as usize
    } else {
        let full = [prefix, &key].concat();
        all.iter()
            .position(|(k, _)| *k >= full)
            .unwrap_or(all.len())
    };
    let end = (start + limit as usize).min(all.len());
    let items = all.get(start..end).unwrap_or_default().to_vec();
    let next_key = all
        .get(end)
        .map(|(k, _)| k[prefix.len()..].to_vec())
        .unwrap_or_default();
    Ok((
        items,
        Some(PageResponse {
            next_key,
            total: if count_total { all.len() as u64 } else { 0 },
        }),
    ))
}

fn amount_of(b: &[u8]) -> Result<u128, QueryError> {
    <[u8; 16]>::try_from(b)
        .map(u128::from_be_bytes)
        .map_err(|_| QueryError::internal("stored amount is not 16 bytes"))
}

impl BankModule {
    fn query_balance(q: &QueryCtx<'_>, addr: &Address, denom: &str) -> Result<u128, QueryError> {
        q.view
            .get(&balance_key(addr, denom))?
            .map_or(Ok(0), |b| amount_of(&b))
    }

    fn all_balances(
        q: &QueryCtx<'_>,
        address: &str,
        page: Option<&PageRequest>,
    ) -> Result<(Vec<ProtoCoin>, Option<PageResponse>), QueryError> {
        let addr = Address::parse(address, &q.config.bech32_prefix)
            .map_err(|e| QueryError::invalid(e.to_string()))?;
        let prefix = [BALANCE_PREFIX, addr.as_bytes()].concat();
        let (items, page) = paginate(q, &prefix, page)?;
        let coins = items
            .iter()
            .map(|(k, v)| {
                Ok(ProtoCoin {
                    denom: String::from_utf8_lossy(&k[prefix.len()..]).into_owned(),
                    amount: amount_of(v)?.to_string(),
                })
            })
            .collect::<Result<Vec<_>, QueryError>>()?;
        Ok((coins, page))
    }
}

impl Module for BankModule {
    fn name(&self) -> &'static str {
        "bank"
    }

    fn msg_types(&self) -> &'static [&'static str] {
        &[MSG_SEND]
    }

    fn signers(&self, msg: &Any, config: &AppConfig) -> Result<Vec<Address>, TxError> {
        let m: pb::MsgSend = unpack(msg)?;
        Ok(vec![parse_addr("from", &m.from_address, config)?])
    }

    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> ExecResult<Any> {
        let m: pb::MsgSend = unpack(msg)?;
        let from = parse_addr("from", &m.from_address, ctx.config)?;
        let to = parse_addr("to", &m.to_address, ctx.config)?;
        let coins = parse_coins(&m.amount)?;
        if coins.is_empty() {
            return Err(sdk(code::INVALID_COINS, "send amount is empty: invalid coins").into());
        }
        send(ctx, &from, &to, &coins)?;
        Ok(Any {
            type_url: format!("/{}", pb::MsgSendResponse::full_name()),
            value: pb::MsgSendResponse {}.encode_to_vec(),
        })
    }

    fn query_paths(&self) -> &'static [&'static str] {
        &[
            Q_BALANCE,
            Q_ALL_BALANCES,
            Q_SPENDABLE,
            Q_TOTAL_SUPPLY,
            Q_SUPPLY_OF,
            Q_DENOM_METADATA,
            Q_DENOMS_METADATA,
            Q_PARAMS,
        ]
    }

    fn query(&self, q: &QueryCtx<'_>, path: &str, data: &[u8]) -> Result<Vec<u8>, QueryError> {
        match path {
            Q_BALANCE => {
                let r: pb::QueryBalanceRequest = decode_query(data)?;
                let addr = Address::parse(&r.address, &q.config.bech32_prefix)
                    .map_err(|e| QueryError::invalid(e.to_string()))?;
                validate_denom(&r.denom).map_err(|e| QueryError::invalid(e.message))?;
                let amount = Self::query_balance(q, &addr, &r.denom)?;
                Ok(pb::QueryBalanceResponse {
                    balance: Some(ProtoCoin {
                        denom: r.denom,
                        amount: amount.to_string(),
                    }),
                }
                .encode_to_vec())
            }
            Q_ALL_BALANCES => {
                let r: pb::QueryAllBalancesRequest = decode_query(data)?;
                let (balances, pagination) =
                    Self::all_balances(q, &r.address, r.pagination.as_ref())?;
                Ok(pb::QueryAllBalancesResponse {
                    balances,
                    pagination,
                }
                .encode_to_vec())
            }
            Q_SPENDABLE => {
                let r: pb::QuerySpendableBalancesRequest = decode_query(data)?;
                let (balances, pagination) =
                    Self::all_balances(q, &r.address, r.pagination.as_ref())?;
                Ok(pb::QuerySpendableBalancesResponse {
                    balances,
                    pagination,
                }
                .encode_to_vec())
            }
            Q_TOTAL_SUPPLY => {
                let r: pb::QueryTotalSupplyRequest = decode_query(data)?;
                let (items, pagination) = paginate(q, SUPPLY_PREFIX, r.pagination.as_ref())?;
                let supply = items
                    .iter()
                    .map(|(k, v)| {
                        Ok(ProtoCoin {
                            denom: String::from_utf8_lossy(&k[SUPPLY_PREFIX.len()..]).into_owned(),
                            amount: amount_of(v)?.to_string(),
                        })
                    })
                    .collect::<Result<Vec<_>, QueryError>>()?;
                Ok(pb::QueryTotalSupplyResponse { supply, pagination }.encode_to_vec())
            }
            Q_SUPPLY_OF => {
                let r: pb::QuerySupplyOfRequest = decode_query(data)?;
                let amount = q
                    .view
                    .get(&supply_key(&r.denom))?
                    .map_or(Ok(0), |b| amount_of(&b))?;
                Ok(pb::QuerySupplyOfResponse {
                    amount: Some(ProtoCoin {
                        denom: r.denom,
                        amount: amount.to_string(),
                    }),
                }
                .encode_to_vec())
            }
            Q_DENOM_METADATA => {
                let r: pb::QueryDenomMetadataRequest = decode_query(data)?;
                let b = q
                    .view
                    .get(&[METADATA_PREFIX, r.denom.as_bytes()].concat())?
                    .ok_or_else(|| {
                        QueryError::not_found(format!("client metadata for denom {}", r.denom))
                    })?;
                let metadata = pb::Metadata::decode(b.as_slice())
                    .map_err(|e| QueryError::internal(e.to_string()))?;
                Ok(pb::QueryDenomMetadataResponse {
                    metadata: Some(metadata),
                }
                .encode_to_vec())
            }
            Q_DENOMS_METADATA => {
                let r: pb::QueryDenomsMetadataRequest = decode_query(data)?;
                let (items, pagination) = paginate(q, METADATA_PREFIX, r.pagination.as_ref())?;
                let metadatas = items
                    .iter()
                    .map(|(_, v)| {
                        pb::Metadata::decode(v.as_slice())
                            .map_err(|e| QueryError::internal(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(pb::QueryDenomsMetadataResponse {
                    metadatas,
                    pagination,
                }
                .encode_to_vec())
            }
            #[allow(deprecated)]
            Q_PARAMS => Ok(pb::QueryParamsResponse {
                params: Some(pb::Params {
                    send_enabled: vec![],
                    default_send_enabled: true,
                }),
            }
            .encode_to_vec()),
            _ => Err(QueryError::invalid(format!("unknown bank query {path}"))),
        }
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_>, state: &serde_json::Value) -> ExecResult<()> {
        if state.is_null() {
            return Ok(());
        }
        let g: BankGenesis = serde_json::from_value(state.clone())
            .map_err(|e| sdk(code::INVALID_REQUEST, format!("invalid bank genesis: {e}")))?;
        for b in &g.balances {
            let addr = parse_addr("genesis balance", &b.address, ctx.config)?;
            for c in &b.coins {
                validate_denom(&c.denom)?;
            }
            mint(ctx, &addr, &b.coins)?;
        }
        for m in &g.denom_metadata {
            let denom = m
                .get("base")
                .and_then(|v| v.as_str())
                .ok_or_else(|| sdk(code::INVALID_REQUEST, "denom metadata needs a base denom"))?;
            let md = metadata_from_json(m).map_err(|e| {
                sdk(
                    code::INVALID_REQUEST,
                    format!("invalid denom metadata for {denom}: {e}"),
                )
            })?;
            ctx.set(
                [METADATA_PREFIX, denom.as_bytes()].concat(),
                md.encode_to_vec(),
            )?;
        }
        ctx.events.clear();
        Ok(())
    }
}

fn metadata_from_json(v: &serde_json::Value) -> Result<pb::Metadata, String> {
    let s = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let units = v
        .get("denom_units")
        .and_then(|u| u.as_array())
        .map(|a| {
            a.iter()
                .map(|u| pb::DenomUnit {
                    denom: u
                        .get("denom")
                        .and_then(|x| x.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    exponent: u.get("exponent").and_then(|x| x.as_u64()).unwrap_or(0) as u32,
                    aliases: vec![],
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(pb::Metadata {
        description: s("description"),
        denom_units: units,
        base: s("base"),
        display: s("display"),
        name: s("name"),
        symbol: s("symbol"),
        uri: s("uri"),
        uri_hash: s("uri_hash"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denom_object_address_is_initias_coin_metadata_address() {
        // Initia's `coin::metadata(@0x1, "uinit")`, as seen in its chain's events and apps.
        assert_eq!(
            hex::encode(denom_object_address("uinit")),
            "8e4733bdabcf7d4afc3d14f0dd46c9bf52fb0fce9e4b996c939e195b8bc891d9"
        );
        assert_ne!(denom_object_address("uinit"), denom_object_address("umin"));
    }
}
