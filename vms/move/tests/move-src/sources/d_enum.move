// Differential suite: enums (bytecode v7 variant instructions).
module test::d_enum {
    enum Op has copy, drop { Add { a: u64, b: u64 }, Neg { v: u64 }, Lit(u64), Nop }
    enum Either<A, B> has copy, drop { Left(A), Right { v: B } }

    fun id(x: u64): u64 { x }

    fun eval(o: &Op): u64 {
        match (o) {
            Op::Add { a, b } => *a + *b,
            Op::Neg { v } => 1000 - *v,
            Op::Lit(x) => *x,
            Op::Nop => 0,
        }
    }
    fun total(xs: &vector<Either<u64, vector<u64>>>): u64 {
        let s = 0; let i = 0;
        while (i < std::vector::length(xs)) {
            s = s + match (std::vector::borrow(xs, i)) {
                Either::Left(x) => *x,
                Either::Right { v } => std::vector::length(v),
            };
            i = i + 1;
        };
        s
    }
    public fun t_match() {
        let ops = vector[Op::Add { a: id(1), b: 2 }, Op::Neg { v: 1 }, Op::Lit(5), Op::Nop];
        let s = 0; let i = 0;
        while (i < 4) { s = s + eval(std::vector::borrow(&ops, i)); i = i + 1; };
        assert!(s == 1007, 1);
    }
    public fun t_test_variant() {
        let o = Op::Lit(id(3));
        assert!(o is Op::Lit, 1);
        assert!(!(o is Op::Nop), 2);
        assert!(o is Op::Lit | Op::Nop, 3);
    }
    public fun t_mutate_variant() {
        let o = Op::Add { a: id(1), b: 1 };
        match (&mut o) { Op::Add { a, b: _ } => *a = 40, _ => {} };
        assert!(eval(&o) == 41, 1);
        o = Op::Nop;
        assert!(eval(&o) == 0, 2);
    }
    public fun t_enum_eq() {
        assert!(Op::Lit(id(1)) == Op::Lit(1), 1);
        assert!(Op::Lit(1) != Op::Neg { v: 1 }, 2);
    }
    public fun t_generic_enum() {
        let xs = vector[Either::Left(id(1)), Either::Right { v: vector[2, 3] }, Either::Left(10)];
        assert!(total(&xs) == 13, 1);
        let b: Either<bool, u8> = Either::Right { v: 7 };
        assert!(b is Either::Right<bool, u8>, 2);
    }
    public fun t_match_abort() {
        let o = Op::Neg { v: id(2000) };
        assert!(eval(&o) == 0, 1);
    }
}
