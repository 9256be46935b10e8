// Differential suite: framework natives (type_info, base64, keccak, table, event, block).
module test::d_framework {
    use std::base64;
    use std::keccak;
    use std::string;
    use std::table::{Self, Table};
    use std::type_info;

    struct Marker has drop {}
    struct Gen<phantom T> has drop {}
    struct Store has key { t: Table<u64, vector<u8>> }
    #[event]
    struct Ev has drop, store { n: u64 }

    public fun t_type_of_struct() {
        let t = type_info::type_of<Marker>();
        assert!(type_info::account_address(&t) == @0x42, 1);
        assert!(type_info::module_name(&t) == b"d_framework", 2);
        assert!(type_info::struct_name(&t) == b"Marker", 3);
        let g = type_info::type_of<Gen<u64>>();
        assert!(type_info::struct_name(&g) == b"Gen<u64>", 4);
    }
    public fun t_type_of_primitive_aborts() { let _t = type_info::type_of<u64>(); }
    public fun t_type_name() {
        assert!(*string::bytes(&type_info::type_name<u64>()) == b"u64", 1);
        assert!(*string::bytes(&type_info::type_name<vector<address>>()) == b"vector<address>", 2);
        assert!(*string::bytes(&type_info::type_name<Marker>()) == b"0x42::d_framework::Marker", 3);
        assert!(*string::bytes(&type_info::type_name<Gen<string::String>>()) == b"0x42::d_framework::Gen<0x1::string::String>", 4);
    }
    public fun t_base64() {
        assert!(base64::encode(b"hello") == b"aGVsbG8=", 1);
        assert!(base64::encode(b"") == b"", 2);
        assert!(base64::decode(b"aGVsbG8gd29ybGQ=") == b"hello world", 3);
        assert!(base64::decode(base64::encode(x"00ff10")) == x"00ff10", 4);
    }
    public fun t_base64_bad_input() { let _b = base64::decode(b"!!!"); }
    public fun t_keccak() {
        assert!(keccak::keccak256(b"") == x"c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", 1);
    }
    public fun t_table_ops() {
        let t = table::new<u64, u64>();
        table::add(&mut t, 1, 10);
        table::add(&mut t, 2, 20);
        assert!(table::length(&t) == 2, 1);
        assert!(*table::borrow(&t, 1) == 10, 2);
        *table::borrow_mut(&mut t, 2) = 25;
        assert!(*table::borrow(&t, 2) == 25, 3);
        assert!(table::contains(&t, 1) && !table::contains(&t, 3), 4);
        assert!(table::remove(&mut t, 1) == 10, 5);
        assert!(!table::contains(&t, 1), 6);
        assert!(table::remove(&mut t, 2) == 25, 7);
        table::destroy_empty(t);
    }
    public fun t_table_duplicate_key() {
        let t = table::new<u64, u64>();
        table::add(&mut t, 1, 10);
        table::add(&mut t, 1, 11);
        table::destroy_empty(t);
    }
    public fun t_table_missing_key() {
        let t = table::new<u64, u64>();
        let _v = *table::borrow(&t, 7);
        table::destroy_empty(t);
    }
    public fun t_table_destroy_non_empty() {
        let t = table::new<u64, u64>();
        table::add(&mut t, 1, 10);
        table::destroy_empty(t);
    }
    public fun ts_table_in_resource(s: signer) acquires Store {
        let t = table::new<u64, vector<u8>>();
        table::add(&mut t, 5, b"five");
        move_to(&s, Store { t });
        let st = borrow_global_mut<Store>(@0xcafe);
        std::vector::push_back(table::borrow_mut(&mut st.t, 5), 33);
        assert!(*table::borrow(&borrow_global<Store>(@0xcafe).t, 5) == b"five!", 1);
    }
    public fun t_event_emit() {
        std::event::emit(Ev { n: 1 });
        std::event::emit(Ev { n: 2 });
    }

    // Helpers for tests/framework_natives.rs (not part of the differential suite).
    public fun block_info(): (u64, u64) { std::block::get_block_info() }
    public fun table_value(addr: address, k: u64): vector<u8> acquires Store {
        *table::borrow(&borrow_global<Store>(addr).t, k)
    }
    public fun emit_two() { t_event_emit() }
}
