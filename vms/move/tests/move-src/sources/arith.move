module test::arith {
    public fun add_u8(a: u8, b: u8): u8 { a + b }
    public fun sub_u64(a: u64, b: u64): u64 { a - b }
    public fun mul_u128(a: u128, b: u128): u128 { a * b }
    public fun div_u32(a: u32, b: u32): u32 { a / b }
    public fun mod_u16(a: u16, b: u16): u16 { a % b }
    public fun add_u256(a: u256, b: u256): u256 { a + b }
    public fun mul_u256(a: u256, b: u256): u256 { a * b }
    public fun shl_u64(a: u64, n: u8): u64 { a << n }
    public fun shr_u256(a: u256, n: u8): u256 { a >> n }
    public fun bits(a: u32, b: u32): (u32, u32, u32) { (a & b, a | b, a ^ b) }
    public fun cast_to_u8(a: u64): u8 { (a as u8) }
    public fun widen(a: u8): (u16, u32, u64, u128, u256) { ((a as u16), (a as u32), (a as u64), (a as u128), (a as u256)) }
    public fun cmp(a: u64, b: u64): (bool, bool, bool, bool, bool, bool) { (a < b, a > b, a <= b, a >= b, a == b, a != b) }
    public fun logic(a: bool, b: bool): (bool, bool, bool) { (a && b, a || b, !a) }

    /// Sum of 1..=n with a loop (branches, locals).
    public fun sum_to(n: u64): u64 {
        let i = 0;
        let s = 0;
        while (i < n) { i = i + 1; s = s + i; };
        s
    }

    /// Recursive factorial (calls).
    public fun fact(n: u128): u128 { if (n <= 1) 1 else n * fact(n - 1) }

    /// Aborts with `code` when `x` is odd.
    public fun check_even(x: u64, code: u64): u64 { assert!(x % 2 == 0, code); x / 2 }

    /// Infinite loop, for gas exhaustion.
    public fun spin(): u64 { let i = 0; loop { i = i + 1 } }

    const BIG: u256 = 115792089237316195423570985008687907853269984665640564039457584007913129639935;
    const WORDS: vector<u64> = vector[1, 2, 3];
    public fun constants(): (u256, vector<u64>) { (BIG, WORDS) }
}
