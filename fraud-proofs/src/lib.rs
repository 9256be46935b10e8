//! Fraud proofs: witness building, stateless re-execution and the challenger.
