// Differential suite: vector bytecodes and vector natives, including failures.
module test::d_vector {
    use std::vector;

    fun id(x: u64): u64 { x }

    public fun t_literals() {
        let v = vector[1u64, 2, 3];
        assert!(vector::length(&v) == 3, 1);
        let e: vector<u8> = vector[];
        assert!(vector::length(&e) == 0, 2);
        let s = vector[b"a", b"bc"];
        assert!(*vector::borrow(vector::borrow(&s, 1), 0) == 98, 3);
        let big = vector[1u256, 2, 3];
        assert!(*vector::borrow(&big, 2) == 3, 4);
        let addrs = vector[@0x1, @0x2];
        assert!(*vector::borrow(&addrs, 1) == @0x2, 5);
    }
    public fun t_push_pop_swap() {
        let v = vector::empty<u64>();
        let i = 0;
        while (i < id(10)) { vector::push_back(&mut v, i * i); i = i + 1; };
        vector::swap(&mut v, 0, 9);
        assert!(vector::pop_back(&mut v) == 0, 1);
        assert!(*vector::borrow(&v, 0) == 81, 2);
        assert!(vector::length(&v) == 9, 3);
        vector::reverse(&mut v);
        assert!(*vector::borrow(&v, 0) == 64, 4);
    }
    public fun t_unpack_literal() {
        let v = vector[id(4), 5];
        let b = vector::pop_back(&mut v);
        let a = vector::pop_back(&mut v);
        vector::destroy_empty(v);
        assert!(a == 4 && b == 5, 1);
    }
    public fun t_equality() {
        assert!(vector[1u8, 2] == b"\x01\x02", 1);
        assert!(vector[vector[1u64]] != vector[vector[2u64]], 2);
        assert!(vector<u8>[] == b"", 3);
    }
    public fun t_borrow_out_of_bounds() { let v = vector[1u64]; let x = *vector::borrow(&v, id(1)); assert!(x == 0, 1); }
    public fun t_borrow_mut_out_of_bounds() { let v = vector[1u64]; *vector::borrow_mut(&mut v, id(5)) = 1; }
    public fun t_pop_empty() { let v = vector::empty<u8>(); let _x = vector::pop_back(&mut v); }
    public fun t_swap_out_of_bounds() { let v = vector[1u8, 2]; vector::swap(&mut v, 0, id(2)); }
    public fun t_destroy_non_empty() { let v = vector[1u8]; vector::destroy_empty(v); }
    public fun t_nested_mutation() {
        let m = vector[vector[1u64, 2], vector[3]];
        vector::push_back(vector::borrow_mut(&mut m, 1), 4);
        *vector::borrow_mut(vector::borrow_mut(&mut m, 0), 1) = 20;
        assert!(m == vector[vector[1, 20], vector[3, 4]], 1);
    }
}
