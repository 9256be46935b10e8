//! Bonds: stake that proposers and challengers lock in `uinit` so that a provably bad output
//! or a frivolous challenge can be slashed (the fraud-proof work uses them). OPinit has no
//! bonds; this module is ours, under the `minitia.bond.v1` package.
//!
//! - Creating a bridge needs its proposer to hold at least `min_proposer_bond` (the ophost
//!   module bonds the shortfall from the creator when the creator is the proposer).
//! - A challenger needs `min_challenger_bond` to delete outputs.
//! - `MsgBond` tops up; `MsgUnbond` starts the unbonding period (refused if it would leave
//!   less than the roles the account holds require); `MsgWithdrawBond` pays matured entries.

use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::Any;
use minitia_chain::app::{
    auth, bank,
    coin::Coin,
    ctx::Ctx,
    errors::{ExecError, ExecResult},
    module::{decode_query, parse_addr, unpack},
    AppConfig, Module, QueryCtx, QueryError,
};
use minitia_core::{Address, Event, TxError};
use prost::Message;
use serde::Deserialize;

use crate::proto::{Duration, Timestamp};

/// Module account holding bonded and unbonding funds.
pub const BOND_ACCOUNT: &str = "bond";
/// Codespace of bond errors.
pub const CODESPACE: &str = "bond";

/// `/minitia.bond.v1.MsgBond`.
pub const MSG_BOND: &str = "/minitia.bond.v1.MsgBond";
/// `/minitia.bond.v1.MsgUnbond`.
pub const MSG_UNBOND: &str = "/minitia.bond.v1.MsgUnbond";
/// `/minitia.bond.v1.MsgWithdrawBond`.
pub const MSG_WITHDRAW: &str = "/minitia.bond.v1.MsgWithdrawBond";
/// `/minitia.bond.v1.Query/Bond`.
pub const Q_BOND: &str = "/minitia.bond.v1.Query/Bond";
/// `/minitia.bond.v1.Query/Params`.
pub const Q_PARAMS: &str = "/minitia.bond.v1.Query/Params";

const PARAMS_KEY: &[u8] = b"bond/params";
const BONDED_PREFIX: &[u8] = b"bond/bonded/";
const UNBONDING_PREFIX: &[u8] = b"bond/unbonding/";
const ROLES_PREFIX: &[u8] = b"bond/roles/";

/// Error codes of the `bond` codespace.
pub mod code {
    /// Bonded amount below what the action needs.
    pub const INSUFFICIENT_BOND: u32 = 2;
    /// Wrong denom or non-positive amount.
    pub const INVALID_AMOUNT: u32 = 3;
    /// Nothing has finished unbonding.
    pub const NOTHING_TO_WITHDRAW: u32 = 4;
}

fn err(code: u32, msg: impl Into<String>) -> ExecError {
    ExecError::Tx(TxError::new(CODESPACE, code, msg))
}

/// Bond parameters (`minitia.bond.v1.Params`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Params {
    /// Denom bonds are held in.
    #[prost(string, tag = "1")]
    pub denom: String,
    /// Least a bridge proposer must hold (decimal string).
    #[prost(string, tag = "2")]
    pub min_proposer_bond: String,
    /// Least a challenger must hold to delete outputs (decimal string).
    #[prost(string, tag = "3")]
    pub min_challenger_bond: String,
    /// Time unbonded funds wait before they can be withdrawn.
    #[prost(message, optional, tag = "4")]
    pub unbonding_period: Option<Duration>,
}

impl Params {
    fn amount(s: &str) -> u128 {
        s.parse().unwrap_or(0)
    }
    /// `min_proposer_bond` as an integer.
    pub fn min_proposer(&self) -> u128 {
        Self::amount(&self.min_proposer_bond)
    }
    /// `min_challenger_bond` as an integer.
    pub fn min_challenger(&self) -> u128 {
        Self::amount(&self.min_challenger_bond)
    }
}

/// `MsgBond`: move `amount` from `bonder` into its bond.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgBond {
    /// Signer.
    #[prost(string, tag = "1")]
    pub bonder: String,
    /// Amount in the bond denom.
    #[prost(message, optional, tag = "2")]
    pub amount: Option<ProtoCoin>,
}

/// `MsgUnbond`: start unbonding `amount`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUnbond {
    /// Signer.
    #[prost(string, tag = "1")]
    pub bonder: String,
    /// Amount in the bond denom.
    #[prost(message, optional, tag = "2")]
    pub amount: Option<ProtoCoin>,
}

/// `MsgUnbondResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUnbondResponse {
    /// When the amount can be withdrawn.
    #[prost(message, optional, tag = "1")]
    pub completion_time: Option<Timestamp>,
}

/// `MsgWithdrawBond`: pay out every unbonding entry that has matured.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgWithdrawBond {
    /// Signer.
    #[prost(string, tag = "1")]
    pub bonder: String,
}

/// `MsgWithdrawBondResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgWithdrawBondResponse {
    /// Amount paid out.
    #[prost(message, optional, tag = "1")]
    pub amount: Option<ProtoCoin>,
}

/// One unbonding entry.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UnbondingEntry {
    /// Amount.
    #[prost(message, optional, tag = "1")]
    pub amount: Option<ProtoCoin>,
    /// When it can be withdrawn.
    #[prost(message, optional, tag = "2")]
    pub completion_time: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Unbonding {
    #[prost(message, repeated, tag = "1")]
    entries: Vec<UnbondingEntry>,
}

/// Roles an account holds on active bridges (what its bond must cover).
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Roles {
    /// Bridges it proposes for.
    #[prost(uint64, tag = "1")]
    pub proposer: u64,
    /// Bridges it challenges for.
    #[prost(uint64, tag = "2")]
    pub challenger: u64,
}

/// `QueryBondRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBondRequest {
    /// Account.
    #[prost(string, tag = "1")]
    pub address: String,
}

/// `QueryBondResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBondResponse {
    /// Bonded now.
    #[prost(message, optional, tag = "1")]
    pub bonded: Option<ProtoCoin>,
    /// Unbonding entries.
    #[prost(message, repeated, tag = "2")]
    pub unbonding: Vec<UnbondingEntry>,
    /// Least the account must keep bonded for its roles.
    #[prost(message, optional, tag = "3")]
    pub required: Option<ProtoCoin>,
    /// Its roles.
    #[prost(message, optional, tag = "4")]
    pub roles: Option<Roles>,
}

/// `QueryParamsResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryParamsResponse {
    /// Params.
    #[prost(message, optional, tag = "1")]
    pub params: Option<Params>,
}

fn key(prefix: &[u8], a: &Address) -> Vec<u8> {
    [prefix, a.as_bytes()].concat()
}

fn fatal(what: &str) -> ExecError {
    ExecError::Fatal(minitia_core::EngineError::Invariant(format!(
        "stored {what} is not decodable"
    )))
}

/// The bond parameters in state.
pub fn params(ctx: &mut Ctx<'_>) -> ExecResult<Params> {
    match ctx.get(PARAMS_KEY)? {
        Some(b) => Params::decode(b.as_slice()).map_err(|_| fatal("bond params")),
        None => Ok(default_params(&ctx.config.fee_denom)),
    }
}

fn default_params(denom: &str) -> Params {
    Params {
        denom: denom.to_string(),
        min_proposer_bond: "1000000".into(),
        min_challenger_bond: "1000000".into(),
        unbonding_period: Some(Duration::from_secs(14 * 24 * 3600)),
    }
}

/// Amount `addr` has bonded.
pub fn bonded(ctx: &mut Ctx<'_>, addr: &Address) -> ExecResult<u128> {
    match ctx.get(&key(BONDED_PREFIX, addr))? {
        None => Ok(0),
        Some(b) => <[u8; 16]>::try_from(b.as_slice())
            .map(u128::from_be_bytes)
            .map_err(|_| fatal("bond amount")),
    }
}

fn set_bonded(ctx: &mut Ctx<'_>, addr: &Address, v: u128) -> ExecResult<()> {
    if v == 0 {
        ctx.delete(key(BONDED_PREFIX, addr))
    } else {
        ctx.set(key(BONDED_PREFIX, addr), v.to_be_bytes().to_vec())
    }
}

/// Roles of `addr`.
pub fn roles(ctx: &mut Ctx<'_>, addr: &Address) -> ExecResult<Roles> {
    match ctx.get(&key(ROLES_PREFIX, addr))? {
        None => Ok(Roles::default()),
        Some(b) => Roles::decode(b.as_slice()).map_err(|_| fatal("bond roles")),
    }
}

/// Adds (or with negative deltas removes) roles of `addr`.
pub fn adjust_roles(
    ctx: &mut Ctx<'_>,
    addr: &Address,
    proposer: i64,
    challenger: i64,
) -> ExecResult<()> {
    let mut r = roles(ctx, addr)?;
    r.proposer = r.proposer.saturating_add_signed(proposer);
    r.challenger = r.challenger.saturating_add_signed(challenger);
    if r == Roles::default() {
        ctx.delete(key(ROLES_PREFIX, addr))
    } else {
        ctx.set(key(ROLES_PREFIX, addr), r.encode_to_vec())
    }
}

fn required_for(p: &Params, r: &Roles) -> u128 {
    let mut need = 0;
    if r.proposer > 0 {
        need = need.max(p.min_proposer());
    }
    if r.challenger > 0 {
        need = need.max(p.min_challenger());
    }
    need
}

/// Moves `amount` of the bond denom from `addr`'s balance into its bond.
pub fn add_bond(ctx: &mut Ctx<'_>, addr: &Address, amount: u128) -> ExecResult<()> {
    let p = params(ctx)?;
    bank::send(
        ctx,
        addr,
        &auth::module_address(BOND_ACCOUNT),
        &[Coin::new(amount, p.denom.clone())],
    )?;
    let now = bonded(ctx, addr)?.saturating_add(amount);
    set_bonded(ctx, addr, now)?;
    let prefix = ctx.config.bech32_prefix.clone();
    ctx.emit(
        Event::new("bond")
            .attr("bonder", addr.to_bech32(&prefix))
            .attr("amount", format!("{amount}{}", p.denom))
            .attr("bonded", format!("{now}{}", p.denom)),
    );
    Ok(())
}

/// Fails unless `addr` has bonded at least `min` (what `role` needs).
pub fn require_bond(ctx: &mut Ctx<'_>, addr: &Address, min: u128, role: &str) -> ExecResult<()> {
    let have = bonded(ctx, addr)?;
    if have < min {
        let p = params(ctx)?;
        return Err(err(
            code::INSUFFICIENT_BOND,
            format!(
                "{} has bonded {have}{d}, a {role} needs {min}{d}; send {MSG_BOND} first: insufficient bond",
                addr.to_bech32(&ctx.config.bech32_prefix),
                d = p.denom
            ),
        ));
    }
    Ok(())
}

fn bond_coin(p: &Params, c: Option<&ProtoCoin>) -> ExecResult<u128> {
    let c = c.ok_or_else(|| {
        err(
            code::INVALID_AMOUNT,
            "amount is missing: invalid bond amount",
        )
    })?;
    let coin = Coin::from_proto(c)?;
    if coin.denom != p.denom || coin.amount == 0 {
        return Err(err(
            code::INVALID_AMOUNT,
            format!(
                "bonds are positive amounts of {}, got {coin}: invalid bond amount",
                p.denom
            ),
        ));
    }
    Ok(coin.amount)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Genesis {
    denom: Option<String>,
    min_proposer_bond: Option<String>,
    min_challenger_bond: Option<String>,
    unbonding_period_secs: Option<i64>,
}

/// The bond module.
#[derive(Debug, Default, Clone, Copy)]
pub struct BondModule;

impl Module for BondModule {
    fn name(&self) -> &'static str {
        "bond"
    }

    fn msg_types(&self) -> &'static [&'static str] {
        &[MSG_BOND, MSG_UNBOND, MSG_WITHDRAW]
    }

    fn signers(&self, msg: &Any, config: &AppConfig) -> Result<Vec<Address>, TxError> {
        let bonder = match msg.type_url.as_str() {
            MSG_BOND => unpack::<MsgBond>(msg)?.bonder,
            MSG_UNBOND => unpack::<MsgUnbond>(msg)?.bonder,
            _ => unpack::<MsgWithdrawBond>(msg)?.bonder,
        };
        Ok(vec![parse_addr("bonder", &bonder, config)?])
    }

    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> ExecResult<Any> {
        let p = params(ctx)?;
        let prefix = ctx.config.bech32_prefix.clone();
        match msg.type_url.as_str() {
            MSG_BOND => {
                let m: MsgBond = unpack(msg)?;
                let who = parse_addr("bonder", &m.bonder, ctx.config)?;
                let amount = bond_coin(&p, m.amount.as_ref())?;
                add_bond(ctx, &who, amount)?;
                Ok(Any {
                    type_url: "/minitia.bond.v1.MsgBondResponse".into(),
                    value: vec![],
                })
            }
            MSG_UNBOND => {
                let m: MsgUnbond = unpack(msg)?;
                let who = parse_addr("bonder", &m.bonder, ctx.config)?;
                let amount = bond_coin(&p, m.amount.as_ref())?;
                let have = bonded(ctx, &who)?;
                let r = roles(ctx, &who)?;
                let need = required_for(&p, &r);
                let Some(left) = have.checked_sub(amount).filter(|l| *l >= need) else {
                    return Err(err(
                        code::INSUFFICIENT_BOND,
                        format!(
                            "cannot unbond {amount}{d}: {m} has bonded {have}{d} and its roles \
                             ({} proposer, {} challenger) need {need}{d} kept: insufficient bond",
                            r.proposer,
                            r.challenger,
                            d = p.denom,
                            m = m.bonder
                        ),
                    ));
                };
                set_bonded(ctx, &who, left)?;
                let done =
                    ctx.block.time_unix_nanos + p.unbonding_period.map_or(0, |d| d.as_nanos());
                let completion = Timestamp::from_unix_nanos(done);
                let mut list = unbonding(ctx, &who)?;
                list.entries.push(UnbondingEntry {
                    amount: Some(Coin::new(amount, p.denom.clone()).to_proto()),
                    completion_time: Some(completion),
                });
                ctx.set(key(UNBONDING_PREFIX, &who), list.encode_to_vec())?;
                ctx.emit(
                    Event::new("unbond")
                        .attr("bonder", who.to_bech32(&prefix))
                        .attr("amount", format!("{amount}{}", p.denom))
                        .attr("completion_time_unix", completion.seconds.to_string()),
                );
                Ok(Any {
                    type_url: "/minitia.bond.v1.MsgUnbondResponse".into(),
                    value: MsgUnbondResponse {
                        completion_time: Some(completion),
                    }
                    .encode_to_vec(),
                })
            }
            _ => {
                let m: MsgWithdrawBond = unpack(msg)?;
                let who = parse_addr("bonder", &m.bonder, ctx.config)?;
                let now = ctx.block.time_unix_nanos;
                let list = unbonding(ctx, &who)?;
                let (ready, waiting): (Vec<_>, Vec<_>) = list
                    .entries
                    .into_iter()
                    .partition(|e| e.completion_time.is_some_and(|t| t.as_unix_nanos() <= now));
                let total: u128 = ready
                    .iter()
                    .filter_map(|e| e.amount.as_ref())
                    .filter_map(|c| c.amount.parse::<u128>().ok())
                    .sum();
                if total == 0 {
                    let next = waiting
                        .iter()
                        .filter_map(|e| e.completion_time)
                        .map(|t| t.seconds)
                        .min();
                    return Err(err(
                        code::NOTHING_TO_WITHDRAW,
                        match next {
                            Some(s) => format!("no unbonding entry of {} has matured; the next one completes at unix time {s}: nothing to withdraw", m.bonder),
                            None => format!("{} has nothing unbonding; send {MSG_UNBOND} first: nothing to withdraw", m.bonder),
                        },
                    ));
                }
                if waiting.is_empty() {
                    ctx.delete(key(UNBONDING_PREFIX, &who))?;
                } else {
                    ctx.set(
                        key(UNBONDING_PREFIX, &who),
                        Unbonding { entries: waiting }.encode_to_vec(),
                    )?;
                }
                let coin = Coin::new(total, p.denom.clone());
                bank::send(
                    ctx,
                    &auth::module_address(BOND_ACCOUNT),
                    &who,
                    std::slice::from_ref(&coin),
                )?;
                ctx.emit(
                    Event::new("withdraw_bond")
                        .attr("bonder", who.to_bech32(&prefix))
                        .attr("amount", coin.to_string()),
                );
                Ok(Any {
                    type_url: "/minitia.bond.v1.MsgWithdrawBondResponse".into(),
                    value: MsgWithdrawBondResponse {
                        amount: Some(coin.to_proto()),
                    }
                    .encode_to_vec(),
                })
            }
        }
    }

    fn query_paths(&self) -> &'static [&'static str] {
        &[Q_BOND, Q_PARAMS]
    }

    fn query(&self, q: &QueryCtx<'_>, path: &str, data: &[u8]) -> Result<Vec<u8>, QueryError> {
        let p = match q.view.get(PARAMS_KEY)? {
            Some(b) => {
                Params::decode(b.as_slice()).map_err(|e| QueryError::internal(e.to_string()))?
            }
            None => default_params(&q.config.fee_denom),
        };
        match path {
            Q_PARAMS => Ok(QueryParamsResponse { params: Some(p) }.encode_to_vec()),
            Q_BOND => {
                let r: QueryBondRequest = decode_query(data)?;
                let a = Address::parse(&r.address, &q.config.bech32_prefix)
                    .map_err(|e| QueryError::invalid(e.to_string()))?;
                let bonded = match q.view.get(&key(BONDED_PREFIX, &a))? {
                    None => 0,
                    Some(b) => <[u8; 16]>::try_from(b.as_slice())
                        .map(u128::from_be_bytes)
                        .map_err(|_| QueryError::internal("stored bond is not 16 bytes"))?,
                };
                let unbonding = match q.view.get(&key(UNBONDING_PREFIX, &a))? {
                    None => vec![],
                    Some(b) => {
                        Unbonding::decode(b.as_slice())
                            .map_err(|e| QueryError::internal(e.to_string()))?
                            .entries
                    }
                };
                let roles = match q.view.get(&key(ROLES_PREFIX, &a))? {
                    None => Roles::default(),
                    Some(b) => Roles::decode(b.as_slice())
                        .map_err(|e| QueryError::internal(e.to_string()))?,
                };
                Ok(QueryBondResponse {
                    bonded: Some(Coin::new(bonded, p.denom.clone()).to_proto()),
                    unbonding,
                    required: Some(Coin::new(required_for(&p, &roles), p.denom.clone()).to_proto()),
                    roles: Some(roles),
                }
                .encode_to_vec())
            }
            _ => Err(QueryError::invalid(format!("unknown bond query {path}"))),
        }
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_>, state: &serde_json::Value) -> ExecResult<()> {
        let g: Genesis = if state.is_null() {
            Genesis::default()
        } else {
            serde_json::from_value(state.clone()).map_err(|e| {
                ExecError::Tx(TxError::new(CODESPACE, 1, format!("app_state.bond: {e}")))
            })?
        };
        let mut p = default_params(&ctx.config.fee_denom);
        if let Some(d) = g.denom {
            p.denom = d;
        }
        for (field, v) in [
            ("min_proposer_bond", g.min_proposer_bond),
            ("min_challenger_bond", g.min_challenger_bond),
        ] {
            if let Some(v) = v {
                if v.parse::<u128>().is_err() {
                    return Err(ExecError::Tx(TxError::new(
                        CODESPACE,
                        1,
                        format!("app_state.bond.{field}: {v:?} is not an integer amount"),
                    )));
                }
                if field == "min_proposer_bond" {
                    p.min_proposer_bond = v;
                } else {
                    p.min_challenger_bond = v;
                }
            }
        }
        if let Some(s) = g.unbonding_period_secs {
            p.unbonding_period = Some(Duration::from_secs(s.max(0)));
        }
        ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())?;
        auth::ensure_account(ctx, &auth::module_address(BOND_ACCOUNT))?;
        Ok(())
    }
}

fn unbonding(ctx: &mut Ctx<'_>, addr: &Address) -> ExecResult<Unbonding> {
    match ctx.get(&key(UNBONDING_PREFIX, addr))? {
        None => Ok(Unbonding::default()),
        Some(b) => Unbonding::decode(b.as_slice()).map_err(|_| fatal("unbonding list")),
    }
}

/// What a slash took and where it went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slashed {
    /// Taken from the bond and its unbonding entries.
    pub total: u128,
    /// Paid to the beneficiary.
    pub reward: u128,
    /// Burned.
    pub burned: u128,
}

/// Slashes everything `offender` has at stake: its bond and its unbonding entries (so
/// unbonding just before a proof lands does not escape it). `reward_percent` of it goes to
/// `beneficiary` (none: all burned), the rest is burned. Roles are left as they are: a
/// proposer without bond can no longer propose until it bonds again.
pub fn slash(
    ctx: &mut Ctx<'_>,
    offender: &Address,
    beneficiary: Option<&Address>,
    reward_percent: u8,
) -> ExecResult<Slashed> {
    let p = params(ctx)?;
    let mut total = bonded(ctx, offender)?;
    set_bonded(ctx, offender, 0)?;
    let list = unbonding(ctx, offender)?;
    total = total.saturating_add(
        list.entries
            .iter()
            .filter_map(|e| e.amount.as_ref())
            .filter_map(|c| c.amount.parse::<u128>().ok())
            .sum(),
    );
    if !list.entries.is_empty() {
        ctx.delete(key(UNBONDING_PREFIX, offender))?;
    }
    let reward = match beneficiary {
        Some(_) => {
            total / 100 * u128::from(reward_percent.min(100))
                + total % 100 * u128::from(reward_percent.min(100)) / 100
        }
        None => 0,
    };
    let burned = total - reward;
    let module = auth::module_address(BOND_ACCOUNT);
    if let (Some(to), true) = (beneficiary, reward > 0) {
        bank::send(ctx, &module, to, &[Coin::new(reward, p.denom.clone())])?;
    }
    if burned > 0 {
        bank::burn(ctx, &module, &[Coin::new(burned, p.denom.clone())])?;
    }
    let prefix = ctx.config.bech32_prefix.clone();
    ctx.emit(
        Event::new("slash")
            .attr("offender", offender.to_bech32(&prefix))
            .attr("slashed", format!("{total}{}", p.denom))
            .attr("reward", format!("{reward}{}", p.denom))
            .attr(
                "beneficiary",
                beneficiary
                    .map(|b| b.to_bech32(&prefix))
                    .unwrap_or_default(),
            )
            .attr("burned", format!("{burned}{}", p.denom)),
    );
    Ok(Slashed {
        total,
        reward,
        burned,
    })
}
