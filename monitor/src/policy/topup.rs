//! Top-up decisions: a per-canister daily budget, and a global reserve the monitor never spends.

use crate::api::TopUpPolicy;

/// Smallest deposit worth a call, and so the smallest top-up amount a registration may set.
pub const MIN_TOP_UP: u128 = 1_000_000_000;

/// Cycles deposited into one canister on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spending {
    /// Day number (seconds since the epoch / 86,400).
    pub day: u64,
    pub spent: u128,
    /// All deposits ever.
    pub total: u128,
}

/// The outcome of a top-up decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopUp {
    /// Deposit this many cycles.
    Deposit(u128),
    /// Today's budget is used up.
    BudgetExhausted,
    /// The monitor's balance is at its reserve.
    ReserveProtected,
}

impl Spending {
    /// Spent today, as of `day`.
    pub fn spent_on(&self, day: u64) -> u128 {
        if self.day == day {
            self.spent
        } else {
            0
        }
    }
    /// Records a deposit of `amount` on `day`.
    pub fn record(&mut self, day: u64, amount: u128) {
        self.spent = self.spent_on(day).saturating_add(amount);
        self.day = day;
        self.total = self.total.saturating_add(amount);
    }
}

/// How much to deposit now, given the policy, today's spending and the monitor's balance.
pub fn decide(
    policy: &TopUpPolicy,
    spending: &Spending,
    day: u64,
    own_balance: u128,
    reserve: u128,
) -> TopUp {
    let left_today = policy.daily_budget.saturating_sub(spending.spent_on(day));
    let spendable = own_balance.saturating_sub(reserve);
    let amount = policy.amount.min(left_today);
    if amount < MIN_TOP_UP {
        return TopUp::BudgetExhausted;
    }
    let amount = amount.min(spendable);
    if amount < MIN_TOP_UP {
        return TopUp::ReserveProtected;
    }
    TopUp::Deposit(amount)
}

/// The cycles to attach to a hook call of a canister that requires `needed` on each incoming
/// call: they come out of the registration's top-up budget, so without a policy, or with today's
/// budget spent, the call is not made and the error says why.
pub fn hook_cycles(
    needed: u128,
    policy: Option<&TopUpPolicy>,
    spending: &Spending,
    day: u64,
) -> Result<u128, String> {
    if needed == 0 {
        return Ok(0);
    }
    let Some(policy) = policy else {
        return Err(format!(
            "the canister requires {needed} cycles on each incoming call \
             (minimum_incoming_canister_call_cycles) and its registration has no top_up \
             budget to pay them from; register it with a top_up policy"
        ));
    };
    let spent = spending.spent_on(day);
    if spent.saturating_add(needed) > policy.daily_budget {
        return Err(format!(
            "the canister requires {needed} cycles on each incoming call \
             (minimum_incoming_canister_call_cycles) and today's top-up budget is exhausted \
             ({spent} of {} spent); the call is retried, and goes out once the budget allows",
            policy.daily_budget
        ));
    }
    Ok(needed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u128 = 1_000_000_000_000;
    const POLICY: TopUpPolicy = TopUpPolicy {
        amount: 2 * T,
        daily_budget: 5 * T,
    };

    #[test]
    fn deposits_the_policy_amount_within_budget() {
        assert_eq!(
            decide(&POLICY, &Spending::default(), 1, 100 * T, T),
            TopUp::Deposit(2 * T)
        );
    }

    #[test]
    fn the_daily_budget_caps_deposits_and_resets_the_next_day() {
        let mut s = Spending::default();
        s.record(1, 2 * T);
        s.record(1, 2 * T);
        assert_eq!(decide(&POLICY, &s, 1, 100 * T, T), TopUp::Deposit(T));
        s.record(1, T);
        assert_eq!(decide(&POLICY, &s, 1, 100 * T, T), TopUp::BudgetExhausted);
        assert_eq!(decide(&POLICY, &s, 2, 100 * T, T), TopUp::Deposit(2 * T));
        assert_eq!(s.total, 5 * T);
    }

    #[test]
    fn hook_cycles_come_out_of_the_daily_budget() {
        let mut s = Spending::default();
        assert_eq!(hook_cycles(0, None, &s, 1), Ok(0));
        assert!(hook_cycles(10, None, &s, 1)
            .unwrap_err()
            .contains("no top_up budget"));
        assert_eq!(hook_cycles(T, Some(&POLICY), &s, 1), Ok(T));
        s.record(1, 9 * T / 2);
        assert!(hook_cycles(T, Some(&POLICY), &s, 1)
            .unwrap_err()
            .contains("budget is exhausted"));
        assert_eq!(hook_cycles(T, Some(&POLICY), &s, 2), Ok(T), "a new day");
    }

    #[test]
    fn the_reserve_is_never_spent() {
        assert_eq!(
            decide(&POLICY, &Spending::default(), 1, 3 * T, 2 * T),
            TopUp::Deposit(T)
        );
        assert_eq!(
            decide(&POLICY, &Spending::default(), 1, 2 * T, 2 * T),
            TopUp::ReserveProtected
        );
    }
}
