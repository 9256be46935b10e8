//! `debug_traceTransaction` with geth's `callTracer`: a revm inspector that records the call
//! tree (type, from, to, value, gas, gasUsed, input, output, error, revertReason, calls).

use revm::{
    context_interface::ContextTr,
    interpreter::{CallInputs, CallOutcome, CallScheme, CreateInputs, CreateOutcome, CreateScheme},
    primitives::{Address, Bytes, U256},
    Inspector,
};
use serde_json::{json, Value};

use crate::engine::decode_revert_reason;

/// One call frame.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    kind: &'static str,
    from: Address,
    to: Option<Address>,
    value: U256,
    gas: u64,
    gas_used: u64,
    input: Bytes,
    output: Bytes,
    error: Option<String>,
    revert_reason: Option<String>,
    calls: Vec<Frame>,
}

impl Frame {
    /// geth's callTracer JSON.
    pub fn to_json(&self) -> Value {
        let mut o = json!({
            "type": self.kind,
            "from": format!("{:#x}", self.from),
            "gas": format!("{:#x}", self.gas),
            "gasUsed": format!("{:#x}", self.gas_used),
            "input": format!("0x{}", hex::encode(&self.input)),
            "value": format!("{:#x}", self.value),
        });
        if let Some(to) = self.to {
            o["to"] = json!(format!("{to:#x}"));
        }
        if !self.output.is_empty() {
            o["output"] = json!(format!("0x{}", hex::encode(&self.output)));
        }
        if let Some(e) = &self.error {
            o["error"] = json!(e);
        }
        if let Some(r) = &self.revert_reason {
            o["revertReason"] = json!(r);
        }
        if !self.calls.is_empty() {
            o["calls"] = Value::Array(self.calls.iter().map(Frame::to_json).collect());
        }
        o
    }
}

/// Records the call tree of one tx.
#[derive(Debug, Default)]
pub struct CallTracer {
    stack: Vec<Frame>,
    root: Option<Frame>,
}

impl CallTracer {
    /// The top-level frame, once the tx ran.
    pub fn root(&self) -> Option<&Frame> {
        self.root.as_ref()
    }

    fn close(
        &mut self,
        gas_used: u64,
        output: &Bytes,
        ok: bool,
        reverted: bool,
        to: Option<Address>,
    ) {
        let Some(mut f) = self.stack.pop() else {
            return;
        };
        f.gas_used = gas_used;
        f.output = output.clone();
        if f.to.is_none() {
            f.to = to;
        }
        if !ok {
            if reverted {
                f.error = Some("execution reverted".into());
                f.revert_reason = decode_revert_reason(output);
            } else {
                f.error = Some("execution halted".into());
                f.output = Bytes::new();
            }
        }
        match self.stack.last_mut() {
            Some(parent) => parent.calls.push(f),
            None => self.root = Some(f),
        }
    }
}

impl<CTX: ContextTr> Inspector<CTX> for CallTracer {
    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let kind = match inputs.scheme {
            CallScheme::Call => "CALL",
            CallScheme::CallCode => "CALLCODE",
            CallScheme::DelegateCall => "DELEGATECALL",
            CallScheme::StaticCall => "STATICCALL",
        };
        self.stack.push(Frame {
            kind,
            from: inputs.caller,
            to: Some(inputs.target_address),
            value: inputs.value.get(),
            gas: inputs.gas_limit,
            input: inputs.input.bytes(context),
            ..Default::default()
        });
        None
    }

    fn call_end(&mut self, _context: &mut CTX, _inputs: &CallInputs, outcome: &mut CallOutcome) {
        let r = &outcome.result;
        self.close(
            r.gas.total_gas_spent(),
            &r.output,
            r.result.is_ok(),
            r.result.is_revert(),
            None,
        );
    }

    fn create(&mut self, _context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        let kind = match inputs.scheme() {
            CreateScheme::Create2 { .. } => "CREATE2",
            _ => "CREATE",
        };
        self.stack.push(Frame {
            kind,
            from: inputs.caller(),
            value: inputs.value(),
            gas: inputs.gas_limit(),
            input: inputs.init_code().clone(),
            ..Default::default()
        });
        None
    }

    fn create_end(
        &mut self,
        _context: &mut CTX,
        _inputs: &CreateInputs,
        outcome: &mut CreateOutcome,
    ) {
        let r = &outcome.result;
        self.close(
            r.gas.total_gas_spent(),
            &r.output,
            r.result.is_ok(),
            r.result.is_revert(),
            outcome.address,
        );
    }
}
