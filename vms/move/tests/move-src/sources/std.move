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
