// Minimal standard-library shims declaring the natives the interpreter implements.
// Written for these tests; only signatures matter to the VM.

module std::vector {
    native public fun empty<Element>(): vector<Element>;
    native public fun length<Element>(v: &vector<Element>): u64;
    native public fun borrow<Element>(v: &vector<Element>, i: u64): &Element;
    native public fun borrow_mut<Element>(v: &mut vector<Element>, i: u64): &mut Element;
    native public fun push_back<Element>(v: &mut vector<Element>, e: Element);
    native public fun pop_back<Element>(v: &mut vector<Element>): Element;
    native public fun destroy_empty<Element>(v: vector<Element>);
    native public fun swap<Element>(v: &mut vector<Element>, i: u64, j: u64);
    native public fun move_range<T>(from: &mut vector<T>, removal_position: u64, length: u64, to: &mut vector<T>, insert_position: u64);

    public fun reverse<Element>(v: &mut vector<Element>) {
        let len = length(v);
        if (len == 0) return;
        let front = 0;
        let back = len - 1;
        while (front < back) {
            swap(v, front, back);
            front = front + 1;
            back = back - 1;
        }
    }
}

module std::signer {
    native public fun borrow_address(s: &signer): &address;
    public fun address_of(s: &signer): address { *borrow_address(s) }
}

module std::bcs {
    native public fun to_bytes<T>(v: &T): vector<u8>;
}

module std::hash {
    native public fun sha2_256(data: vector<u8>): vector<u8>;
    native public fun sha3_256(data: vector<u8>): vector<u8>;
}

module std::string {
    struct String has copy, drop, store { bytes: vector<u8> }
    const EINVALID_UTF8: u64 = 1;
    const EINVALID_INDEX: u64 = 2;

    public fun utf8(bytes: vector<u8>): String {
        assert!(internal_check_utf8(&bytes), EINVALID_UTF8);
        String { bytes }
    }
    public fun bytes(s: &String): &vector<u8> { &s.bytes }
    public fun length(s: &String): u64 { std::vector::length(&s.bytes) }
    public fun sub_string(s: &String, i: u64, j: u64): String {
        let bytes = &s.bytes;
        let l = std::vector::length(bytes);
        assert!(j <= l && i <= j && internal_is_char_boundary(bytes, i) && internal_is_char_boundary(bytes, j), EINVALID_INDEX);
        String { bytes: internal_sub_string(bytes, i, j) }
    }
    public fun index_of(s: &String, r: &String): u64 { internal_index_of(&s.bytes, &r.bytes) }

    native fun internal_check_utf8(v: &vector<u8>): bool;
    native fun internal_is_char_boundary(v: &vector<u8>, i: u64): bool;
    native fun internal_sub_string(v: &vector<u8>, i: u64, j: u64): vector<u8>;
    native fun internal_index_of(v: &vector<u8>, r: &vector<u8>): u64;
}

module std::type_info {
    use std::string::String;
    struct TypeInfo has copy, drop, store { account_address: address, module_name: vector<u8>, struct_name: vector<u8> }
    public native fun type_of<T>(): TypeInfo;
    public native fun type_name<T>(): String;
    public fun account_address(t: &TypeInfo): address { t.account_address }
    public fun module_name(t: &TypeInfo): vector<u8> { t.module_name }
    public fun struct_name(t: &TypeInfo): vector<u8> { t.struct_name }
}

module std::base64 {
    public native fun encode(bytes: vector<u8>): vector<u8>;
    public native fun decode(bytes: vector<u8>): vector<u8>;
}

module std::keccak {
    public native fun keccak256(data: vector<u8>): vector<u8>;
}

module std::event {
    public fun emit<T: store + drop>(msg: T) { emit_event<T>(&msg) }
    native fun emit_event<T: store + drop>(msg: &T);
}

module std::block {
    native public fun get_block_info(): (u64, u64);
}

module std::table {
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
