//! Forms for money that recurs (protocol sections 11 and 12): installment plans
//! ([`Installments`], `MULTI_EXT` dates), what the payment page does with a card
//! ([`PageAction`](crate::recurring::PageAction): a token, a registration), subscriptions
//! ([`Subscription`] and its [`RRule`]), and the channel (`vads_payment_src`). The
//! builder's setters ([`FormBuilder::installments`](crate::form::FormBuilder::installments),
//! ...) write the fields; [`FormBuilder::sign`](crate::form::FormBuilder::sign) checks them
//! all (a mistake is a [`FormError::Rule`] with its own code) and says what a person
//! should know ([`SignedForm::warnings`](crate::form::SignedForm::warnings)).
//!
//! ```
//! use vads::form::{Installments, RRule, Subscription};
//! use vads::recurring::PageAction;
//! use vads::{Mode, SecretString, Shop, ShopConfig, TransDate};
//! let mut config = ShopConfig::new("12345678", Mode::Test);
//! config.test_key = Some(SecretString::new("1122334455667788".into()));
//! let shop = Shop::new(config)?;
//!
//! // "3x sans frais": 120.00 EUR in three installments, 30 days apart.
//! let plan = Installments::new(3, 4000, 30);
//! let form = shop.form().amount(12_000).currency("EUR").order_id("A-1").installments(plan).sign()?;
//! assert_eq!(form.get("vads_payment_config"), Some("MULTI:first=4000;count=3;period=30"));
//! let today = TransDate::from_unix(1_796_601_600); // 2026-12-07
//! let schedule = plan.schedule(12_000, 0, today)?;
//! assert_eq!(schedule.iter().map(|(_, a)| *a).collect::<Vec<_>>(), [4000, 4000, 4000]);
//!
//! // Save the card and subscribe monthly, on the last day of each month, 12 times.
//! let subscription = Subscription::new(990, "EUR", RRule::monthly_last_day(Some(12)), "20270101");
//! let form = shop.form().currency("EUR").order_id("A-2").cust_email("buyer@example.com")
//!     .trans_date(today) // dates are checked against the payment's day (UTC)
//!     .page_action(PageAction::RegisterSubscribe).subscription(&subscription).sign()?;
//! assert_eq!(form.get("vads_sub_desc"), Some("RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=12"));
//! assert_eq!(form.get("vads_amount"), None); // no payment now
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::app::form_error::FormError;
use crate::protocol::currency::Currency;
pub use crate::protocol::recurring::RRule;
use crate::protocol::recurring::{PageAction, PaymentConfig};
use crate::protocol::time::TransDate;
use indexmap::IndexMap;

/// An installment plan (`MULTI`): `count` installments, the first of `first` minor
/// units, the others every `period` days; the total is the form's amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Installments {
    /// How many installments (at least 2).
    pub count: u32,
    /// The first installment, minor units (at most the total).
    pub first: u64,
    /// Days between installments (at least 1).
    pub period: u32,
}

/// The longest a plan may run: its last installment within a year of the payment.
const PLAN_DAYS: u64 = 365;

fn rule(code: &'static str, field: &str, sentence: impl Into<String>) -> FormError {
    FormError::Rule {
        code,
        field: field.to_owned(),
        sentence: sentence.into(),
    }
}

impl Installments {
    /// `count` installments, the first of `first`, every `period` days.
    #[must_use]
    pub const fn new(count: u32, first: u64, period: u32) -> Installments {
        Installments {
            count,
            first,
            period,
        }
    }

    /// `vads_payment_config`: `MULTI:first=F;count=N;period=D`.
    #[must_use]
    pub fn config(&self) -> String {
        format!(
            "MULTI:first={};count={};period={}",
            self.first, self.count, self.period
        )
    }

    /// Checks the plan against the form's total and capture delay (days): at least two
    /// installments (`installments_count`), the first at most the total and the others
    /// not nothing (`installments_first`), a period of at least a day
    /// (`installments_period`), the last within a year (`installments_too_long`).
    ///
    /// # Errors
    /// [`FormError::Rule`].
    pub fn check(&self, total: u64, capture_delay: u32) -> Result<(), FormError> {
        let field = "vads_payment_config";
        if self.count < 2 {
            return Err(rule(
                "installments_count",
                field,
                "a plan has at least 2 installments",
            ));
        }
        if self.first == 0 || self.first > total {
            return Err(rule(
                "installments_first",
                field,
                format!("the first installment is between 1 and the total ({total})"),
            ));
        }
        if (total - self.first) / u64::from(self.count - 1) == 0 {
            return Err(rule(
                "installments_first",
                field,
                "the first installment leaves nothing for the others",
            ));
        }
        if self.period == 0 {
            return Err(rule(
                "installments_period",
                field,
                "installments are at least 1 day apart",
            ));
        }
        let last = u64::from(capture_delay) + u64::from(self.count - 1) * u64::from(self.period);
        if last > PLAN_DAYS {
            return Err(rule(
                "installments_too_long",
                field,
                format!("the last installment would be {last} days after the payment: at most {PLAN_DAYS}"),
            ));
        }
        Ok(())
    }

    /// When each installment is due and how much (the first `first`, the others the rest
    /// divided equally, rounded down, the remainder on the last), from `start` (the
    /// payment's date) and the capture delay in days.
    ///
    /// # Errors
    /// As [`Installments::check`].
    pub fn schedule(
        &self,
        total: u64,
        capture_delay: u32,
        start: TransDate,
    ) -> Result<Vec<(TransDate, u64)>, FormError> {
        self.check(total, capture_delay)?;
        let config = PaymentConfig::Multi {
            first: self.first,
            count: self.count,
            period: self.period,
        };
        let base = start.to_unix().unwrap_or(0);
        (1..=self.count)
            .map(|k| {
                let days = u64::from(capture_delay) + u64::from(k - 1) * u64::from(self.period);
                let amount = config.installment(k, total).ok_or_else(|| {
                    rule(
                        "installments_first",
                        "vads_payment_config",
                        "no such installment",
                    )
                })?;
                Ok((TransDate::from_unix(base + days * 86_400), amount))
            })
            .collect()
    }
}

/// A subscription the platform runs: each installment `amount` minor units of
/// `currency`, on the dates of `rule` from `effect_date` (`YYYYMMDD`, UTC, not in the
/// past); optionally the first `init_count` installments at `init_amount` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Each installment, minor units (not 0).
    pub amount: u64,
    /// Its currency: alphabetic (`EUR`) or numeric (`978`).
    pub currency: String,
    /// When installments are due.
    pub rule: RRule,
    /// The first day it may run, `YYYYMMDD` (UTC).
    pub effect_date: String,
    /// The first installments at another amount: (amount, how many). Both or neither.
    pub init: Option<(u64, u32)>,
    /// `vads_subscription`: the id, when the shop chooses one (else the platform's).
    pub id: Option<String>,
}

impl Subscription {
    /// A subscription of `amount` in `currency` by `rule` from `effect_date`.
    #[must_use]
    pub fn new(amount: u64, currency: &str, rule: RRule, effect_date: &str) -> Subscription {
        Subscription {
            amount,
            currency: currency.to_owned(),
            rule,
            effect_date: effect_date.to_owned(),
            init: None,
            id: None,
        }
    }

    /// The first `count` installments at `amount` instead.
    #[must_use]
    pub fn with_initial(mut self, amount: u64, count: u32) -> Subscription {
        self.init = Some((amount, count));
        self
    }

    /// The fields it sets.
    pub(crate) fn fields(&self) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("vads_sub_amount", self.amount.to_string()),
            (
                "vads_sub_currency",
                Currency::find(&self.currency)
                    .map_or_else(|| self.currency.clone(), |c| c.numeric.to_owned()),
            ),
            ("vads_sub_desc", self.rule.as_str().to_owned()),
            ("vads_sub_effect_date", self.effect_date.clone()),
        ];
        if let Some((amount, count)) = self.init {
            f.push(("vads_sub_init_amount", amount.to_string()));
            f.push(("vads_sub_init_amount_number", count.to_string()));
        }
        if let Some(id) = &self.id {
            f.push(("vads_subscription", id.clone()));
        }
        f
    }
}

/// A date `YYYYMMDD` or `YYYY-MM-DD` as `YYYYMMDD`, if it is a calendar date.
#[must_use]
pub fn compact_date(text: &str) -> Option<String> {
    let compact: String = if text.len() == 10
        && text.as_bytes().get(4) == Some(&b'-')
        && text.as_bytes().get(7) == Some(&b'-')
    {
        text.replace('-', "")
    } else {
        text.to_owned()
    };
    TransDate::parse(&format!("{compact}000000")).map(|_| compact)
}

/// Whether a token id has the shape of the platform's (32 letters and digits): a
/// merchant-chosen one must not, so the two never collide.
fn platform_shaped(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Checks a form's recurring fields together (protocol sections 11 and 12); `today` in
/// UTC. Returns what a person should know (the daily first-night pitfall).
pub(crate) fn check(
    fields: &IndexMap<String, String>,
    today: TransDate,
) -> Result<Vec<String>, FormError> {
    let get = |name: &str| {
        fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let mut warnings = Vec::new();
    let today_compact = format!("{:04}{:02}{:02}", today.year, today.month, today.day);
    let action = get("vads_page_action").map_or(PageAction::Payment, PageAction::parse);
    if let PageAction::Other(_) = action {
        return Err(rule(
            "page_action_unknown",
            "vads_page_action",
            "PAYMENT, REGISTER, REGISTER_UPDATE, REGISTER_PAY, ASK_REGISTER_PAY, REGISTER_UPDATE_PAY, REGISTER_SUBSCRIBE, REGISTER_PAY_SUBSCRIBE or SUBSCRIBE",
        ));
    }
    // What each action needs.
    if matches!(
        action,
        PageAction::Subscribe | PageAction::RegisterUpdate | PageAction::RegisterUpdatePay
    ) && get("vads_identifier").is_none()
    {
        return Err(rule(
            "token_required",
            "vads_identifier",
            format!("{action} acts on an existing token: give it (vads_identifier)"),
        ));
    }
    // Every action that saves a card, except changing the card behind a token the
    // platform already has the buyer of (protocol section 11 lists no e-mail for it).
    if action.registers()
        && action != PageAction::RegisterUpdate
        && get("vads_cust_email").is_none()
    {
        return Err(rule(
            "email_required",
            "vads_cust_email",
            format!("{action} saves a card: the buyer's e-mail is required"),
        ));
    }
    if action.without_payment() && get("vads_amount").is_some_and(|a| a != "0") {
        return Err(rule(
            "amount_not_allowed",
            "vads_amount",
            format!("{action} takes no payment: no amount"),
        ));
    }
    if !action.without_payment() && action != PageAction::Subscribe && get("vads_amount").is_none()
    {
        return Err(FormError::InvalidField {
            field: "vads_amount".into(),
            rule: "is required",
        });
    }
    // A token the merchant chooses (when the action creates one) must not look like the
    // platform's.
    if let (true, Some(id)) = (
        action.registers()
            && action != PageAction::RegisterUpdate
            && action != PageAction::RegisterUpdatePay,
        get("vads_identifier"),
    ) {
        if platform_shaped(id) || id.len() > 50 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(rule(
                "token_id_shape",
                "vads_identifier",
                "a token id you choose has at most 50 printable characters and not the platform's shape (32 letters and digits)",
            ));
        }
    }
    // The plan.
    let total: u64 = get("vads_amount").and_then(|a| a.parse().ok()).unwrap_or(0);
    let delay: u32 = get("vads_capture_delay")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    match get("vads_payment_config").map(PaymentConfig::parse) {
        Some(PaymentConfig::Multi {
            first,
            count,
            period,
        }) => {
            Installments::new(count, first, period).check(total, delay)?;
        }
        Some(PaymentConfig::MultiExt(all)) => {
            let field = "vads_payment_config";
            if all.len() < 2 {
                return Err(rule(
                    "installments_count",
                    field,
                    "a plan has at least 2 installments",
                ));
            }
            let sum = all.iter().try_fold(0u64, |s, (_, a)| s.checked_add(*a));
            if sum != Some(total) {
                return Err(rule(
                    "installments_sum",
                    field,
                    format!("the installments add up to the amount ({total})"),
                ));
            }
            let last_day = TransDate::from_unix(today.to_unix().unwrap_or(0) + PLAN_DAYS * 86_400);
            let last = format!(
                "{:04}{:02}{:02}",
                last_day.year, last_day.month, last_day.day
            );
            let mut previous = String::new();
            for (date, amount) in &all {
                if compact_date(date).is_none()
                    || *date <= previous
                    || **date < *today_compact
                    || **date > *last
                    || *amount == 0
                {
                    return Err(rule(
                        "installments_dates",
                        field,
                        "each installment has a date from today, later than the one before, within a year, and an amount",
                    ));
                }
                previous.clone_from(date);
            }
        }
        Some(PaymentConfig::Other(_)) => {
            return Err(rule(
                "payment_config_unknown",
                "vads_payment_config",
                "SINGLE, MULTI:first=F;count=N;period=D or MULTI_EXT:YYYYMMDD=amount;...",
            ));
        }
        _ => {}
    }
    // The subscription.
    let sub_fields = [
        "vads_sub_amount",
        "vads_sub_currency",
        "vads_sub_desc",
        "vads_sub_effect_date",
    ];
    let has_sub = sub_fields.iter().any(|f| get(f).is_some());
    if action.subscribes() && !sub_fields.iter().all(|f| get(f).is_some()) {
        return Err(rule(
            "subscription_required",
            "vads_sub_desc",
            format!(
                "{action} creates a subscription: give its amount, currency, rule and effect date"
            ),
        ));
    }
    if has_sub {
        if !action.subscribes() {
            return Err(rule(
                "subscription_without_action",
                "vads_page_action",
                "a subscription is created by REGISTER_SUBSCRIBE, REGISTER_PAY_SUBSCRIBE or SUBSCRIBE",
            ));
        }
        if get("vads_sub_amount").is_none_or(|a| {
            a.trim_start_matches('0').is_empty() || !a.bytes().all(|b| b.is_ascii_digit())
        }) {
            return Err(rule(
                "sub_amount_zero",
                "vads_sub_amount",
                "each installment is at least 1 (minor units)",
            ));
        }
        if get("vads_sub_currency")
            .is_none_or(|c| Currency::find(c).is_none() || !c.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(rule(
                "sub_currency",
                "vads_sub_currency",
                "a known ISO 4217 numeric code (978 for EUR; Subscription::new takes EUR too)",
            ));
        }
        let rrule = RRule::parse(get("vads_sub_desc").unwrap_or_default())?;
        let effect = get("vads_sub_effect_date").unwrap_or_default();
        if effect.len() != 8 || compact_date(effect).is_none() {
            return Err(rule(
                "sub_effect_date",
                "vads_sub_effect_date",
                "a date YYYYMMDD (UTC)",
            ));
        }
        if effect < today_compact.as_str() {
            return Err(rule(
                "sub_effect_date_past",
                "vads_sub_effect_date",
                "not in the past (UTC)",
            ));
        }
        if rrule.is_daily() && effect == today_compact {
            warnings.push(format!(
                "daily_same_day: a daily subscription that starts today ({effect}) is charged twice on the first night: start it tomorrow"
            ));
        }
        let init = (
            get("vads_sub_init_amount"),
            get("vads_sub_init_amount_number"),
        );
        if init.0.is_some() != init.1.is_some() {
            return Err(rule(
                "sub_init_pair",
                "vads_sub_init_amount",
                "vads_sub_init_amount and vads_sub_init_amount_number go together, or neither",
            ));
        }
        for (field, value) in [
            ("vads_sub_init_amount", init.0),
            ("vads_sub_init_amount_number", init.1),
        ] {
            if value.is_some_and(|v| v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit())) {
                return Err(rule("sub_init_pair", field, "digits only"));
            }
        }
    }
    // The channel.
    if let Some(src) = get("vads_payment_src") {
        if !matches!(src, "EC" | "MOTO" | "CC" | "OTHER") {
            return Err(rule(
                "payment_src_unknown",
                "vads_payment_src",
                "EC, MOTO, CC or OTHER",
            ));
        }
    }
    Ok(warnings)
}
