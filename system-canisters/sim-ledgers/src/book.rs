//! A ledger's book: balances by account, a fee, and a count of recorded operations (block
//! indices). Shared by the ICP ledger (accounts are account identifiers) and the cycles ledger
//! (accounts are ICRC-1 accounts).

use std::collections::BTreeMap;

/// Why the book refused an operation (each ledger maps it to its own error variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookError {
    /// The caller named a fee other than the ledger's.
    BadFee {
        /// The ledger's fee.
        expected_fee: u128,
    },
    /// The payer's balance does not cover the amount plus the fee.
    InsufficientFunds {
        /// The payer's balance.
        balance: u128,
    },
}

/// Balances by account, in the ledger's smallest unit.
#[derive(Debug, Clone)]
pub struct Book<K> {
    balances: BTreeMap<K, u128>,
    fee: u128,
    blocks: u64,
}

impl<K: Ord> Book<K> {
    /// An empty book charging `fee` per transfer or burn.
    pub fn new(fee: u128) -> Self {
        Self {
            balances: BTreeMap::new(),
            fee,
            blocks: 0,
        }
    }

    /// The fee per transfer or burn.
    pub fn fee(&self) -> u128 {
        self.fee
    }

    /// An account's balance (0 if it never held anything).
    pub fn balance(&self, account: &K) -> u128 {
        self.balances.get(account).copied().unwrap_or(0)
    }

    /// Number of operations recorded so far (the next block index).
    pub fn block_count(&self) -> u64 {
        self.blocks
    }

    /// Credits `amount` to `to` out of nothing (initial balances, deposits of cycles); the block
    /// index. Saturates at `u128::MAX`.
    pub fn mint(&mut self, to: K, amount: u128) -> u64 {
        let balance = self.balances.entry(to).or_insert(0);
        *balance = balance.saturating_add(amount);
        self.record()
    }

    /// Moves `amount` from `from` to `to`, charging the fee to `from`; `fee`, when given, must
    /// be the ledger's. The block index.
    pub fn transfer(
        &mut self,
        from: &K,
        to: K,
        amount: u128,
        fee: Option<u128>,
    ) -> Result<u64, BookError>
    where
        K: Clone,
    {
        if fee.is_some_and(|fee| fee != self.fee) {
            return Err(BookError::BadFee {
                expected_fee: self.fee,
            });
        }
        self.debit(from, amount)
            .map_err(|balance| BookError::InsufficientFunds { balance })?;
        let balance = self.balances.entry(to).or_insert(0);
        *balance = balance.saturating_add(amount);
        Ok(self.record())
    }

    /// Removes `amount` plus the fee from `from` (cycles leaving the ledger); the block index, or
    /// the payer's balance when it does not cover them.
    pub fn burn(&mut self, from: &K, amount: u128) -> Result<u64, u128>
    where
        K: Clone,
    {
        self.debit(from, amount)?;
        Ok(self.record())
    }

    /// Takes `amount` plus the fee from `from`, or answers its balance when it does not cover
    /// them.
    fn debit(&mut self, from: &K, amount: u128) -> Result<(), u128>
    where
        K: Clone,
    {
        let balance = self.balance(from);
        match amount.checked_add(self.fee) {
            Some(needed) if needed <= balance => {
                self.balances.insert(from.clone(), balance - needed);
                Ok(())
            }
            _ => Err(balance),
        }
    }

    fn record(&mut self) -> u64 {
        self.blocks += 1;
        self.blocks - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_move_the_amount_and_charge_the_fee() {
        let mut book = Book::new(10);
        assert_eq!(book.mint("a", 1_000), 0);
        assert_eq!(book.transfer(&"a", "b", 100, None), Ok(1));
        assert_eq!(book.transfer(&"a", "b", 100, Some(10)), Ok(2));
        assert_eq!(book.balance(&"a"), 1_000 - 2 * 110);
        assert_eq!(book.balance(&"b"), 200);
        assert_eq!(book.block_count(), 3);
    }

    #[test]
    fn refusals_change_nothing() {
        let mut book = Book::new(10);
        book.mint("a", 100);
        assert_eq!(
            book.transfer(&"a", "b", 91, None),
            Err(BookError::InsufficientFunds { balance: 100 })
        );
        assert_eq!(
            book.transfer(&"a", "b", 1, Some(9)),
            Err(BookError::BadFee { expected_fee: 10 })
        );
        assert_eq!(book.burn(&"nobody", 0), Err(0));
        assert_eq!(
            book.transfer(&"a", "b", u128::MAX, None),
            Err(BookError::InsufficientFunds { balance: 100 })
        );
        assert_eq!(book.balance(&"a"), 100);
        assert_eq!(book.balance(&"b"), 0);
        assert_eq!(book.block_count(), 1);
        assert_eq!(book.transfer(&"a", "b", 90, None), Ok(1));
        assert_eq!(book.burn(&"b", 80), Ok(2));
        assert_eq!((book.balance(&"a"), book.balance(&"b")), (0, 0));
    }
}
