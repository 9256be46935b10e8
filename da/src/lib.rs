//! Data availability: the local Celestia-compatible DA node and the Celestia client behind DaClient.
