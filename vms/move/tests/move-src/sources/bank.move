module test::bank {
    use std::signer;

    struct Account has key { balance: u64, owner: address }
    struct Vault<phantom T> has key { amount: u128 }

    const EINSUFFICIENT: u64 = 7;

    public entry fun open(s: &signer, initial: u64) {
        move_to(s, Account { balance: initial, owner: signer::address_of(s) });
    }

    public entry fun deposit(addr: address, amount: u64) acquires Account {
        let acct = borrow_global_mut<Account>(addr);
        acct.balance = acct.balance + amount;
    }

    public entry fun withdraw(s: &signer, amount: u64) acquires Account {
        let acct = borrow_global_mut<Account>(signer::address_of(s));
        assert!(acct.balance >= amount, EINSUFFICIENT);
        acct.balance = acct.balance - amount;
    }

    public fun balance(addr: address): u64 acquires Account {
        if (!exists<Account>(addr)) return 0;
        borrow_global<Account>(addr).balance
    }

    public fun close(s: &signer): u64 acquires Account {
        let Account { balance, owner: _ } = move_from<Account>(signer::address_of(s));
        balance
    }

    public fun store_vault<T>(s: &signer, amount: u128) { move_to(s, Vault<T> { amount }) }
    public fun vault_amount<T>(addr: address): u128 acquires Vault { borrow_global<Vault<T>>(addr).amount }
    public fun has_vault<T>(addr: address): bool { exists<Vault<T>>(addr) }
}
