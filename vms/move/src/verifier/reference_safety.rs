//! Reference safety (borrow checking).
//!
//! An abstract interpretation over basic blocks that tracks every live reference in a
//! borrow graph, with the rules of the Move bytecode verifier's reference-safety pass
//! (aptos-core `move-bytecode-verifier/src/reference_safety`, learned from its
//! documentation and code, implemented independently):
//!
//! * the function's frame is a root; borrowing local `i` adds a strong edge labelled
//!   `Local(i)` from the root, borrowing a global `T` a weak edge labelled `Global(T)`;
//! * a field borrow adds a strong edge labelled with the field from the borrowed reference,
//!   a copy a strong edge with an empty path, a vector element or a call result a weak
//!   edge (some unknown part of the parent);
//! * releasing a reference (popping, reading, writing, overwriting its local) splices its
//!   children onto its parents, so borrow paths survive the intermediate references;
//! * a mutable reference may be written, passed to a call or returned only when nothing
//!   borrows from it; it may be read or frozen only when nothing borrows it mutably;
//!   a local may not be moved, overwritten or returned over while borrowed; a global may not
//!   be borrowed mutably, moved from, or acquired by a callee while borrowed.
//!
//! At block boundaries the operand stack is empty, so every live reference sits in a local;
//! states are canonicalised (the reference in local `i` gets id `i`) and joined by
//! union of edges until a fixpoint.

use std::collections::{BTreeMap, BTreeSet};

use super::control_flow::{block_starts, successors};
use super::{VerifyError, VerifyErrorKind as K};
use crate::file_format::*;

/// Longest borrow path kept; longer paths are cut and the edge made weak (conservative).
const MAX_PATH: usize = 16;
/// Upper bound on block visits per function before giving up.
const MAX_VISITS_PER_BLOCK: usize = 64;

type RefId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Label {
    Local(u8),
    Global(u16),
    Field(u16, u16),
    VariantField(u16, u16),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    parent: RefId,
    path: Vec<Label>,
    strong: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    mutable: bool,
    /// Edges to this node from the references it borrows from.
    parents: BTreeSet<Edge>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Abs {
    Value,
    Ref(RefId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    locals: Vec<Option<Abs>>,
    nodes: BTreeMap<RefId, Node>,
    next: RefId,
}

impl State {
    fn root(&self) -> RefId {
        self.locals.len() as RefId
    }

    fn new_ref(&mut self, mutable: bool) -> RefId {
        let id = self.next;
        self.next += 1;
        self.nodes.insert(
            id,
            Node {
                mutable,
                parents: BTreeSet::new(),
            },
        );
        id
    }

    fn add_edge(&mut self, parent: RefId, child: RefId, path: Vec<Label>, strong: bool) {
        if let Some(node) = self.nodes.get_mut(&child) {
            node.parents.insert(Edge {
                parent,
                path,
                strong,
            });
        }
    }

    fn is_mutable(&self, id: RefId) -> bool {
        self.nodes.get(&id).is_some_and(|n| n.mutable)
    }

    /// Removes `id`, connecting each of its children to each of its parents.
    fn release(&mut self, id: RefId) {
        let Some(node) = self.nodes.remove(&id) else {
            return;
        };
        for child in self.nodes.values_mut() {
            let via: Vec<Edge> = child
                .parents
                .iter()
                .filter(|e| e.parent == id)
                .cloned()
                .collect();
            if via.is_empty() {
                continue;
            }
            child.parents.retain(|e| e.parent != id);
            for down in &via {
                for up in &node.parents {
                    let (mut path, mut strong) = if up.strong {
                        let mut p = up.path.clone();
                        p.extend(down.path.iter().copied());
                        (p, down.strong)
                    } else {
                        (up.path.clone(), false)
                    };
                    if path.len() > MAX_PATH {
                        path.truncate(MAX_PATH);
                        strong = false;
                    }
                    child.parents.insert(Edge {
                        parent: up.parent,
                        path,
                        strong,
                    });
                }
            }
        }
    }

    /// Children of `id`: (child, mutable, first label of the path or `None` for a full
    /// borrow).
    fn borrowers(&self, id: RefId) -> impl Iterator<Item = (bool, Option<Label>)> + '_ {
        self.nodes.values().flat_map(move |n| {
            n.parents
                .iter()
                .filter(move |e| e.parent == id)
                .map(move |e| (n.mutable, e.path.first().copied()))
        })
    }

    fn has_full_borrows(&self, id: RefId) -> bool {
        self.borrowers(id).any(|(_, l)| l.is_none())
    }

    /// Borrowed at all (full borrows, plus field borrows at `label` or at any field).
    fn has_borrows(&self, id: RefId, label: Option<Label>) -> bool {
        self.borrowers(id)
            .any(|(_, l)| l.is_none() || label.is_none() || l == label)
    }

    fn has_mut_borrows(&self, id: RefId, label: Option<Label>) -> bool {
        self.borrowers(id)
            .any(|(m, l)| m && (l.is_none() || label.is_none() || l == label))
    }

    fn is_writable(&self, id: RefId) -> bool {
        self.is_mutable(id) && !self.has_borrows(id, None)
    }

    fn is_freezable(&self, id: RefId, label: Option<Label>) -> bool {
        !self.has_mut_borrows(id, label)
    }

    fn is_readable(&self, id: RefId, label: Option<Label>) -> bool {
        !self.is_mutable(id) || self.is_freezable(id, label)
    }

    fn local_borrowed(&self, i: u8) -> bool {
        self.has_borrows(self.root(), Some(Label::Local(i)))
    }

    fn local_mut_borrowed(&self, i: u8) -> bool {
        self.has_mut_borrows(self.root(), Some(Label::Local(i)))
    }

    fn global_borrowed(&self, s: u16) -> bool {
        self.has_borrows(self.root(), Some(Label::Global(s)))
    }

    fn global_mut_borrowed(&self, s: u16) -> bool {
        self.has_mut_borrows(self.root(), Some(Label::Global(s)))
    }

    /// Renames the reference in local `i` to `i`; only valid when the stack is empty.
    fn canonical(&self) -> State {
        let root = self.root();
        let mut map: BTreeMap<RefId, RefId> = BTreeMap::from([(root, root)]);
        for (i, l) in self.locals.iter().enumerate() {
            if let Some(Abs::Ref(id)) = l {
                map.insert(*id, i as RefId);
            }
        }
        let rename = |id: RefId| map.get(&id).copied().unwrap_or(id);
        let nodes = self
            .nodes
            .iter()
            .map(|(id, n)| {
                let parents = n
                    .parents
                    .iter()
                    .map(|e| Edge {
                        parent: rename(e.parent),
                        path: e.path.clone(),
                        strong: e.strong,
                    })
                    .collect();
                (
                    rename(*id),
                    Node {
                        mutable: n.mutable,
                        parents,
                    },
                )
            })
            .collect();
        let locals = self
            .locals
            .iter()
            .enumerate()
            .map(|(i, l)| match l {
                Some(Abs::Ref(_)) => Some(Abs::Ref(i as RefId)),
                other => *other,
            })
            .collect();
        State {
            locals,
            nodes,
            next: root + 1,
        }
    }

    /// Join of two canonical states.
    fn join(&self, other: &State) -> State {
        let mut a = self.clone();
        let mut b = other.clone();
        let mut locals = Vec::with_capacity(a.locals.len());
        for i in 0..a.locals.len() {
            let (x, y) = (a.locals[i], b.locals[i]);
            let joined = match (x, y) {
                (Some(Abs::Ref(r)), Some(Abs::Ref(_))) => Some(Abs::Ref(r)),
                (Some(Abs::Value), Some(Abs::Value)) => Some(Abs::Value),
                _ => {
                    if let Some(Abs::Ref(r)) = x {
                        a.release(r);
                    }
                    if let Some(Abs::Ref(r)) = y {
                        b.release(r);
                    }
                    None
                }
            };
            locals.push(joined);
        }
        let mut nodes = a.nodes;
        for (id, n) in b.nodes {
            let entry = nodes.entry(id).or_insert(Node {
                mutable: n.mutable,
                parents: BTreeSet::new(),
            });
            entry.parents.extend(n.parents);
        }
        State {
            locals,
            nodes,
            next: a.next,
        }
    }
}

fn err(code: &str, what: String) -> K {
    K::ReferenceSafety(format!("{what} ({code})"))
}

/// Verifies reference safety of one function body. Assumes the type-safety pass accepted
/// the code (the operand shapes below follow from it); anything unexpected is reported
/// rather than trusted.
pub fn verify_function(
    m: &CompiledModule,
    def: &FunctionDefinition,
    code: &CodeUnit,
    location: &str,
) -> Result<(), VerifyError> {
    let handle = m
        .function_handles
        .get(def.function.into_index())
        .ok_or_else(|| VerifyError {
            location: location.to_string(),
            kind: K::Other("function handle out of range".into()),
        })?;
    let params = sig(m, handle.parameters);
    let n_locals = params.len() + sig(m, code.locals).len();
    let mut init = State {
        locals: vec![None; n_locals],
        nodes: BTreeMap::new(),
        next: n_locals as RefId + 1,
    };
    let root = init.root();
    init.nodes.insert(
        root,
        Node {
            mutable: true,
            parents: BTreeSet::new(),
        },
    );
    for (i, p) in params.iter().enumerate() {
        init.locals[i] = Some(match p {
            SignatureToken::Reference(_) | SignatureToken::MutableReference(_) => {
                let id = i as RefId;
                init.nodes.insert(
                    id,
                    Node {
                        mutable: matches!(p, SignatureToken::MutableReference(_)),
                        parents: BTreeSet::new(),
                    },
                );
                Abs::Ref(id)
            }
            _ => Abs::Value,
        });
    }
    let returns = sig(m, handle.return_).len();
    let ctx = Ctx { m, returns };

    let starts = block_starts(&code.code);
    let block_of = |pc: usize| starts.partition_point(|s| *s <= pc).saturating_sub(1);
    let mut entry: Vec<Option<State>> = vec![None; starts.len()];
    let mut visits = vec![0usize; starts.len()];
    entry[0] = Some(init);
    let mut work: BTreeSet<usize> = BTreeSet::from([0]);
    while let Some(block) = work.pop_first() {
        let Some(mut state) = entry[block].clone() else {
            continue;
        };
        visits[block] += 1;
        if visits[block] > MAX_VISITS_PER_BLOCK {
            return Err(VerifyError {
                location: location.to_string(),
                kind: K::ReferenceSafety("borrow analysis does not converge".into()),
            });
        }
        let start = starts[block];
        let end = starts.get(block + 1).copied().unwrap_or(code.code.len());
        let mut stack: Vec<Abs> = Vec::new();
        for pc in start..end {
            ctx.step(&code.code[pc], &mut state, &mut stack)
                .map_err(|kind| VerifyError {
                    location: format!("{location}.code[{pc}]"),
                    kind,
                })?;
        }
        let out = state.canonical();
        for succ in successors(&code.code, end - 1) {
            if succ >= code.code.len() {
                continue;
            }
            let b = block_of(succ);
            let merged = match &entry[b] {
                None => out.clone(),
                Some(old) => old.join(&out),
            };
            if entry[b].as_ref() != Some(&merged) {
                entry[b] = Some(merged);
                work.insert(b);
            }
        }
    }
    Ok(())
}

fn sig(m: &CompiledModule, idx: SignatureIndex) -> &[SignatureToken] {
    m.signature(idx).map_or(&[], |s| s.0.as_slice())
}

struct Ctx<'a> {
    m: &'a CompiledModule,
    returns: usize,
}

type R<T> = Result<T, K>;

fn pop(stack: &mut Vec<Abs>) -> R<Abs> {
    stack.pop().ok_or(K::StackUnderflow)
}

fn pop_ref(stack: &mut Vec<Abs>) -> R<RefId> {
    match pop(stack)? {
        Abs::Ref(id) => Ok(id),
        Abs::Value => Err(K::TypeMismatch("expected a reference operand".into())),
    }
}

fn pop_n(stack: &mut Vec<Abs>, n: usize) -> R<()> {
    for _ in 0..n {
        pop(stack)?;
    }
    Ok(())
}

impl Ctx<'_> {
    fn field_label(&self, h: FieldHandleIndex) -> R<Label> {
        let fh = self
            .m
            .field_handles
            .get(h.into_index())
            .ok_or_else(|| K::Other("field handle out of range".into()))?;
        Ok(Label::Field(fh.owner.0, fh.field))
    }

    fn field_inst_label(&self, i: FieldInstantiationIndex) -> R<Label> {
        let fi = self
            .m
            .field_instantiations
            .get(i.into_index())
            .ok_or_else(|| K::Other("field instantiation out of range".into()))?;
        self.field_label(fi.handle)
    }

    fn variant_label(&self, h: VariantFieldHandleIndex) -> R<Label> {
        let vh = self
            .m
            .variant_field_handles
            .get(h.into_index())
            .ok_or_else(|| K::Other("variant field handle out of range".into()))?;
        Ok(Label::VariantField(vh.struct_index.0, vh.field))
    }

    fn variant_inst_label(&self, i: VariantFieldInstantiationIndex) -> R<Label> {
        let vi = self
            .m
            .variant_field_instantiations
            .get(i.into_index())
            .ok_or_else(|| K::Other("variant field instantiation out of range".into()))?;
        self.variant_label(vi.handle)
    }

    fn inst_def(&self, i: StructDefInstantiationIndex) -> R<StructDefinitionIndex> {
        self.m
            .struct_def_instantiations
            .get(i.into_index())
            .map(|d| d.def)
            .ok_or_else(|| K::Other("struct instantiation out of range".into()))
    }

    fn field_count(&self, sd: StructDefinitionIndex, variant: Option<VariantIndex>) -> R<usize> {
        self.m
            .struct_defs
            .get(sd.into_index())
            .map(|d| d.field_information.field_count(variant))
            .ok_or_else(|| K::Other("struct definition out of range".into()))
    }

    fn variant_handle(&self, h: StructVariantHandleIndex) -> R<&StructVariantHandle> {
        self.m
            .struct_variant_handles
            .get(h.into_index())
            .ok_or_else(|| K::Other("variant handle out of range".into()))
    }

    fn variant_inst(&self, i: StructVariantInstantiationIndex) -> R<&StructVariantHandle> {
        let vi = self
            .m
            .struct_variant_instantiations
            .get(i.into_index())
            .ok_or_else(|| K::Other("variant instantiation out of range".into()))?;
        self.variant_handle(vi.handle)
    }

    fn resource_name(&self, sd: StructDefinitionIndex) -> String {
        self.m
            .struct_defs
            .get(sd.into_index())
            .and_then(|d| self.m.struct_handles.get(d.struct_handle.into_index()))
            .map_or("<invalid>".to_string(), |h| {
                self.m.identifier(h.name).to_string()
            })
    }

    fn borrow_field(&self, st: &mut State, stack: &mut Vec<Abs>, mutable: bool, l: Label) -> R<()> {
        let id = pop_ref(stack)?;
        if mutable && st.has_full_borrows(id) {
            return Err(err(
                "BORROWFIELD_EXISTS_MUTABLE_BORROW_ERROR",
                "mutable field borrow of a reference that is itself fully borrowed".into(),
            ));
        }
        if !mutable && !st.is_readable(id, Some(l)) {
            return Err(err(
                "BORROWFIELD_EXISTS_MUTABLE_BORROW_ERROR",
                "immutable field borrow while the field is mutably borrowed".into(),
            ));
        }
        let child = st.new_ref(mutable);
        st.add_edge(id, child, vec![l], true);
        st.release(id);
        stack.push(Abs::Ref(child));
        Ok(())
    }

    fn borrow_global(
        &self,
        st: &mut State,
        stack: &mut Vec<Abs>,
        mutable: bool,
        sd: StructDefinitionIndex,
    ) -> R<()> {
        pop(stack)?;
        if (mutable && st.global_borrowed(sd.0)) || st.global_mut_borrowed(sd.0) {
            return Err(err(
                "GLOBAL_REFERENCE_ERROR",
                format!(
                    "{} borrow of global {} while it is {}borrowed",
                    if mutable { "mutable" } else { "immutable" },
                    self.resource_name(sd),
                    if mutable { "" } else { "mutably " }
                ),
            ));
        }
        let id = st.new_ref(mutable);
        let root = st.root();
        st.add_edge(root, id, vec![Label::Global(sd.0)], false);
        stack.push(Abs::Ref(id));
        Ok(())
    }

    fn move_from(&self, st: &mut State, stack: &mut Vec<Abs>, sd: StructDefinitionIndex) -> R<()> {
        pop(stack)?;
        if st.global_borrowed(sd.0) {
            return Err(err(
                "GLOBAL_REFERENCE_ERROR",
                format!(
                    "move_from of global {} while it is borrowed",
                    self.resource_name(sd)
                ),
            ));
        }
        stack.push(Abs::Value);
        Ok(())
    }

    fn vector_op(&self, st: &mut State, id: RefId, mutable: bool) -> R<()> {
        if mutable && !st.is_writable(id) {
            return Err(err(
                "VEC_UPDATE_EXISTS_MUTABLE_BORROW_ERROR",
                "vector update through a reference that is still borrowed".into(),
            ));
        }
        st.release(id);
        Ok(())
    }

    fn call(&self, st: &mut State, stack: &mut Vec<Abs>, fh: FunctionHandleIndex) -> R<()> {
        let handle = self
            .m
            .function_handles
            .get(fh.into_index())
            .ok_or_else(|| K::Other("function handle out of range".into()))?;
        // Resources the callee acquires (only meaningful for callees in this module).
        if handle.module == self.m.self_module_handle_idx {
            if let Some(def) = self.m.function_defs.iter().find(|d| d.function == fh) {
                for sd in &def.acquires_global_resources {
                    if st.global_borrowed(sd.0) {
                        return Err(err(
                            "GLOBAL_REFERENCE_ERROR",
                            format!(
                                "call to {}, which acquires {}, while that global is borrowed",
                                self.m.identifier(handle.name),
                                self.resource_name(*sd)
                            ),
                        ));
                    }
                }
            }
        }
        let n_args = sig(self.m, handle.parameters).len();
        let mut args = Vec::with_capacity(n_args);
        for _ in 0..n_args {
            args.push(pop(stack)?);
        }
        let mut all = BTreeSet::new();
        let mut muts = BTreeSet::new();
        for a in &args {
            if let Abs::Ref(id) = a {
                if st.is_mutable(*id) {
                    if !st.is_writable(*id) {
                        return Err(err(
                            "CALL_BORROWED_MUTABLE_REFERENCE_ERROR",
                            format!(
                                "mutable reference passed to {} while it is still borrowed",
                                self.m.identifier(handle.name)
                            ),
                        ));
                    }
                    muts.insert(*id);
                }
                all.insert(*id);
            }
        }
        for ret in sig(self.m, handle.return_) {
            match ret {
                SignatureToken::MutableReference(_) => {
                    let id = st.new_ref(true);
                    for p in &muts {
                        st.add_edge(*p, id, vec![], false);
                    }
                    stack.push(Abs::Ref(id));
                }
                SignatureToken::Reference(_) => {
                    let id = st.new_ref(false);
                    for p in &all {
                        st.add_edge(*p, id, vec![], false);
                    }
                    stack.push(Abs::Ref(id));
                }
                _ => stack.push(Abs::Value),
            }
        }
        for id in all {
            st.release(id);
        }
        Ok(())
    }

    fn step(&self, instr: &Bytecode, st: &mut State, stack: &mut Vec<Abs>) -> R<()> {
        use Bytecode as B;
        let local = |st: &State, i: u8| -> R<Option<Abs>> {
            st.locals
                .get(usize::from(i))
                .copied()
                .ok_or_else(|| K::Other(format!("local {i} out of range")))
        };
        match instr {
            B::Pop => {
                if let Abs::Ref(id) = pop(stack)? {
                    st.release(id);
                }
            }
            B::Ret => {
                let mut values = Vec::with_capacity(self.returns);
                for _ in 0..self.returns {
                    values.push(pop(stack)?);
                }
                let refs: Vec<RefId> = st
                    .locals
                    .iter()
                    .filter_map(|l| match l {
                        Some(Abs::Ref(id)) => Some(*id),
                        _ => None,
                    })
                    .collect();
                for id in refs {
                    st.release(id);
                }
                if st.has_borrows(st.root(), None) {
                    return Err(err(
                        "UNSAFE_RET_LOCAL_OR_RESOURCE_STILL_BORROWED",
                        "return while a local is still borrowed (a returned reference \
                         points into the frame)"
                            .into(),
                    ));
                }
                for v in values {
                    if let Abs::Ref(id) = v {
                        if st.is_mutable(id) && !st.is_writable(id) {
                            return Err(err(
                                "RET_BORROWED_MUTABLE_REFERENCE_ERROR",
                                "returns a mutable reference that is still borrowed".into(),
                            ));
                        }
                    }
                }
            }
            B::BrTrue(_) | B::BrFalse(_) | B::Abort => {
                pop(stack)?;
            }
            B::Branch(_)
            | B::Nop
            | B::CastU8
            | B::CastU16
            | B::CastU32
            | B::CastU64
            | B::CastU128
            | B::CastU256
            | B::Not
            | B::Exists(_)
            | B::ExistsGeneric(_) => {}
            B::LdU8(_)
            | B::LdU16(_)
            | B::LdU32(_)
            | B::LdU64(_)
            | B::LdU128(_)
            | B::LdU256(_)
            | B::LdConst(_)
            | B::LdTrue
            | B::LdFalse => stack.push(Abs::Value),
            B::CopyLoc(i) => match local(st, *i)? {
                Some(Abs::Ref(id)) => {
                    let copy = st.new_ref(st.is_mutable(id));
                    st.add_edge(id, copy, vec![], true);
                    stack.push(Abs::Ref(copy));
                }
                _ => {
                    if st.local_mut_borrowed(*i) {
                        return Err(err(
                            "COPYLOC_EXISTS_BORROW_ERROR",
                            format!("copy of local {i} while it is mutably borrowed"),
                        ));
                    }
                    stack.push(Abs::Value);
                }
            },
            B::MoveLoc(i) => {
                match local(st, *i)? {
                    Some(Abs::Ref(id)) => stack.push(Abs::Ref(id)),
                    _ => {
                        if st.local_borrowed(*i) {
                            return Err(err(
                                "MOVELOC_EXISTS_BORROW_ERROR",
                                format!("move of local {i} while it is borrowed"),
                            ));
                        }
                        stack.push(Abs::Value);
                    }
                }
                st.locals[usize::from(*i)] = None;
            }
            B::StLoc(i) => {
                let v = pop(stack)?;
                match local(st, *i)? {
                    Some(Abs::Ref(id)) => st.release(id),
                    Some(Abs::Value) | None => {
                        if st.local_borrowed(*i) {
                            return Err(err(
                                "STLOC_UNSAFE_TO_DESTROY_ERROR",
                                format!("store into local {i} while it is borrowed"),
                            ));
                        }
                    }
                }
                st.locals[usize::from(*i)] = Some(v);
            }
            B::Call(fh) => self.call(st, stack, *fh)?,
            B::CallGeneric(fi) => {
                let handle = self
                    .m
                    .function_instantiations
                    .get(fi.into_index())
                    .map(|f| f.handle)
                    .ok_or_else(|| K::Other("function instantiation out of range".into()))?;
                self.call(st, stack, handle)?
            }
            B::Pack(sd) => {
                pop_n(stack, self.field_count(*sd, None)?)?;
                stack.push(Abs::Value);
            }
            B::PackGeneric(si) => {
                pop_n(stack, self.field_count(self.inst_def(*si)?, None)?)?;
                stack.push(Abs::Value);
            }
            B::Unpack(sd) => {
                pop(stack)?;
                let n = self.field_count(*sd, None)?;
                stack.extend(std::iter::repeat_n(Abs::Value, n));
            }
            B::UnpackGeneric(si) => {
                pop(stack)?;
                let n = self.field_count(self.inst_def(*si)?, None)?;
                stack.extend(std::iter::repeat_n(Abs::Value, n));
            }
            B::PackVariant(h) => {
                let vh = self.variant_handle(*h)?;
                pop_n(stack, self.field_count(vh.struct_index, Some(vh.variant))?)?;
                stack.push(Abs::Value);
            }
            B::PackVariantGeneric(i) => {
                let vh = self.variant_inst(*i)?;
                pop_n(stack, self.field_count(vh.struct_index, Some(vh.variant))?)?;
                stack.push(Abs::Value);
            }
            B::UnpackVariant(h) => {
                let vh = self.variant_handle(*h)?;
                pop(stack)?;
                let n = self.field_count(vh.struct_index, Some(vh.variant))?;
                stack.extend(std::iter::repeat_n(Abs::Value, n));
            }
            B::UnpackVariantGeneric(i) => {
                let vh = self.variant_inst(*i)?;
                pop(stack)?;
                let n = self.field_count(vh.struct_index, Some(vh.variant))?;
                stack.extend(std::iter::repeat_n(Abs::Value, n));
            }
            B::TestVariant(_) | B::TestVariantGeneric(_) => {
                let id = pop_ref(stack)?;
                if !st.is_readable(id, None) {
                    return Err(err(
                        "READREF_EXISTS_MUTABLE_BORROW_ERROR",
                        "variant test through a reference that is mutably borrowed".into(),
                    ));
                }
                st.release(id);
                stack.push(Abs::Value);
            }
            B::ReadRef => {
                let id = pop_ref(stack)?;
                if !st.is_readable(id, None) {
                    return Err(err(
                        "READREF_EXISTS_MUTABLE_BORROW_ERROR",
                        "read through a reference that is mutably borrowed".into(),
                    ));
                }
                st.release(id);
                stack.push(Abs::Value);
            }
            B::WriteRef => {
                let id = pop_ref(stack)?;
                pop(stack)?;
                if !st.is_writable(id) {
                    return Err(err(
                        "WRITEREF_EXISTS_BORROW_ERROR",
                        "write through a reference that is still borrowed".into(),
                    ));
                }
                st.release(id);
            }
            B::FreezeRef => {
                let id = pop_ref(stack)?;
                if !st.is_freezable(id, None) {
                    return Err(err(
                        "FREEZEREF_EXISTS_MUTABLE_BORROW_ERROR",
                        "freeze of a reference that is mutably borrowed".into(),
                    ));
                }
                let frozen = st.new_ref(false);
                st.add_edge(id, frozen, vec![], true);
                st.release(id);
                stack.push(Abs::Ref(frozen));
            }
            B::MutBorrowLoc(i) | B::ImmBorrowLoc(i) => {
                let mutable = matches!(instr, B::MutBorrowLoc(_));
                local(st, *i)?;
                if !mutable && st.local_mut_borrowed(*i) {
                    return Err(err(
                        "BORROWLOC_EXISTS_BORROW_ERROR",
                        format!("immutable borrow of local {i} while it is mutably borrowed"),
                    ));
                }
                let id = st.new_ref(mutable);
                let root = st.root();
                st.add_edge(root, id, vec![Label::Local(*i)], true);
                stack.push(Abs::Ref(id));
            }
            B::MutBorrowField(h) => self.borrow_field(st, stack, true, self.field_label(*h)?)?,
            B::ImmBorrowField(h) => self.borrow_field(st, stack, false, self.field_label(*h)?)?,
            B::MutBorrowFieldGeneric(i) => {
                self.borrow_field(st, stack, true, self.field_inst_label(*i)?)?
            }
            B::ImmBorrowFieldGeneric(i) => {
                self.borrow_field(st, stack, false, self.field_inst_label(*i)?)?
            }
            B::MutBorrowVariantField(h) => {
                self.borrow_field(st, stack, true, self.variant_label(*h)?)?
            }
            B::ImmBorrowVariantField(h) => {
                self.borrow_field(st, stack, false, self.variant_label(*h)?)?
            }
            B::MutBorrowVariantFieldGeneric(i) => {
                self.borrow_field(st, stack, true, self.variant_inst_label(*i)?)?
            }
            B::ImmBorrowVariantFieldGeneric(i) => {
                self.borrow_field(st, stack, false, self.variant_inst_label(*i)?)?
            }
            B::MutBorrowGlobal(sd) => self.borrow_global(st, stack, true, *sd)?,
            B::ImmBorrowGlobal(sd) => self.borrow_global(st, stack, false, *sd)?,
            B::MutBorrowGlobalGeneric(si) => {
                self.borrow_global(st, stack, true, self.inst_def(*si)?)?
            }
            B::ImmBorrowGlobalGeneric(si) => {
                self.borrow_global(st, stack, false, self.inst_def(*si)?)?
            }
            B::MoveFrom(sd) => self.move_from(st, stack, *sd)?,
            B::MoveFromGeneric(si) => self.move_from(st, stack, self.inst_def(*si)?)?,
            B::MoveTo(_) | B::MoveToGeneric(_) => {
                pop(stack)?;
                if let Abs::Ref(id) = pop(stack)? {
                    st.release(id);
                }
            }
            B::Add
            | B::Sub
            | B::Mul
            | B::Mod
            | B::Div
            | B::BitOr
            | B::BitAnd
            | B::Xor
            | B::Shl
            | B::Shr
            | B::Or
            | B::And
            | B::Lt
            | B::Gt
            | B::Le
            | B::Ge => {
                pop_n(stack, 2)?;
                stack.push(Abs::Value);
            }
            B::Eq | B::Neq => {
                let a = pop(stack)?;
                let b = pop(stack)?;
                for v in [a, b] {
                    if let Abs::Ref(id) = v {
                        if !st.is_readable(id, None) {
                            return Err(err(
                                "READREF_EXISTS_MUTABLE_BORROW_ERROR",
                                "comparison through a reference that is mutably borrowed".into(),
                            ));
                        }
                    }
                }
                for v in [a, b] {
                    if let Abs::Ref(id) = v {
                        st.release(id);
                    }
                }
                stack.push(Abs::Value);
            }
            B::VecPack(_, n) => {
                pop_n(stack, usize::try_from(*n).unwrap_or(usize::MAX))?;
                stack.push(Abs::Value);
            }
            B::VecLen(_) => {
                let id = pop_ref(stack)?;
                self.vector_op(st, id, false)?;
                stack.push(Abs::Value);
            }
            B::VecImmBorrow(_) | B::VecMutBorrow(_) => {
                let mutable = matches!(instr, B::VecMutBorrow(_));
                pop(stack)?;
                let id = pop_ref(stack)?;
                if mutable && !st.is_writable(id) {
                    return Err(err(
                        "VEC_BORROW_ELEMENT_EXISTS_MUTABLE_BORROW_ERROR",
                        "mutable element borrow of a vector that is still borrowed".into(),
                    ));
                }
                let elem = st.new_ref(mutable);
                st.add_edge(id, elem, vec![], false);
                st.release(id);
                stack.push(Abs::Ref(elem));
            }
            B::VecPushBack(_) => {
                pop(stack)?;
                let id = pop_ref(stack)?;
                self.vector_op(st, id, true)?;
            }
            B::VecPopBack(_) => {
                let id = pop_ref(stack)?;
                self.vector_op(st, id, true)?;
                stack.push(Abs::Value);
            }
            B::VecUnpack(_, n) => {
                pop(stack)?;
                let n = usize::try_from(*n)
                    .map_err(|_| K::Other("vector unpack count too large".into()))?;
                stack.extend(std::iter::repeat_n(Abs::Value, n));
            }
            B::VecSwap(_) => {
                pop_n(stack, 2)?;
                let id = pop_ref(stack)?;
                self.vector_op(st, id, true)?;
            }
        }
        Ok(())
    }
}
