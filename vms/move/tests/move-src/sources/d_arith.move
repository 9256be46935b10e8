// Differential suite: integer arithmetic, bit operations, casts and comparisons.
// Functions named t_* run as #[test]s on Initia's VM (tests/diff_reference.sh) and on ours
// (tests/differential.rs). Operands come through id_* so the compiler cannot fold them.
module test::d_arith {
    fun id8(x: u8): u8 { x }
    fun id16(x: u16): u16 { x }
    fun id32(x: u32): u32 { x }
    fun id64(x: u64): u64 { x }
    fun id128(x: u128): u128 { x }
    fun id256(x: u256): u256 { x }

    public fun t_add_all_widths() {
        assert!(id8(200) + id8(55) == 255, 1);
        assert!(id16(65000) + id16(535) == 65535, 2);
        assert!(id32(4000000000) + id32(294967295) == 4294967295, 3);
        assert!(id64(18446744073709551000) + id64(615) == 18446744073709551615, 4);
        assert!(id128(340282366920938463463374607431768211000) + id128(455) == 340282366920938463463374607431768211455, 5);
        assert!(id256(1) + id256(2) == 3, 6);
    }
    public fun t_add_overflow_u8() { let x = id8(200) + id8(56); assert!(x == 0, 1); }
    public fun t_add_overflow_u16() { let x = id16(65535) + id16(1); assert!(x == 0, 1); }
    public fun t_add_overflow_u32() { let x = id32(4294967295) + id32(1); assert!(x == 0, 1); }
    public fun t_add_overflow_u64() { let x = id64(18446744073709551615) + id64(1); assert!(x == 0, 1); }
    public fun t_add_overflow_u128() { let x = id128(340282366920938463463374607431768211455) + id128(1); assert!(x == 0, 1); }
    public fun t_add_overflow_u256() {
        let x = id256(115792089237316195423570985008687907853269984665640564039457584007913129639935) + id256(1);
        assert!(x == 0, 1);
    }
    public fun t_sub() {
        assert!(id8(5) - id8(5) == 0, 1);
        assert!(id64(100) - id64(1) == 99, 2);
        assert!(id256(1000) - id256(999) == 1, 3);
    }
    public fun t_sub_underflow_u8() { let x = id8(0) - id8(1); assert!(x == 0, 1); }
    public fun t_sub_underflow_u64() { let x = id64(1) - id64(2); assert!(x == 0, 1); }
    public fun t_sub_underflow_u256() { let x = id256(1) - id256(2); assert!(x == 0, 1); }
    public fun t_mul() {
        assert!(id8(15) * id8(17) == 255, 1);
        assert!(id32(65536) * id32(65535) == 4294901760, 2);
        assert!(id128(18446744073709551616) * id128(18446744073709551615) == 340282366920938463444927863358058659840, 3);
        assert!(id256(340282366920938463463374607431768211456) * id256(340282366920938463463374607431768211455) == 115792089237316195423570985008687907852929702298719625575994209400481361428480, 4);
    }
    public fun t_mul_overflow_u16() { let x = id16(256) * id16(256); assert!(x == 0, 1); }
    public fun t_mul_overflow_u64() { let x = id64(4294967296) * id64(4294967296); assert!(x == 0, 1); }
    public fun t_mul_overflow_u128() { let x = id128(18446744073709551616) * id128(18446744073709551616); assert!(x == 0, 1); }
    public fun t_mul_overflow_u256() {
        let x = id256(340282366920938463463374607431768211456) * id256(340282366920938463463374607431768211456);
        assert!(x == 0, 1);
    }
    public fun t_div_mod() {
        assert!(id8(255) / id8(16) == 15, 1);
        assert!(id8(255) % id8(16) == 15, 2);
        assert!(id64(17) / id64(5) == 3, 3);
        assert!(id64(17) % id64(5) == 2, 4);
        assert!(id128(1000000000000000000000) / id128(7) == 142857142857142857142, 5);
        assert!(id256(1000000000000000000000000000000000000000) % id256(7) == 6, 6);
        assert!(id32(0) / id32(3) == 0, 7);
    }
    public fun t_div_zero_u8() { let x = id8(1) / id8(0); assert!(x == 0, 1); }
    public fun t_div_zero_u64() { let x = id64(1) / id64(0); assert!(x == 0, 1); }
    public fun t_div_zero_u256() { let x = id256(1) / id256(0); assert!(x == 0, 1); }
    public fun t_mod_zero_u32() { let x = id32(1) % id32(0); assert!(x == 0, 1); }
    public fun t_mod_zero_u128() { let x = id128(1) % id128(0); assert!(x == 0, 1); }
    public fun t_bitwise() {
        assert!((id8(0xF0) | id8(0x0F)) == 0xFF, 1);
        assert!((id16(0xF0F0) & id16(0x0FF0)) == 0x00F0, 2);
        assert!((id64(0xFFFF) ^ id64(0x0F0F)) == 0xF0F0, 3);
        assert!((id256(1) | id256(2)) ^ id256(7) == 4, 4);
    }
    public fun t_shifts() {
        assert!(id8(1) << 7 == 128, 1);
        assert!(id8(3) << 7 == 128, 2); // high bit lost, no error
        assert!(id64(1) << 63 == 9223372036854775808, 3);
        assert!(id128(1) << 127 >> 127 == 1, 4);
        assert!(id256(1) << 255 >> 254 == 2, 5);
        assert!(id32(0xFFFFFFFF) >> 31 == 1, 6);
        assert!(id16(1) << 15 == 32768, 7);
    }
    public fun t_shl_too_far_u8() { let s = id8(8); let x = id8(1) << s; assert!(x == 0, 1); }
    public fun t_shr_too_far_u64() { let s = id8(64); let x = id64(1) >> s; assert!(x == 0, 1); }
    public fun t_shl_too_far_u32() { let s = id8(32); let x = id32(1) << s; assert!(x == 0, 1); }
    public fun t_shl_u256_max_shift() { let s = id8(255); let x = id256(1) << s; assert!(x > 0, 1); }
    public fun t_casts() {
        assert!((id64(255) as u8) == 255, 1);
        assert!((id8(255) as u256) == 255, 2);
        assert!((id128(18446744073709551615) as u64) == 18446744073709551615, 3);
        assert!((id256(65535) as u16) == 65535, 4);
        assert!((id16(7) as u32) == 7, 5);
        assert!((id32(7) as u128) == 7, 6);
    }
    public fun t_cast_overflow_u8() { let x = (id64(256) as u8); assert!(x == 0, 1); }
    public fun t_cast_overflow_u16() { let x = (id32(65536) as u16); assert!(x == 0, 1); }
    public fun t_cast_overflow_u32() { let x = (id64(4294967296) as u32); assert!(x == 0, 1); }
    public fun t_cast_overflow_u64() { let x = (id128(18446744073709551616) as u64); assert!(x == 0, 1); }
    public fun t_cast_overflow_u128() { let x = (id256(340282366920938463463374607431768211456) as u128); assert!(x == 0, 1); }
    public fun t_comparisons() {
        assert!(id8(1) < id8(2), 1);
        assert!(id16(2) > id16(1), 2);
        assert!(id32(2) <= id32(2), 3);
        assert!(id64(3) >= id64(2), 4);
        assert!(id128(5) != id128(6), 5);
        assert!(!(id256(5) < id256(5)), 6);
        assert!(id256(115792089237316195423570985008687907853269984665640564039457584007913129639935) > id256(0), 7);
    }
    public fun t_bool_ops() {
        let t = id8(1) == 1;
        let f = id8(1) == 2;
        assert!(t && !f, 1);
        assert!(t || f, 2);
        assert!(!(f && t), 3);
        assert!((t == true) && (f != true), 4);
    }
    public fun t_abort_max_code() { abort 18446744073709551615 }
    public fun t_abort_zero() { abort 0 }
    public fun t_assert_fails_with_code() { assert!(id64(1) == 2, 4242); }
}
