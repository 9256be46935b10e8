// Differential suite: natives (bcs, hash, signer, string).
module test::d_natives {
    use std::bcs;
    use std::hash;
    use std::string;

    struct S has drop { a: u8, b: vector<u16>, c: address }

    public fun t_bcs() {
        assert!(bcs::to_bytes(&258u64) == x"0201000000000000", 1);
        assert!(bcs::to_bytes(&true) == x"01", 2);
        assert!(bcs::to_bytes(&vector[1u16, 2]) == x"0201000200", 3);
        assert!(bcs::to_bytes(&S { a: 7, b: vector[], c: @0x1 }) == x"07000000000000000000000000000000000000000000000000000000000000000001", 4);
        assert!(bcs::to_bytes(&string::utf8(b"hi")) == x"026869", 5);
        assert!(bcs::to_bytes(&1u256) == x"0100000000000000000000000000000000000000000000000000000000000000", 6);
    }
    public fun t_sha2() {
        assert!(hash::sha2_256(b"abc") == x"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 1);
    }
    public fun t_sha3() {
        assert!(hash::sha3_256(b"") == x"a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a", 1);
    }
    public fun t_string_ops() {
        let s = string::utf8(b"h\xc3\xa9llo world");
        assert!(string::length(&s) == 12, 1);
        assert!(string::index_of(&s, &string::utf8(b"world")) == 7, 2);
        assert!(*string::bytes(&string::sub_string(&s, 7, 12)) == b"world", 3);
        assert!(string::index_of(&s, &string::utf8(b"zz")) == 12, 4);
    }
    public fun t_string_bad_utf8() { let _s = string::utf8(x"c3"); }
    public fun t_string_bad_boundary() { let s = string::utf8(b"h\xc3\xa9"); let _t = string::sub_string(&s, 0, 2); }
}
