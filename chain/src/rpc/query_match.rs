//! Matching flattened events against a CometBFT query (`tm.event='Tx' AND transfer.amount > 5`).
//!
//! Semantics follow CometBFT v0.38's `libs/pubsub/query`: every condition must match at least
//! one value of its `type.key` tag (conditions are joined by AND only, there is no OR);
//! strings compare with `=` and `CONTAINS`; numeric operands compare numerically against
//! attribute values parsed as numbers (a leading number is extracted from values such as
//! `"8stake"`); `DATE`/`TIME` operands compare against values parsed as `YYYY-MM-DD` /
//! RFC 3339; `EXISTS` matches when the tag is present, or when the tag names an event type
//! that is present. A query never matches an empty event map.

use std::{cmp::Ordering, collections::BTreeMap};

use tendermint::Time;
use tendermint_rpc::query::{Condition, Operand, Operation, Query};

/// Whether `events` (`type.key → values`, including `tm.event` and for txs `tx.hash` /
/// `tx.height`) satisfy every condition of `query`.
pub fn matches(query: &Query, events: &BTreeMap<String, Vec<String>>) -> bool {
    if events.is_empty() {
        return false;
    }
    if let Some(kind) = &query.event_type {
        let want = kind.to_string();
        let ok = events.get("tm.event").is_some_and(|vs| vs.contains(&want));
        if !ok {
            return false;
        }
    }
    query
        .conditions
        .iter()
        .all(|c| condition_matches(c, events))
}

fn condition_matches(cond: &Condition, events: &BTreeMap<String, Vec<String>>) -> bool {
    match events.get(&cond.key) {
        Some(values) if !values.is_empty() => {
            values.iter().any(|v| value_matches(&cond.operation, v))
        }
        _ => {
            // CometBFT special case: a tag naming an event type (no attribute part) is
            // matched against the empty string when an event of that type exists.
            let prefix = format!("{}.", cond.key);
            let type_exists = events.keys().any(|k| {
                k.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('.'))
            });
            type_exists && value_matches(&cond.operation, "")
        }
    }
}

fn value_matches(op: &Operation, value: &str) -> bool {
    match op {
        Operation::Exists => true,
        Operation::Contains(s) => value.contains(s.as_str()),
        Operation::Eq(Operand::String(s)) => value == s,
        Operation::Eq(o) => compare(o, value) == Some(Ordering::Equal),
        // Ordering operators are not defined on strings in CometBFT (compile error there).
        Operation::Lt(Operand::String(_))
        | Operation::Lte(Operand::String(_))
        | Operation::Gt(Operand::String(_))
        | Operation::Gte(Operand::String(_)) => false,
        Operation::Lt(o) => compare(o, value) == Some(Ordering::Less),
        Operation::Lte(o) => matches!(compare(o, value), Some(Ordering::Less | Ordering::Equal)),
        Operation::Gt(o) => compare(o, value) == Some(Ordering::Greater),
        Operation::Gte(o) => {
            matches!(compare(o, value), Some(Ordering::Greater | Ordering::Equal))
        }
    }
}

/// Orders the attribute `value` relative to the operand (`value.cmp(operand)`), or `None`
/// when the value cannot be read as the operand's type.
fn compare(operand: &Operand, value: &str) -> Option<Ordering> {
    match operand {
        Operand::String(s) => Some(value.cmp(s.as_str())),
        Operand::Signed(i) => cmp_number(parse_number(value)?, Number::Int(i128::from(*i))),
        Operand::Unsigned(u) => cmp_number(parse_number(value)?, Number::Int(i128::from(*u))),
        Operand::Float(f) => cmp_number(parse_number(value)?, Number::Float(*f)),
        Operand::Date(d) => {
            let want = Time::try_from(d.midnight().assume_utc()).ok()?;
            let got = Time::parse_from_rfc3339(&format!("{}T00:00:00Z", value.trim())).ok()?;
            Some(got.cmp(&want))
        }
        Operand::DateTime(dt) => {
            let want = Time::try_from(*dt).ok()?;
            let got = Time::parse_from_rfc3339(value.trim()).ok()?;
            Some(got.cmp(&want))
        }
    }
}

#[derive(Clone, Copy)]
enum Number {
    Int(i128),
    Float(f64),
}

fn cmp_number(a: Number, b: Number) -> Option<Ordering> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
        (Number::Int(x), Number::Float(y)) => (x as f64).partial_cmp(&y),
        (Number::Float(x), Number::Int(y)) => x.partial_cmp(&(y as f64)),
        (Number::Float(x), Number::Float(y)) => x.partial_cmp(&y),
    }
}

/// CometBFT's `parseNumber`: a whole integer, else the leading `\d+(\.\d+)?` of the value
/// (so `"8stake"` reads as 8 and `"6.5atom"` as 6.5).
fn parse_number(s: &str) -> Option<Number> {
    if let Ok(i) = s.parse::<i128>() {
        return Some(Number::Int(i));
    }
    let bytes = s.as_bytes();
    let int_end = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if int_end == 0 {
        return None;
    }
    let mut end = int_end;
    if bytes.get(int_end) == Some(&b'.') {
        let frac = bytes[int_end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if frac > 0 {
            end = int_end + 1 + frac;
        }
    }
    let lead = &s[..end];
    if end == int_end {
        lead.parse::<i128>()
            .map(Number::Int)
            .or_else(|_| lead.parse::<f64>().map(Number::Float))
            .ok()
    } else {
        lead.parse::<f64>().ok().map(Number::Float)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            m.entry((*k).to_string())
                .or_default()
                .push((*v).to_string());
        }
        m
    }

    fn q(s: &str) -> Query {
        s.parse().expect("query parses")
    }

    #[test]
    fn basic_semantics() {
        let e = ev(&[
            ("tm.event", "Tx"),
            ("tx.height", "12"),
            ("transfer.amount", "100stake"),
            ("transfer.recipient", "init1abc"),
            ("transfer.recipient", "init1def"),
            ("block.time", "2024-05-01T10:00:00Z"),
            ("block.date", "2024-05-01"),
        ]);
        assert!(matches(&q("tm.event='Tx'"), &e));
        assert!(!matches(&q("tm.event='NewBlock'"), &e));
        assert!(matches(&q("tm.event='Tx' AND tx.height=12"), &e));
        assert!(matches(&q("tx.height>11 AND tx.height<=12"), &e));
        assert!(!matches(&q("tx.height>12"), &e));
        assert!(matches(&q("transfer.amount>=100"), &e));
        assert!(matches(&q("transfer.amount<100.5"), &e));
        assert!(matches(&q("transfer.recipient='init1def'"), &e));
        assert!(!matches(&q("transfer.recipient='init1xyz'"), &e));
        assert!(matches(&q("transfer.recipient CONTAINS 'def'"), &e));
        assert!(matches(&q("transfer.recipient EXISTS"), &e));
        assert!(matches(&q("transfer EXISTS"), &e));
        assert!(!matches(&q("message.sender EXISTS"), &e));
        assert!(matches(&q("block.time > TIME 2024-04-30T00:00:00Z"), &e));
        assert!(!matches(&q("block.time < TIME 2024-04-30T00:00:00Z"), &e));
        assert!(matches(&q("block.date >= DATE 2024-05-01"), &e));
        assert!(matches(&q("block.date = DATE 2024-05-01"), &e));
        assert!(!matches(&q("block.date > DATE 2024-05-01"), &e));
        // As in CometBFT, DATE operands only match values that are dates.
        assert!(!matches(&q("block.time >= DATE 2024-05-01"), &e));
        assert!(matches(&q("transfer.amount = 100"), &e));
        assert!(!matches(&q("transfer.recipient < 5"), &e));
        assert!(!matches(&q("tm.event='Tx'"), &BTreeMap::new()));
    }
}
