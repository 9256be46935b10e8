// Differential suite: structs, references, generics, vectors.
module test::d_struct {
    use std::vector;

    struct Point has copy, drop, store { x: u64, y: u64 }
    struct Line has copy, drop { a: Point, b: Point, tag: vector<u8> }
    struct Box<T> has copy, drop, store { v: T }
    struct Pair<A, B> has copy, drop { a: A, b: B }
    struct Tagged<phantom T> has copy, drop { n: u64 }
    struct NoDrop { n: u64 }
    struct Wide { a: u8, b: u16, c: u32, d: u64, e: u128, f: u256, g: bool, h: address }

    fun id(x: u64): u64 { x }

    fun len2(p: &Point): u64 { p.x * p.x + p.y * p.y }
    fun shift(p: &mut Point, dx: u64) { p.x = p.x + dx; }
    fun swap_xy(p: &mut Point) { let t = p.x; p.x = p.y; p.y = t; }
    fun mk_box<T>(v: T): Box<T> { Box { v } }
    fun unbox<T>(b: Box<T>): T { let Box { v } = b; v }
    fun swap_pair<A: copy + drop, B: copy + drop>(p: Pair<A, B>): Pair<B, A> { Pair { a: p.b, b: p.a } }
    fun count<T>(v: &vector<T>): u64 { vector::length(v) }
    fun last<T: copy>(v: &vector<T>): T { *vector::borrow(v, vector::length(v) - 1) }
    fun repeat<T: copy + drop>(v: T, n: u64): vector<T> {
        if (n == 0) return vector[];
        let r = repeat(v, n - 1);
        vector::push_back(&mut r, v);
        r
    }
    fun tag_n<T>(t: &Tagged<T>): u64 { t.n }
    fun bump(r: &mut u64) { *r = *r + 1 }

    public fun t_pack_unpack() {
        let p = Point { x: id(3), y: 4 };
        assert!(len2(&p) == 25, 1);
        let Point { x, y } = p;
        assert!(x == 3 && y == 4, 2);
    }
    public fun t_nested_mut() {
        let l = Line { a: Point { x: 1, y: 2 }, b: Point { x: 3, y: 4 }, tag: b"ab" };
        shift(&mut l.a, id(10));
        swap_xy(&mut l.b);
        vector::push_back(&mut l.tag, 99);
        assert!(l.a.x == 11 && l.b.x == 4 && l.b.y == 3, 1);
        assert!(l.tag == b"abc", 2);
        let l2 = copy l;
        l2.a.y = 100;
        assert!(l.a.y == 2 && l2.a.y == 100, 3);
    }
    public fun t_struct_eq() {
        let a = Line { a: Point { x: 1, y: 2 }, b: Point { x: 3, y: 4 }, tag: b"x" };
        let b = a;
        assert!(a == b, 1);
        b.tag = b"y";
        assert!(a != b, 2);
    }
    public fun t_wide_struct() {
        let w = Wide { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: true, h: @0xbeef };
        let Wide { a, b, c, d, e, f, g, h } = w;
        assert!((a as u256) + (b as u256) + (c as u256) + (d as u256) + (e as u256) + f == 21, 1);
        assert!(g && h == @0xbeef, 2);
    }
    public fun t_nodrop_unpack() {
        let n = NoDrop { n: id(5) };
        let NoDrop { n: v } = n;
        assert!(v == 5, 1);
    }
    public fun t_generic_box() {
        let b = mk_box(mk_box(id(7)));
        assert!(unbox(unbox(b)) == 7, 1);
        let bv = mk_box(vector[1u8, 2, 3]);
        assert!(count(&bv.v) == 3, 2);
        let bb = mk_box(true);
        assert!(bb.v, 3);
    }
    public fun t_generic_pair() {
        let p = Pair { a: id(1), b: b"z" };
        let q = swap_pair(p);
        assert!(q.a == b"z" && q.b == 1, 1);
        let r = swap_pair(Pair { a: Point { x: 1, y: 2 }, b: mk_box(@0x1) });
        assert!(r.a.v == @0x1 && r.b.y == 2, 2);
    }
    public fun t_generic_recursion() { assert!(count(&repeat(mk_box(id(1)), 10)) == 10, 1); assert!(last(&repeat(b"q", 3)) == b"q", 2); }
    public fun t_phantom() {
        let a = Tagged<u8> { n: 1 };
        let b = Tagged<Point> { n: 2 };
        assert!(tag_n(&a) + tag_n(&b) == 3, 1);
    }
    public fun t_generic_vectors() {
        let v = vector[Point { x: 1, y: 1 }, Point { x: 2, y: 2 }];
        assert!(last(&v).x == 2, 1);
        let w = vector[vector[1u64], vector[2, 3]];
        assert!(count(vector::borrow(&w, 1)) == 2, 2);
        assert!(last(&last(&w)) == 3, 3);
    }
    public fun t_refs_locals() {
        let x = id(1);
        let r = &mut x;
        bump(r);
        bump(&mut x);
        let fr: &u64 = &x;
        assert!(*fr == 3, 1);
        let p = Point { x: 1, y: 2 };
        let py = &mut p.y;
        *py = *py * 10;
        bump(&mut p.x);
        assert!(p.x == 2 && p.y == 20, 2);
    }
    public fun t_ref_into_vector() {
        let v = vector[Point { x: 1, y: 1 }, Point { x: 5, y: 5 }];
        let e = vector::borrow_mut(&mut v, 1);
        shift(e, 10);
        bump(&mut vector::borrow_mut(&mut v, 0).y);
        assert!(vector::borrow(&v, 1).x == 15, 1);
        assert!(vector::borrow(&v, 0).y == 2, 2);
    }
    public fun t_freeze_and_read() {
        let p = Point { x: 9, y: 8 };
        let m = &mut p;
        let f: &Point = freeze(m);
        assert!(len2(f) == 145, 1);
        let c = *f;
        assert!(c == Point { x: 9, y: 8 }, 2);
    }
}
