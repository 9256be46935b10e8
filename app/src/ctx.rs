//! The execution context modules run in: metered state access over an overlay, events, and
//! the block being executed.

use minitia_core::{BlockContext, Event, Overlay, StateView, WriteSet};

use super::{config::AppConfig, errors::ExecResult, gas::GasMeter};

/// Metered, buffered state access for one tx (or genesis). Nothing reaches the block's state
/// until the caller merges [`Ctx::into_parts`] on success.
pub struct Ctx<'a> {
    overlay: Overlay<'a>,
    /// Gas consumed by this tx so far.
    pub gas: GasMeter,
    /// The block being executed.
    pub block: &'a BlockContext,
    /// App parameters.
    pub config: &'a AppConfig,
    /// Events emitted so far.
    pub events: Vec<Event>,
}

impl<'a> Ctx<'a> {
    /// A context over `base` with a gas meter.
    pub fn new(
        base: &'a dyn StateView,
        block: &'a BlockContext,
        config: &'a AppConfig,
        gas: GasMeter,
    ) -> Self {
        Self {
            overlay: Overlay::new(base),
            gas,
            block,
            config,
            events: Vec::new(),
        }
    }

    /// Reads a key, charging read gas.
    pub fn get(&mut self, key: &[u8]) -> ExecResult<Option<Vec<u8>>> {
        let g = self.config.gas;
        self.gas.charge(g.read_flat, "ReadFlat")?;
        let v = self.overlay.get(key)?;
        let n = key.len() + v.as_ref().map_or(0, Vec::len);
        self.gas.charge(g.read_per_byte * n as u64, "ReadPerByte")?;
        Ok(v)
    }

    /// Writes a key, charging write gas.
    pub fn set(&mut self, key: Vec<u8>, value: Vec<u8>) -> ExecResult<()> {
        let g = self.config.gas;
        self.gas.charge(g.write_flat, "WriteFlat")?;
        self.gas.charge(
            g.write_per_byte * (key.len() + value.len()) as u64,
            "WritePerByte",
        )?;
        self.overlay.set(key, value);
        Ok(())
    }

    /// Deletes a key, charging delete gas.
    pub fn delete(&mut self, key: Vec<u8>) -> ExecResult<()> {
        self.gas.charge(self.config.gas.delete, "Delete")?;
        self.overlay.delete(key);
        Ok(())
    }

    /// Emits an event.
    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Applies writes and events of a nested context that succeeded.
    pub fn absorb(&mut self, writes: WriteSet, events: Vec<Event>) {
        self.overlay.apply(writes);
        self.events.extend(events);
    }

    /// A read-only view of this context's state (for nesting).
    pub fn view(&self) -> &Overlay<'a> {
        &self.overlay
    }

    /// Splits into writes, events and the final gas meter.
    pub fn into_parts(self) -> (WriteSet, Vec<Event>, GasMeter) {
        (self.overlay.into_writes(), self.events, self.gas)
    }
}
