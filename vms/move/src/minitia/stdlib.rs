//! The built-in `0x1` framework of a Move minitia: our own Move sources in
//! `vms/move/framework/sources/` (std: error, vector, signer, bcs, from_bcs, hash, string,
//! option; initia_std-style: type_info, base64, keccak, event, block, table, object,
//! fungible_asset, coin, primary_fungible_store), compiled by `vms/move/framework/build.sh`.
//! Genesis publishes them at `0x1`; names and signatures follow Initia's framework, so
//! initia.js messages such as `0x1::coin::transfer` work unchanged.

/// `(module name, bytecode)` of every framework module.
pub const FRAMEWORK: &[(&str, &[u8])] = &[
    ("base64", include_bytes!("../../framework/build/base64.mv")),
    ("bcs", include_bytes!("../../framework/build/bcs.mv")),
    ("block", include_bytes!("../../framework/build/block.mv")),
    ("coin", include_bytes!("../../framework/build/coin.mv")),
    ("error", include_bytes!("../../framework/build/error.mv")),
    ("event", include_bytes!("../../framework/build/event.mv")),
    (
        "from_bcs",
        include_bytes!("../../framework/build/from_bcs.mv"),
    ),
    (
        "fungible_asset",
        include_bytes!("../../framework/build/fungible_asset.mv"),
    ),
    ("hash", include_bytes!("../../framework/build/hash.mv")),
    ("keccak", include_bytes!("../../framework/build/keccak.mv")),
    ("object", include_bytes!("../../framework/build/object.mv")),
    ("option", include_bytes!("../../framework/build/option.mv")),
    (
        "primary_fungible_store",
        include_bytes!("../../framework/build/primary_fungible_store.mv"),
    ),
    ("signer", include_bytes!("../../framework/build/signer.mv")),
    ("string", include_bytes!("../../framework/build/string.mv")),
    ("table", include_bytes!("../../framework/build/table.mv")),
    (
        "type_info",
        include_bytes!("../../framework/build/type_info.mv"),
    ),
    ("vector", include_bytes!("../../framework/build/vector.mv")),
];

#[cfg(test)]
mod tests {
    use super::FRAMEWORK;
    use crate::loader::ModuleCache;

    #[test]
    fn the_framework_verifies_and_links_at_0x1() {
        let mut modules = Vec::new();
        for (name, bytes) in FRAMEWORK {
            let m = crate::load_verified_module(bytes)
                .unwrap_or_else(|e| panic!("framework module {name}: {e}"));
            let id = crate::types::ModuleId::of(&m);
            assert_eq!(id.address, crate::types::address_from_u64(1), "{name}");
            assert_eq!(id.name, *name);
            modules.push(m);
        }
        let order = ModuleCache::new().publish_bundle(modules).expect("links");
        assert_eq!(order.len(), FRAMEWORK.len());
    }
}
