//! Recursive struct definitions and generic instantiation loops, with the intent of the
//! Move verifier's `struct_defs` and `instantiation_loops` passes (aptos-core
//! `move-bytecode-verifier`, implemented independently).
//!
//! * A struct of this module may not contain itself, directly or through other structs of
//!   this module, vectors or type arguments (its size would be infinite).
//! * A generic function may not call itself, directly or through other functions of this
//!   module, with type arguments that grow on every round (`f<T>` calling `f<Box<T>>`):
//!   that would need infinitely many instantiations. Edges of the graph go from `(f, i)` to
//!   `(g, j)` when `f` passes a type built from its parameter `i` as `g`'s parameter `j`;
//!   an edge is growing when the type is not just `T_i`. A strongly connected component
//!   containing a growing edge is rejected.

use std::collections::{BTreeMap, BTreeSet};

use super::{VerifyError, VerifyErrorKind as K};
use crate::file_format::*;

/// Rejects struct definitions that contain themselves.
pub fn verify_structs(m: &CompiledModule) -> Result<(), VerifyError> {
    // handle index -> definition index, for structs defined here.
    let defined: BTreeMap<u16, usize> = m
        .struct_defs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.struct_handle.0, i))
        .collect();
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); m.struct_defs.len()];
    for (i, def) in m.struct_defs.iter().enumerate() {
        let fields: Vec<&FieldDefinition> = match &def.field_information {
            StructFieldInformation::Native => vec![],
            StructFieldInformation::Declared(fs) => fs.iter().collect(),
            StructFieldInformation::DeclaredVariants(vs) => {
                vs.iter().flat_map(|v| v.fields.iter()).collect()
            }
        };
        for f in fields {
            collect_structs(&f.signature, &defined, &mut edges[i]);
        }
    }
    // Depth-first search for a cycle.
    let mut state = vec![0u8; edges.len()]; // 0 new, 1 on stack, 2 done
    for start in 0..edges.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>)> =
            vec![(start, edges[start].iter().copied().collect())];
        state[start] = 1;
        while let Some((node, pending)) = stack.last_mut() {
            let node = *node;
            match pending.pop() {
                Some(next) if state[next] == 1 => {
                    return Err(VerifyError {
                        location: format!("StructDefs[{next}] ({})", struct_name(m, next)),
                        kind: K::RecursiveStruct(format!(
                            "{} contains itself through {}",
                            struct_name(m, next),
                            struct_name(m, node)
                        )),
                    });
                }
                Some(next) if state[next] == 0 => {
                    state[next] = 1;
                    stack.push((next, edges[next].iter().copied().collect()));
                }
                Some(_) => {}
                None => {
                    state[node] = 2;
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}

fn collect_structs(t: &SignatureToken, defined: &BTreeMap<u16, usize>, out: &mut BTreeSet<usize>) {
    use SignatureToken as S;
    match t {
        S::Struct(sh) => {
            if let Some(d) = defined.get(&sh.0) {
                out.insert(*d);
            }
        }
        S::StructInstantiation(sh, args) => {
            if let Some(d) = defined.get(&sh.0) {
                out.insert(*d);
            }
            for a in args {
                collect_structs(a, defined, out);
            }
        }
        S::Vector(e) | S::Reference(e) | S::MutableReference(e) => collect_structs(e, defined, out),
        _ => {}
    }
}

fn struct_name(m: &CompiledModule, def: usize) -> String {
    m.struct_defs
        .get(def)
        .and_then(|d| m.struct_handles.get(d.struct_handle.into_index()))
        .map_or("<invalid>".to_string(), |h| {
            m.identifier(h.name).to_string()
        })
}

fn type_params_in(t: &SignatureToken, out: &mut BTreeSet<u16>) {
    use SignatureToken as S;
    match t {
        S::TypeParameter(i) => {
            out.insert(*i);
        }
        S::StructInstantiation(_, args) => args.iter().for_each(|a| type_params_in(a, out)),
        S::Vector(e) | S::Reference(e) | S::MutableReference(e) => type_params_in(e, out),
        _ => {}
    }
}

/// Rejects generic call cycles whose type arguments grow.
pub fn verify_instantiation_loops(m: &CompiledModule) -> Result<(), VerifyError> {
    // Node = (function definition index, type parameter index).
    let def_of: BTreeMap<u16, usize> = m
        .function_defs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.function.0, i))
        .collect();
    let mut nodes: BTreeMap<(usize, u16), usize> = BTreeMap::new();
    let mut names: Vec<(usize, u16)> = Vec::new();
    let mut node = |k: (usize, u16)| -> usize {
        *nodes.entry(k).or_insert_with(|| {
            names.push(k);
            names.len() - 1
        })
    };
    // (from, to, growing, caller def index)
    let mut edges: Vec<(usize, usize, bool, usize)> = Vec::new();
    for (fi, def) in m.function_defs.iter().enumerate() {
        let Some(code) = &def.code else { continue };
        for instr in &code.code {
            let Bytecode::CallGeneric(idx) = instr else {
                continue;
            };
            let Some(inst) = m.function_instantiations.get(idx.into_index()) else {
                continue;
            };
            let Some(&callee) = def_of.get(&inst.handle.0) else {
                continue; // other module: cannot close a loop
            };
            let Some(args) = m.signature(inst.type_parameters) else {
                continue;
            };
            for (j, arg) in args.0.iter().enumerate() {
                let Ok(j) = u16::try_from(j) else { continue };
                let mut used = BTreeSet::new();
                type_params_in(arg, &mut used);
                let growing = !matches!(arg, SignatureToken::TypeParameter(_));
                for i in used {
                    let from = node((fi, i));
                    let to = node((callee, j));
                    edges.push((from, to, growing, fi));
                }
            }
        }
    }
    let n = names.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (a, b, _, _) in &edges {
        adj[*a].push(*b);
    }
    let comp = scc(&adj);
    for (a, b, growing, caller) in &edges {
        if *growing && comp[*a] == comp[*b] {
            let fname = m
                .function_defs
                .get(*caller)
                .and_then(|d| m.function_handles.get(d.function.into_index()))
                .map_or("<invalid>", |h| m.identifier(h.name));
            return Err(VerifyError {
                location: super::function_location(m, *caller),
                kind: K::InstantiationLoop(format!(
                    "{fname} takes part in a generic call cycle whose type arguments grow \
                     without bound (type parameter {} feeds a larger type into parameter {} \
                     of FunctionDefs[{}])",
                    names[*a].1, names[*b].1, names[*b].0
                )),
            });
        }
    }
    Ok(())
}

/// Strongly connected components (iterative Tarjan); returns a component id per node.
fn scc(adj: &[Vec<usize>]) -> Vec<usize> {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![usize::MAX; n];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut next_comp = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((v, i)) = call.last_mut() {
            let v = *v;
            if let Some(&w) = adj[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some((parent, _)) = call.last() {
                    low[*parent] = low[*parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = next_comp;
                        if w == v {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    comp
}
