script {
    use test::bank;
    use std::signer;

    /// Opens an account for the signer and deposits `extra` on top of `initial`.
    fun open_and_deposit(s: signer, initial: u64, extra: u64) {
        bank::open(&s, initial);
        bank::deposit(signer::address_of(&s), extra);
    }
}
