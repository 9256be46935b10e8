// Differential suite: branches, loops, calls, recursion, aborts.
module test::d_control {
    fun id(x: u64): u64 { x }

    fun fib(n: u64): u64 { if (n < 2) n else fib(n - 1) + fib(n - 2) }
    fun sum_to(n: u64): u64 { let s = 0; let i = 0; while (i <= n) { s = s + i; i = i + 1; }; s }
    fun first_multiple(of: u64, above: u64): u64 {
        let i = above + 1;
        loop { if (i % of == 0) return i; i = i + 1; }
    }
    fun collatz_steps(n: u64): u64 {
        let steps = 0;
        while (n != 1) { if (n % 2 == 0) n = n / 2 else n = 3 * n + 1; steps = steps + 1; };
        steps
    }
    fun pair(x: u64): (u64, bool, u64) { (x + 1, x % 2 == 0, x * 2) }
    fun classify(x: u64): u64 { if (x < 10) { 1 } else if (x < 100) { 2 } else { 3 } }
    fun abort_if(x: u64, code: u64) { if (x > 5) abort code }
    fun fact(n: u64): u64 { if (n == 0) 1 else n * fact(n - 1) }
    fun deep(n: u64): u64 { if (n == 0) 0 else 1 + deep(n - 1) }

    public fun t_recursion() { assert!(fib(id(20)) == 6765, 1); assert!(deep(id(200)) == 200, 2); }
    public fun t_while() { assert!(sum_to(id(100)) == 5050, 1); }
    public fun t_loop_return() { assert!(first_multiple(id(7), id(50)) == 56, 1); }
    public fun t_collatz() { assert!(collatz_steps(id(27)) == 111, 1); }
    public fun t_break_continue() {
        let i = 0; let odd_sum = 0;
        loop {
            i = i + 1;
            if (i > id(20)) break;
            if (i % 2 == 0) continue;
            odd_sum = odd_sum + i;
        };
        assert!(odd_sum == 100, 1);
        assert!(i == 21, 2);
    }
    public fun t_nested_loops() {
        let count = 0; let i = 0;
        while (i < id(10)) { let j = 0; while (j < i) { count = count + 1; j = j + 1; }; i = i + 1; };
        assert!(count == 45, 1);
    }
    public fun t_multi_return() {
        let (a, b, c) = pair(id(7));
        assert!(a == 8 && !b && c == 14, 1);
    }
    public fun t_if_chain() {
        assert!(classify(id(3)) + classify(id(30)) + classify(id(300)) == 6, 1);
    }
    public fun t_abort_in_callee() { abort_if(id(9), 77); }
    public fun t_abort_not_taken() { abort_if(id(2), 77); }
    public fun t_abort_in_loop() {
        let i = 0;
        while (true) { i = i + 1; if (i == id(13)) abort i * 1000 };
    }
    public fun t_overflow_in_recursion() { let x = fact(id(30)); assert!(x == 0, 1); }
}
