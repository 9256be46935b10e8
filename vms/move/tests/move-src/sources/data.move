module test::data {
    use std::vector;

    struct Point has copy, drop, store { x: u64, y: u64 }
    struct Box<T> has copy, drop, store { value: T }
    struct Pair<A, B> has copy, drop { a: A, b: B }

    public fun make_point(x: u64, y: u64): Point { Point { x, y } }
    public fun point_sum(p: Point): u64 { let Point { x, y } = p; x + y }
    public fun move_point(p: &mut Point, dx: u64) { p.x = p.x + dx; }
    public fun translated(x: u64, y: u64, dx: u64): Point {
        let p = Point { x, y };
        move_point(&mut p, dx);
        let r = &mut p.y;
        *r = *r + 1;
        p
    }

    public fun boxed<T>(value: T): Box<T> { Box { value } }
    public fun unbox<T>(b: Box<T>): T { let Box { value } = b; value }
    public fun box_of_point(x: u64): u64 { let b = boxed(Point { x, y: 2 }); let p = unbox(b); p.x * p.y }
    public fun swap_pair<A: drop, B: drop>(a: A, b: B): Pair<B, A> { Pair { a: b, b: a } }
    public fun nested_generic(v: u8): Box<Box<vector<u8>>> { boxed(boxed(vector[v, v])) }
    public fun generic_field(b: &Box<u64>): u64 { b.value }

    public fun vec_ops(): (u64, vector<u64>, u64) {
        let v = vector::empty<u64>();
        vector::push_back(&mut v, 10);
        vector::push_back(&mut v, 20);
        vector::push_back(&mut v, 30);
        let last = vector::pop_back(&mut v);
        vector::push_back(&mut v, 40);
        vector::swap(&mut v, 0, 2);
        *vector::borrow_mut(&mut v, 1) = 25;
        let len = vector::length(&v);
        (len, v, last)
    }

    public fun vec_literals(): (vector<u8>, u64) {
        let v = vector[1u8, 2, 3];
        let w = vector[vector[1u64], vector[2u64, 3]];
        let total = *vector::borrow(vector::borrow(&w, 1), 1);
        (v, total)
    }

    public fun reversed(v: vector<u64>): vector<u64> { vector::reverse(&mut v); v }

    public fun vec_out_of_bounds(i: u64): u64 { let v = vector[1u64, 2]; *vector::borrow(&v, i) }

    public fun move_range_demo(): (vector<u64>, vector<u64>) {
        let a = vector[1u64, 2, 3, 4, 5];
        let b = vector[10u64, 20];
        vector::move_range(&mut a, 1, 3, &mut b, 1);
        (a, b)
    }

    public fun freeze_and_read(p: &mut Point): u64 { let r: &Point = p; r.x + r.y }

    public fun points_eq(a: Point, b: Point): bool { &a == &b }
}
