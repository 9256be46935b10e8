// Differential suite: global storage. ts_* functions take the signer @0xcafe.
module test::d_global {
    use std::signer;
    use std::vector;

    struct Counter has key { n: u64 }
    struct Holder<T: store> has key { items: vector<T> }
    struct Item has store, drop { id: u64 }
    struct Flag has key, drop {}

    fun id(x: u64): u64 { x }

    fun incr(addr: address) acquires Counter { let c = borrow_global_mut<Counter>(addr); c.n = c.n + 1; }
    fun get(addr: address): u64 acquires Counter { borrow_global<Counter>(addr).n }

    public fun ts_move_to_and_read(s: signer) acquires Counter {
        let a = signer::address_of(&s);
        assert!(!exists<Counter>(a), 1);
        move_to(&s, Counter { n: id(5) });
        assert!(exists<Counter>(a), 2);
        incr(a); incr(a);
        assert!(get(a) == 7, 3);
        assert!(!exists<Counter>(@0x1234), 4);
    }
    public fun ts_move_from(s: signer) acquires Counter {
        let a = signer::address_of(&s);
        move_to(&s, Counter { n: 9 });
        let Counter { n } = move_from<Counter>(a);
        assert!(n == 9 && !exists<Counter>(a), 1);
        move_to(&s, Counter { n: 1 });
        assert!(get(a) == 1, 2);
    }
    public fun ts_double_move_to(s: signer) {
        move_to(&s, Counter { n: 1 });
        move_to(&s, Counter { n: 2 });
    }
    public fun ts_move_from_missing(s: signer) acquires Counter {
        let Counter { n } = move_from<Counter>(signer::address_of(&s));
        assert!(n == 0, 1);
    }
    public fun t_borrow_missing() acquires Counter { assert!(get(@0x77) == 0, 1); }
    public fun ts_generic_resources(s: signer) acquires Holder {
        let a = signer::address_of(&s);
        move_to(&s, Holder<Item> { items: vector[Item { id: 1 }] });
        move_to(&s, Holder<u64> { items: vector[10, 20] });
        assert!(exists<Holder<Item>>(a) && exists<Holder<u64>>(a), 1);
        assert!(!exists<Holder<bool>>(a), 2);
        let h = borrow_global_mut<Holder<Item>>(a);
        vector::push_back(&mut h.items, Item { id: 2 });
        assert!(vector::length(&borrow_global<Holder<Item>>(a).items) == 2, 3);
        let Holder { items } = move_from<Holder<u64>>(a);
        assert!(items == vector[10, 20], 4);
        assert!(!exists<Holder<u64>>(a), 5);
    }
    public fun ts_abort_after_write(s: signer) acquires Counter {
        move_to(&s, Counter { n: 1 });
        incr(signer::address_of(&s));
        abort get(signer::address_of(&s)) + 100
    }
    public fun ts_empty_struct_resource(s: signer) acquires Flag {
        let a = signer::address_of(&s);
        move_to(&s, Flag {});
        assert!(exists<Flag>(a), 1);
        let Flag {} = move_from<Flag>(a);
        assert!(!exists<Flag>(a), 2);
    }
    public fun ts_signer_address(s: signer) { assert!(signer::address_of(&s) == @0xcafe, 1); }
}
