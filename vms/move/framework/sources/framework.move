// The Initia-style framework of a Move minitia, at 0x1: type_info, events, block facts,
// tables, objects, and the chain's coins as fungible assets. Written for Minitia SDK; the
// names and signatures follow Initia's initia_stdlib so that initia.js messages and
// contracts written for Initia work unchanged.

module initia_std::type_info {
    use std::string::String;
    struct TypeInfo has copy, drop, store { account_address: address, module_name: vector<u8>, struct_name: vector<u8> }
    public native fun type_of<T>(): TypeInfo;
    public native fun type_name<T>(): String;
    public fun account_address(t: &TypeInfo): address { t.account_address }
    public fun module_name(t: &TypeInfo): vector<u8> { t.module_name }
    public fun struct_name(t: &TypeInfo): vector<u8> { t.struct_name }
}

module initia_std::base64 {
    public native fun encode(bytes: vector<u8>): vector<u8>;
    public native fun decode(bytes: vector<u8>): vector<u8>;
}

module initia_std::keccak {
    public native fun keccak256(data: vector<u8>): vector<u8>;
}

module initia_std::event {
    public fun emit<T: store + drop>(msg: T) { emit_event<T>(&msg) }
    native fun emit_event<T: store + drop>(msg: &T);
}

module initia_std::block {
    use std::string::String;
    native public fun get_block_info(): (u64, u64);
    native public fun get_chain_id(): String;
}

module initia_std::table {
    const EALREADY_EXISTS: u64 = 100;
    const ENOT_FOUND: u64 = 101;
    const ENOT_EMPTY: u64 = 102;

    struct Table<phantom K: copy + drop, phantom V> has store { handle: address, length: u64 }
    struct Box<V> has key, drop, store { val: V }

    public fun new<K: copy + drop, V: store>(): Table<K, V> {
        Table { handle: new_table_handle<K, V>(), length: 0 }
    }
    public fun add<K: copy + drop, V>(table: &mut Table<K, V>, key: K, val: V) {
        add_box<K, V, Box<V>>(table, key, Box { val });
        table.length = table.length + 1
    }
    public fun borrow<K: copy + drop, V>(table: &Table<K, V>, key: K): &V {
        &borrow_box<K, V, Box<V>>(table, key).val
    }
    public fun borrow_mut<K: copy + drop, V>(table: &mut Table<K, V>, key: K): &mut V {
        &mut borrow_box_mut<K, V, Box<V>>(table, key).val
    }
    public fun contains<K: copy + drop, V>(table: &Table<K, V>, key: K): bool {
        contains_box<K, V, Box<V>>(table, key)
    }
    public fun remove<K: copy + drop, V>(table: &mut Table<K, V>, key: K): V {
        let Box { val } = remove_box<K, V, Box<V>>(table, key);
        table.length = table.length - 1;
        val
    }
    public fun length<K: copy + drop, V>(table: &Table<K, V>): u64 { table.length }
    public fun destroy_empty<K: copy + drop, V>(table: Table<K, V>) {
        assert!(table.length == 0, ENOT_EMPTY);
        destroy_empty_box<K, V, Box<V>>(&table);
        drop_unchecked_box<K, V, Box<V>>(table)
    }

    native fun new_table_handle<K, V>(): address;
    native fun add_box<K: copy + drop, V, B>(table: &mut Table<K, V>, key: K, val: Box<V>);
    native fun borrow_box<K: copy + drop, V, B>(table: &Table<K, V>, key: K): &Box<V>;
    native fun borrow_box_mut<K: copy + drop, V, B>(table: &mut Table<K, V>, key: K): &mut Box<V>;
    native fun contains_box<K: copy + drop, V, B>(table: &Table<K, V>, key: K): bool;
    native fun remove_box<K: copy + drop, V, B>(table: &mut Table<K, V>, key: K): Box<V>;
    native fun destroy_empty_box<K: copy + drop, V, B>(table: &Table<K, V>);
    native fun drop_unchecked_box<K: copy + drop, V, B>(table: Table<K, V>);
}

/// Typed object addresses. Only what coins need: `Object<T>`, its address, and Initia's
/// derivation of named object addresses (`sha3_256(creator || seed || 0xFE)`).
module initia_std::object {
    use std::bcs;
    use std::from_bcs;
    use std::hash;
    use std::vector;

    friend initia_std::coin;
    friend initia_std::fungible_asset;
    friend initia_std::primary_fungible_store;

    const OBJECT_FROM_SEED_ADDRESS_SCHEME: u8 = 0xFE;

    struct Object<phantom T> has copy, drop, store { inner: address }

    public fun create_object_address(source: &address, seed: vector<u8>): address {
        let bytes = bcs::to_bytes(source);
        vector::append(&mut bytes, seed);
        vector::push_back(&mut bytes, OBJECT_FROM_SEED_ADDRESS_SCHEME);
        from_bcs::to_address(hash::sha3_256(bytes))
    }

    public fun object_address<T: key>(object: &Object<T>): address { object.inner }

    public(friend) fun address_to_object_internal<T: key>(object: address): Object<T> { Object<T> { inner: object } }

    native public fun exists_at<T: key>(object: address): bool;
}

/// Fungible assets. A `FungibleAsset` is coin value in flight: it has no abilities, so it can
/// be neither copied, dropped nor stored, and only `coin` mints (withdraws) and burns
/// (deposits) it - a transaction ends with every withdrawn amount deposited somewhere.
module initia_std::fungible_asset {
    use std::error;
    use std::string::String;
    use initia_std::object::{Self, Object};

    friend initia_std::coin;

    const EAMOUNT_IS_NOT_ZERO: u64 = 3;
    const EINSUFFICIENT_BALANCE: u64 = 4;
    const EFUNGIBLE_ASSET_MISMATCH: u64 = 6;

    /// The metadata object of a coin. Coins' metadata live in the chain's bank (the denom is
    /// the symbol); this struct names the type `Object<Metadata>` and is never stored.
    struct Metadata has key { name: String, symbol: String, decimals: u8, icon_uri: String, project_uri: String }

    struct FungibleAsset { metadata: Object<Metadata>, amount: u64 }

    public fun amount(fa: &FungibleAsset): u64 { fa.amount }
    public fun metadata_from_asset(fa: &FungibleAsset): Object<Metadata> { fa.metadata }
    public fun asset_metadata(fa: &FungibleAsset): Object<Metadata> { fa.metadata }

    public fun zero<T: key>(metadata: Object<T>): FungibleAsset {
        FungibleAsset { metadata: object::address_to_object_internal<Metadata>(object::object_address(&metadata)), amount: 0 }
    }

    public fun extract(fa: &mut FungibleAsset, amount: u64): FungibleAsset {
        assert!(fa.amount >= amount, error::invalid_argument(EINSUFFICIENT_BALANCE));
        fa.amount = fa.amount - amount;
        FungibleAsset { metadata: fa.metadata, amount }
    }

    public fun merge(dst: &mut FungibleAsset, src: FungibleAsset) {
        let FungibleAsset { metadata, amount } = src;
        assert!(metadata == dst.metadata, error::invalid_argument(EFUNGIBLE_ASSET_MISMATCH));
        dst.amount = dst.amount + amount;
    }

    public fun destroy_zero(fa: FungibleAsset) {
        let FungibleAsset { metadata: _, amount } = fa;
        assert!(amount == 0, error::invalid_argument(EAMOUNT_IS_NOT_ZERO));
    }

    public(friend) fun mint_internal(metadata: Object<Metadata>, amount: u64): FungibleAsset { FungibleAsset { metadata, amount } }

    public(friend) fun burn_internal(fa: FungibleAsset): (Object<Metadata>, u64) {
        let FungibleAsset { metadata, amount } = fa;
        (metadata, amount)
    }
}

/// The chain's bank coins as fungible assets. Balances are the bank's own: a Cosmos
/// `MsgSend`, a bridge deposit or withdrawal and these functions all move the same balance.
/// A coin's metadata address is Initia's `create_object_address(@0x1, denom)`.
module initia_std::coin {
    use std::error;
    use std::signer;
    use std::string::{Self, String};
    use initia_std::object::{Self, Object};
    use initia_std::fungible_asset::{Self, Metadata, FungibleAsset};

    friend initia_std::primary_fungible_store;

    const ECOIN_NOT_FOUND: u64 = 1;

    #[view]
    public fun balance(account: address, metadata: Object<Metadata>): u64 {
        native_balance(account, object::object_address(&metadata))
    }

    #[view]
    public fun metadata_address(creator: address, symbol: String): address {
        object::create_object_address(&creator, *string::bytes(&symbol))
    }

    #[view]
    public fun metadata(creator: address, symbol: String): Object<Metadata> {
        let addr = metadata_address(creator, symbol);
        assert!(native_is_coin(addr), error::not_found(ECOIN_NOT_FOUND));
        object::address_to_object_internal<Metadata>(addr)
    }

    #[view]
    public fun denom_to_metadata(denom: String): Object<Metadata> { metadata(@initia_std, denom) }

    #[view]
    public fun metadata_to_denom(metadata: Object<Metadata>): String { native_denom(object::object_address(&metadata)) }

    #[view]
    public fun is_coin(metadata: address): bool { native_is_coin(metadata) }

    #[view]
    public fun symbol(metadata: Object<Metadata>): String { metadata_to_denom(metadata) }

    public fun withdraw(account: &signer, metadata: Object<Metadata>, amount: u64): FungibleAsset {
        native_withdraw(signer::address_of(account), object::object_address(&metadata), amount);
        fungible_asset::mint_internal(metadata, amount)
    }

    public fun deposit(account: address, fa: FungibleAsset) {
        let (metadata, amount) = fungible_asset::burn_internal(fa);
        if (amount > 0) native_deposit(account, object::object_address(&metadata), amount);
    }

    public entry fun transfer(sender: &signer, recipient: address, metadata: Object<Metadata>, amount: u64) {
        deposit(recipient, withdraw(sender, metadata, amount))
    }

    public(friend) fun balance_at(account: address, metadata: address): u64 { native_balance(account, metadata) }

    public(friend) fun transfer_at(sender: &signer, metadata: address, recipient: address, amount: u64) {
        transfer(sender, recipient, object::address_to_object_internal<Metadata>(metadata), amount)
    }

    /// The balance; 0 for an address that holds none or a metadata address of no coin.
    native fun native_balance(account: address, metadata: address): u64;
    /// Debits `account`; aborts with `invalid_argument(4)` when the balance is smaller.
    native fun native_withdraw(account: address, metadata: address, amount: u64);
    native fun native_deposit(account: address, metadata: address, amount: u64);
    /// The denom of a metadata address; aborts with `not_found(1)` when it is no coin.
    native fun native_denom(metadata: address): String;
    native fun native_is_coin(metadata: address): bool;
}

/// Initia's primary-store API over `coin`, so generic callers (`Object<T>`) work too.
module initia_std::primary_fungible_store {
    use initia_std::coin;
    use initia_std::object::{Self, Object};

    #[view]
    public fun balance<T: key>(account: address, metadata: Object<T>): u64 {
        coin::balance_at(account, object::object_address(&metadata))
    }

    public entry fun transfer<T: key>(sender: &signer, metadata: Object<T>, recipient: address, amount: u64) {
        coin::transfer_at(sender, object::object_address(&metadata), recipient, amount)
    }
}
