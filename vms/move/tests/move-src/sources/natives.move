module test::natives {
    use std::bcs;
    use std::hash;
    use std::string;

    public fun bcs_of_u64(x: u64): vector<u8> { bcs::to_bytes(&x) }
    public fun bcs_of_address(a: address): vector<u8> { bcs::to_bytes(&a) }
    public fun bcs_of_vec(v: vector<u16>): vector<u8> { bcs::to_bytes(&v) }
    public fun sha2(data: vector<u8>): vector<u8> { hash::sha2_256(data) }
    public fun sha3(data: vector<u8>): vector<u8> { hash::sha3_256(data) }
    public fun signer_address(s: &signer): address { std::signer::address_of(s) }

    public fun string_demo(): (u64, vector<u8>, u64) {
        let s = string::utf8(b"hello move");
        let sub = string::sub_string(&s, 6, 10);
        let idx = string::index_of(&s, &string::utf8(b"move"));
        (string::length(&s), *string::bytes(&sub), idx)
    }

    public fun bad_utf8(): u64 { string::length(&string::utf8(x"ff")) }
}
