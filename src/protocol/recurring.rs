//! The protocol's words for money that recurs (protocol section 11, 12): installment
//! plans (`vads_payment_config`), page actions (`vads_page_action`), token, subscription
//! and occurrence statuses, and the channel a payment came through (`vads_payment_src`).
//! Each parses exactly and keeps a value the documentation does not list as `Other`,
//! borrowed: a notification's unknown value is never an error and never guessed.

use core::fmt;

/// `vads_payment_config`: one payment, or a plan of installments (owned: the value
/// arrives escaped).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum PaymentConfig {
    /// `SINGLE`: one payment.
    Single,
    /// `MULTI:first=F;count=N;period=D`: `count` installments, the first of `first`
    /// minor units, the others every `period` days.
    Multi {
        /// The first installment, minor units.
        first: u64,
        /// How many installments (at least 2).
        count: u32,
        /// Days between installments.
        period: u32,
    },
    /// `MULTI_EXT:YYYYMMDD=amount;...`: installments at chosen dates and amounts.
    MultiExt(Vec<(String, u64)>),
    /// A value this version does not know, as received.
    Other(String),
}

impl PaymentConfig {
    /// Parses a `vads_payment_config` value. `MULTI` needs its three keys in the
    /// documented order (`first`, `count`, `period`); anything else malformed is `Other`.
    ///
    /// ```
    /// use vads::recurring::PaymentConfig;
    /// assert_eq!(
    ///     PaymentConfig::parse("MULTI:first=4000;count=3;period=30"),
    ///     PaymentConfig::Multi { first: 4000, count: 3, period: 30 }
    /// );
    /// assert_eq!(PaymentConfig::parse("SINGLE"), PaymentConfig::Single);
    /// assert_eq!(PaymentConfig::parse("MULTI:count=3"), PaymentConfig::Other("MULTI:count=3".into()));
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> PaymentConfig {
        if text == "SINGLE" {
            return PaymentConfig::Single;
        }
        if let Some(rest) = text.strip_prefix("MULTI:") {
            let mut parts = rest.split(';');
            let mut value = |key: &str| {
                parts
                    .next()
                    .and_then(|p| p.strip_prefix(key))
                    .and_then(|p| p.strip_prefix('='))
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|v| v.parse::<u64>().ok())
            };
            let (first, count, period) = (value("first"), value("count"), value("period"));
            return match (first, count, period, parts.next()) {
                (Some(first), Some(count), Some(period), None) => PaymentConfig::Multi {
                    first,
                    count: u32::try_from(count).unwrap_or(u32::MAX),
                    period: u32::try_from(period).unwrap_or(u32::MAX),
                },
                _ => PaymentConfig::Other(text.to_owned()),
            };
        }
        if let Some(rest) = text.strip_prefix("MULTI_EXT:") {
            let mut all = Vec::new();
            for part in rest.split(';') {
                let parsed = part.split_once('=').and_then(|(date, amount)| {
                    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                    (date.len() == 8 && digits(date) && digits(amount))
                        .then(|| amount.parse::<u64>().ok().map(|a| (date.to_owned(), a)))
                        .flatten()
                });
                match parsed {
                    Some(p) => all.push(p),
                    None => return PaymentConfig::Other(text.to_owned()),
                }
            }
            return PaymentConfig::MultiExt(all);
        }
        PaymentConfig::Other(text.to_owned())
    }

    /// How many installments the plan has (1 for `SINGLE`, `None` for `Other`).
    #[must_use]
    pub fn count(&self) -> Option<u32> {
        match self {
            PaymentConfig::Single => Some(1),
            PaymentConfig::Multi { count, .. } => Some(*count),
            PaymentConfig::MultiExt(all) => u32::try_from(all.len()).ok(),
            PaymentConfig::Other(_) => None,
        }
    }

    /// Whether this is a plan of several installments.
    #[must_use]
    pub fn is_plan(&self) -> bool {
        matches!(
            self,
            PaymentConfig::Multi { .. } | PaymentConfig::MultiExt(_)
        )
    }

    /// The amount of installment `k` (1-based) of a plan whose total is `total`:
    /// `MULTI`: the first is `first`, the others `(total - first) / (count - 1)` rounded
    /// down, the remainder on the last; `MULTI_EXT`: its own amount. `None` outside the
    /// plan or when `first` exceeds `total`.
    ///
    /// ```
    /// use vads::recurring::PaymentConfig;
    /// let plan = PaymentConfig::parse("MULTI:first=3000;count=3;period=30");
    /// let all: Vec<_> = (1..=3).map(|k| plan.installment(k, 10_001)).collect();
    /// assert_eq!(all, [Some(3000), Some(3500), Some(3501)]);
    /// ```
    #[must_use]
    pub fn installment(&self, k: u32, total: u64) -> Option<u64> {
        match self {
            PaymentConfig::Multi { first, count, .. } => {
                if k == 0 || k > *count || *first > total || *count < 2 {
                    return None;
                }
                if k == 1 {
                    return Some(*first);
                }
                let others = u64::from(*count - 1);
                let each = (total - first) / others;
                if k == *count {
                    Some(total - first - each * (others - 1))
                } else {
                    Some(each)
                }
            }
            PaymentConfig::MultiExt(all) => {
                let i = usize::try_from(k).ok()?.checked_sub(1)?;
                all.get(i).map(|(_, a)| *a)
            }
            PaymentConfig::Single => (k == 1).then_some(total),
            PaymentConfig::Other(_) => None,
        }
    }

    /// The plan's total when the configuration states it (`MULTI_EXT`: the sum of its
    /// amounts); `None` for `MULTI`, whose total is the form's `vads_amount`.
    #[must_use]
    pub fn stated_total(&self) -> Option<u64> {
        match self {
            PaymentConfig::MultiExt(all) => {
                all.iter().try_fold(0u64, |sum, (_, a)| sum.checked_add(*a))
            }
            _ => None,
        }
    }
}

/// Enums of the protocol's words: exact parsing, `Other` for the rest, `as_str` back.
macro_rules! words {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name<'a> {
            $($(#[$vm])* $variant,)*
            /// A value the documentation does not list, as received.
            Other(&'a str),
        }

        impl<'a> $name<'a> {
            /// Parses the exact text (case-sensitive, as the platform sends it).
            #[must_use]
            pub fn parse(text: &'a str) -> Self {
                match text {
                    $($text => $name::$variant,)*
                    other => $name::Other(other),
                }
            }

            /// The text, as the platform writes it.
            #[must_use]
            pub fn as_str(&self) -> &'a str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words! {
    /// `vads_page_action`: what the payment page does (protocol section 11).
    PageAction {
        /// A payment, with a token or without.
        Payment => "PAYMENT",
        /// Save a card, no payment (a `VERIFICATION`).
        Register => "REGISTER",
        /// Change the card behind a token (a `VERIFICATION`).
        RegisterUpdate => "REGISTER_UPDATE",
        /// Save the card during a payment.
        RegisterPay => "REGISTER_PAY",
        /// A payment; the buyer chooses whether to save the card.
        AskRegisterPay => "ASK_REGISTER_PAY",
        /// Change the card during a payment.
        RegisterUpdatePay => "REGISTER_UPDATE_PAY",
        /// Save a card and create a subscription, no payment now (a `VERIFICATION`).
        RegisterSubscribe => "REGISTER_SUBSCRIBE",
        /// Save a card, pay now, and create a subscription.
        RegisterPaySubscribe => "REGISTER_PAY_SUBSCRIBE",
        /// Create a subscription on an existing token.
        Subscribe => "SUBSCRIBE",
    }
}

impl PageAction<'_> {
    /// Whether it creates or changes a token (and then needs the buyer's e-mail).
    #[must_use]
    pub fn registers(&self) -> bool {
        matches!(
            self,
            PageAction::Register
                | PageAction::RegisterUpdate
                | PageAction::RegisterPay
                | PageAction::AskRegisterPay
                | PageAction::RegisterUpdatePay
                | PageAction::RegisterSubscribe
                | PageAction::RegisterPaySubscribe
        )
    }

    /// Whether it saves or checks a card without any payment (a `VERIFICATION`): no
    /// amount.
    #[must_use]
    pub fn without_payment(&self) -> bool {
        matches!(
            self,
            PageAction::Register | PageAction::RegisterUpdate | PageAction::RegisterSubscribe
        )
    }

    /// Whether it creates a subscription (and needs the `vads_sub_*` fields).
    #[must_use]
    pub fn subscribes(&self) -> bool {
        matches!(
            self,
            PageAction::RegisterSubscribe
                | PageAction::RegisterPaySubscribe
                | PageAction::Subscribe
        )
    }
}

words! {
    /// `vads_identifier_status`: what happened to the token.
    IdentifierStatus {
        /// The token was created.
        Created => "CREATED",
        /// The token was not created.
        NotCreated => "NOT_CREATED",
        /// The card behind the token was changed.
        Updated => "UPDATED",
        /// The card behind the token was not changed.
        NotUpdated => "NOT_UPDATED",
        /// The buyer left.
        Abandoned => "ABANDONED",
    }
}

words! {
    /// `vads_recurrence_status`: what happened to the subscription at its creation.
    RecurrenceStatus {
        /// The subscription was created.
        Created => "CREATED",
        /// The subscription was not created.
        NotCreated => "NOT_CREATED",
        /// The buyer left.
        Abandoned => "ABANDONED",
    }
}

words! {
    /// `vads_occurrence_type`: which payment of a series this is (values beyond
    /// `UNITAIRE` are unconfirmed: kept as `Other`).
    OccurrenceType {
        /// A single payment.
        Unitaire => "UNITAIRE",
        /// The first of a series.
        RecurrentInitial => "RECURRENT_INITIAL",
        /// A following one.
        RecurrentIntermediaire => "RECURRENT_INTERMEDIAIRE",
        /// The last one.
        RecurrentFinal => "RECURRENT_FINAL",
    }
}

words! {
    /// `vads_payment_src` (REST `cardDetails.paymentSource`): who started the payment
    /// (protocol section 12).
    PaymentSource {
        /// E-commerce: the buyer types the card (the default when empty).
        Ec => "EC",
        /// Mail or telephone order, typed by an operator.
        Moto => "MOTO",
        /// Call centre.
        Cc => "CC",
        /// Back-office payments, payments by file, recurring installments.
        OtherSource => "OTHER",
    }
}

/// A broken rule of money that recurs (a form's, or a request's): its stable code, the
/// field at fault, and what is expected. A form error converts from it
/// (`FormError::Rule`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The stable code (`rrule_space`, `rrule_period`, ...).
    pub code: &'static str,
    /// The field at fault (`vads_sub_desc`).
    pub field: &'static str,
    /// What is wrong and what is expected.
    pub sentence: String,
}

impl RuleError {
    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.code, self.field, self.sentence)
    }
}

impl std::error::Error for RuleError {}

fn rule(code: &'static str, field: &'static str, sentence: impl Into<String>) -> RuleError {
    RuleError {
        code,
        field,
        sentence: sentence.into(),
    }
}

/// A recurrence rule for a subscription (`vads_sub_desc`), RFC 5545's `RRULE:` as the
/// platform takes it: no space, a frequency of at least a day (`DAILY`, `WEEKLY`,
/// `MONTHLY`, `YEARLY`), only the parts it knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRule(String);

/// The parts a rule may have (RFC 5545), and what their values are made of.
const RRULE_PARTS: &[&str] = &[
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYMONTHDAY",
    "BYMONTH",
    "BYDAY",
    "BYSETPOS",
    "BYWEEKNO",
    "BYYEARDAY",
    "WKST",
];

impl RRule {
    /// Checks a rule's text (`RRULE:FREQ=MONTHLY;COUNT=12;BYMONTHDAY=10`).
    ///
    /// ```
    /// use vads::recurring::RRule;
    /// assert!(RRule::parse("RRULE:FREQ=WEEKLY;INTERVAL=2").is_ok());
    /// for (bad, code) in [
    ///     ("FREQ=MONTHLY", "rrule_prefix"),
    ///     ("RRULE:FREQ=MONTHLY; COUNT=12", "rrule_space"),
    ///     ("RRULE:FREQ=HOURLY", "rrule_period"),
    ///     ("RRULE:FREQ=MONTHLY;BYEASTER=1", "rrule_part"),
    ///     ("RRULE:COUNT=3", "rrule_frequency"),
    /// ] {
    ///     assert_eq!(RRule::parse(bad).unwrap_err().code(), code, "{bad}");
    /// }
    /// ```
    ///
    /// # Errors
    /// [`RuleError`]: `rrule_prefix` (no `RRULE:`), `rrule_space`,
    /// `rrule_frequency` (no `FREQ`, or an unknown one), `rrule_period` (shorter than a
    /// day), `rrule_part` (an unknown part, or one twice), `rrule_value` (a value of the
    /// wrong shape, `COUNT` with `UNTIL`).
    pub fn parse(text: &str) -> Result<RRule, RuleError> {
        let field = "vads_sub_desc";
        if text.chars().any(char::is_whitespace) {
            return Err(rule(
                "rrule_space",
                field,
                "a rule has no space (the platform refuses one)",
            ));
        }
        let Some(body) = text.strip_prefix("RRULE:") else {
            return Err(rule(
                "rrule_prefix",
                field,
                "a rule starts with RRULE: (RRULE:FREQ=MONTHLY;...)",
            ));
        };
        let mut seen: Vec<&str> = Vec::new();
        let mut freq = None;
        for part in body.split(';') {
            let Some((name, value)) = part.split_once('=') else {
                return Err(rule(
                    "rrule_part",
                    field,
                    "each part is NAME=VALUE, separated by ;",
                ));
            };
            if !RRULE_PARTS.contains(&name) || seen.contains(&name) {
                return Err(rule(
                    "rrule_part",
                    field,
                    format!(
                        "unknown or repeated part: the parts are {}, each once",
                        RRULE_PARTS.join(", ")
                    ),
                ));
            }
            seen.push(name);
            let number_list = |v: &str| {
                !v.is_empty()
                    && v.split(',').all(|n| {
                        let n = n.strip_prefix(['-', '+']).unwrap_or(n);
                        !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit())
                    })
            };
            let ok = match name {
                "FREQ" => {
                    freq = Some(value);
                    match value {
                        "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY" => true,
                        "HOURLY" | "MINUTELY" | "SECONDLY" => {
                            return Err(rule(
                                "rrule_period",
                                field,
                                "a subscription's period is at least a day (DAILY, WEEKLY, MONTHLY, YEARLY)",
                            ))
                        }
                        _ => {
                            return Err(rule(
                                "rrule_frequency",
                                field,
                                "FREQ is DAILY, WEEKLY, MONTHLY or YEARLY",
                            ))
                        }
                    }
                }
                "INTERVAL" | "COUNT" => {
                    !value.is_empty()
                        && value.len() <= 4
                        && value.bytes().all(|b| b.is_ascii_digit())
                        && value != "0"
                }
                "UNTIL" => {
                    let date = value.strip_suffix('Z').unwrap_or(value);
                    let (day, time) = date.split_once('T').unwrap_or((date, ""));
                    day.len() == 8
                        && day.bytes().all(|b| b.is_ascii_digit())
                        && (time.is_empty()
                            || (time.len() == 6 && time.bytes().all(|b| b.is_ascii_digit())))
                }
                "BYDAY" => value.split(',').all(|d| {
                    let d =
                        d.trim_start_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
                    matches!(d, "MO" | "TU" | "WE" | "TH" | "FR" | "SA" | "SU")
                }),
                "WKST" => matches!(value, "MO" | "TU" | "WE" | "TH" | "FR" | "SA" | "SU"),
                _ => number_list(value),
            };
            if !ok {
                return Err(rule(
                    "rrule_value",
                    field,
                    format!("{name} has a value of the wrong shape"),
                ));
            }
        }
        if freq.is_none() {
            return Err(rule(
                "rrule_frequency",
                field,
                "a rule says its frequency: FREQ=...",
            ));
        }
        if seen.contains(&"COUNT") && seen.contains(&"UNTIL") {
            return Err(rule(
                "rrule_value",
                field,
                "COUNT and UNTIL are not given together",
            ));
        }
        Ok(RRule(text.to_owned()))
    }

    /// The last day of each month (`BYMONTHDAY=28,29,30,31;BYSETPOS=-1`), `count` times
    /// (or without end): "the 31st" of a month that has no 31st is its last day.
    #[must_use]
    pub fn monthly_last_day(count: Option<u32>) -> RRule {
        let mut r = "RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1".to_owned();
        if let Some(c) = count {
            r.push_str(&format!(";COUNT={c}"));
        }
        RRule(r)
    }

    /// Day `day` of each month (1 to 28: a later day is not in every month; use
    /// [`RRule::monthly_last_day`]), `count` times or without end.
    #[must_use]
    pub fn monthly_on(day: u8, count: Option<u32>) -> RRule {
        let mut r = format!("RRULE:FREQ=MONTHLY;BYMONTHDAY={}", day.clamp(1, 28));
        if let Some(c) = count {
            r.push_str(&format!(";COUNT={c}"));
        }
        RRule(r)
    }

    /// Every `interval` weeks.
    #[must_use]
    pub fn weekly(interval: u32) -> RRule {
        RRule(format!("RRULE:FREQ=WEEKLY;INTERVAL={}", interval.max(1)))
    }

    /// The rule's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it repeats daily (a daily rule that starts on the day it is created runs
    /// twice on the first night: start it the day after).
    #[must_use]
    pub fn is_daily(&self) -> bool {
        self.0.split(';').any(|p| p.ends_with("FREQ=DAILY"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_exactly_and_split_their_total() {
        assert_eq!(
            PaymentConfig::parse("MULTI:first=1;count=1;period=1").count(),
            Some(1)
        );
        for bad in [
            "MULTI:",
            "MULTI:first=;count=3;period=30",
            "MULTI:count=3;first=1000;period=30",
            "MULTI:first=1000;count=3;period=30;x=1",
            "MULTI:first=-1;count=3;period=30",
            "MULTI_EXT:2026120=100",
            "MULTI_EXT:20261207=",
            "multi:first=1;count=2;period=3",
        ] {
            assert!(
                matches!(PaymentConfig::parse(bad), PaymentConfig::Other(_)),
                "{bad}"
            );
        }
        let ext = PaymentConfig::parse("MULTI_EXT:20261207=4000;20270107=4000;20270207=4001");
        assert_eq!(ext.count(), Some(3));
        assert_eq!(ext.stated_total(), Some(12_001));
        assert_eq!(ext.installment(3, 0), Some(4001));
        assert_eq!(ext.installment(4, 0), None);
        let multi = PaymentConfig::parse("MULTI:first=4000;count=3;period=30");
        let sum: u64 = (1..=3).filter_map(|k| multi.installment(k, 12_000)).sum();
        assert_eq!(sum, 12_000);
        assert_eq!(multi.installment(0, 12_000), None);
        assert_eq!(multi.installment(1, 3_999), None, "first above the total");
        assert_eq!(PageAction::parse("REGISTER_PAY"), PageAction::RegisterPay);
        assert_eq!(PageAction::parse("NEW").as_str(), "NEW");
        assert!(
            PageAction::RegisterSubscribe.registers() && PageAction::RegisterSubscribe.subscribes()
        );
        assert_eq!(PaymentSource::parse("OTHER"), PaymentSource::OtherSource);
        assert_eq!(OccurrenceType::parse("X"), OccurrenceType::Other("X"));
    }
}
