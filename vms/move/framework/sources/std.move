// The Move standard library of a Move minitia, at 0x1: the functions Initia's move_stdlib
// offers that the VM implements natively, plus the pure-Move helpers contracts rely on.
// Written for Minitia SDK; only the native signatures follow Initia's (so that modules
// compiled against Initia's framework link against these).

module std::error {
    const INVALID_ARGUMENT: u64 = 0x1;
    const OUT_OF_RANGE: u64 = 0x2;
    const INVALID_STATE: u64 = 0x3;
    const UNAUTHENTICATED: u64 = 0x4;
    const PERMISSION_DENIED: u64 = 0x5;
    const NOT_FOUND: u64 = 0x6;
    const ABORTED: u64 = 0x7;
    const ALREADY_EXISTS: u64 = 0x8;
    const RESOURCE_EXHAUSTED: u64 = 0x9;
    const INTERNAL: u64 = 0xA;
    const NOT_IMPLEMENTED: u64 = 0xC;
    const UNAVAILABLE: u64 = 0xD;

    public fun canonical(category: u64, reason: u64): u64 { (category << 16) + reason }
    public fun invalid_argument(r: u64): u64 { canonical(INVALID_ARGUMENT, r) }
    public fun out_of_range(r: u64): u64 { canonical(OUT_OF_RANGE, r) }
    public fun invalid_state(r: u64): u64 { canonical(INVALID_STATE, r) }
    public fun unauthenticated(r: u64): u64 { canonical(UNAUTHENTICATED, r) }
    public fun permission_denied(r: u64): u64 { canonical(PERMISSION_DENIED, r) }
    public fun not_found(r: u64): u64 { canonical(NOT_FOUND, r) }
    public fun aborted(r: u64): u64 { canonical(ABORTED, r) }
    public fun already_exists(r: u64): u64 { canonical(ALREADY_EXISTS, r) }
    public fun resource_exhausted(r: u64): u64 { canonical(RESOURCE_EXHAUSTED, r) }
    public fun internal(r: u64): u64 { canonical(INTERNAL, r) }
    public fun not_implemented(r: u64): u64 { canonical(NOT_IMPLEMENTED, r) }
    public fun unavailable(r: u64): u64 { canonical(UNAVAILABLE, r) }
}

module std::vector {
    const EINDEX_OUT_OF_BOUNDS: u64 = 0x20000;

    native public fun empty<Element>(): vector<Element>;
    native public fun length<Element>(v: &vector<Element>): u64;
    native public fun borrow<Element>(v: &vector<Element>, i: u64): &Element;
    native public fun borrow_mut<Element>(v: &mut vector<Element>, i: u64): &mut Element;
    native public fun push_back<Element>(v: &mut vector<Element>, e: Element);
    native public fun pop_back<Element>(v: &mut vector<Element>): Element;
    native public fun destroy_empty<Element>(v: vector<Element>);
    native public fun swap<Element>(v: &mut vector<Element>, i: u64, j: u64);
    native public fun move_range<T>(from: &mut vector<T>, removal_position: u64, length: u64, to: &mut vector<T>, insert_position: u64);

    public fun singleton<Element>(e: Element): vector<Element> {
        let v = empty();
        push_back(&mut v, e);
        v
    }

    public fun is_empty<Element>(v: &vector<Element>): bool { length(v) == 0 }

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

    public fun append<Element>(lhs: &mut vector<Element>, other: vector<Element>) {
        reverse(&mut other);
        while (!is_empty(&other)) push_back(lhs, pop_back(&mut other));
        destroy_empty(other);
    }

    public fun contains<Element>(v: &vector<Element>, e: &Element): bool {
        let i = 0;
        let len = length(v);
        while (i < len) {
            if (borrow(v, i) == e) return true;
            i = i + 1;
        };
        false
    }

    public fun index_of<Element>(v: &vector<Element>, e: &Element): (bool, u64) {
        let i = 0;
        let len = length(v);
        while (i < len) {
            if (borrow(v, i) == e) return (true, i);
            i = i + 1;
        };
        (false, 0)
    }

    public fun remove<Element>(v: &mut vector<Element>, i: u64): Element {
        let len = length(v);
        assert!(i < len, EINDEX_OUT_OF_BOUNDS);
        len = len - 1;
        while (i < len) {
            swap(v, i, i + 1);
            i = i + 1;
        };
        pop_back(v)
    }
}

module std::signer {
    native public fun borrow_address(s: &signer): &address;
    public fun address_of(s: &signer): address { *borrow_address(s) }
}

module std::bcs {
    native public fun to_bytes<T>(v: &T): vector<u8>;
}

module std::from_bcs {
    public fun to_address(v: vector<u8>): address { from_bytes<address>(v) }
    public fun to_u64(v: vector<u8>): u64 { from_bytes<u64>(v) }
    native fun from_bytes<T>(bytes: vector<u8>): T;
}

module std::hash {
    native public fun sha2_256(data: vector<u8>): vector<u8>;
    native public fun sha3_256(data: vector<u8>): vector<u8>;
}

module std::string {
    use std::vector;

    struct String has copy, drop, store { bytes: vector<u8> }
    const EINVALID_UTF8: u64 = 1;
    const EINVALID_INDEX: u64 = 2;

    public fun utf8(bytes: vector<u8>): String {
        assert!(internal_check_utf8(&bytes), EINVALID_UTF8);
        String { bytes }
    }
    public fun bytes(s: &String): &vector<u8> { &s.bytes }
    public fun length(s: &String): u64 { vector::length(&s.bytes) }
    public fun is_empty(s: &String): bool { vector::is_empty(&s.bytes) }
    public fun append(s: &mut String, r: String) { vector::append(&mut s.bytes, r.bytes) }
    public fun append_utf8(s: &mut String, bytes: vector<u8>) { append(s, utf8(bytes)) }
    public fun sub_string(s: &String, i: u64, j: u64): String {
        let bytes = &s.bytes;
        let l = vector::length(bytes);
        assert!(j <= l && i <= j && internal_is_char_boundary(bytes, i) && internal_is_char_boundary(bytes, j), EINVALID_INDEX);
        String { bytes: internal_sub_string(bytes, i, j) }
    }
    public fun index_of(s: &String, r: &String): u64 { internal_index_of(&s.bytes, &r.bytes) }

    native fun internal_check_utf8(v: &vector<u8>): bool;
    native fun internal_is_char_boundary(v: &vector<u8>, i: u64): bool;
    native fun internal_sub_string(v: &vector<u8>, i: u64, j: u64): vector<u8>;
    native fun internal_index_of(v: &vector<u8>, r: &vector<u8>): u64;
}

module std::option {
    use std::vector;

    struct Option<Element> has copy, drop, store { vec: vector<Element> }
    const EOPTION_IS_SET: u64 = 0x40000;
    const EOPTION_NOT_SET: u64 = 0x40001;

    public fun none<Element>(): Option<Element> { Option { vec: vector::empty() } }
    public fun some<Element>(e: Element): Option<Element> { Option { vec: vector::singleton(e) } }
    public fun is_none<Element>(t: &Option<Element>): bool { vector::is_empty(&t.vec) }
    public fun is_some<Element>(t: &Option<Element>): bool { !vector::is_empty(&t.vec) }
    public fun borrow<Element>(t: &Option<Element>): &Element {
        assert!(is_some(t), EOPTION_NOT_SET);
        vector::borrow(&t.vec, 0)
    }
    public fun extract<Element>(t: &mut Option<Element>): Element {
        assert!(is_some(t), EOPTION_NOT_SET);
        vector::pop_back(&mut t.vec)
    }
    public fun destroy_some<Element>(t: Option<Element>): Element {
        assert!(is_some(&t), EOPTION_NOT_SET);
        let Option { vec } = t;
        let elem = vector::pop_back(&mut vec);
        vector::destroy_empty(vec);
        elem
    }
    public fun destroy_none<Element>(t: Option<Element>) {
        assert!(is_none(&t), EOPTION_IS_SET);
        let Option { vec } = t;
        vector::destroy_empty(vec)
    }
}
