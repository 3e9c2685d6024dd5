//! Forms for money that recurs (protocol sections 11 and 12): each bad schedule, page
//! action, subscription rule and channel is refused by `sign` with its own code and the
//! field at fault; each good one writes exactly the fields the platform reads, signed.

use vads::form::{FormError, Installments, RRule, Subscription};
use vads::recurring::{PageAction, PaymentSource};
use vads::{Mode, SecretString, Shop, ShopConfig, TransDate};

fn shop() -> Shop {
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new("1122334455667788".into()));
    Shop::new(c).unwrap()
}

/// 2026-12-07 00:00:00 UTC: the payment's day in these tests.
fn today() -> TransDate {
    TransDate::from_unix(1_796_601_600)
}

fn code(result: Result<vads::form::SignedForm, FormError>) -> (String, String) {
    match result {
        Ok(form) => panic!("signed: {:?}", form.fields),
        Err(FormError::Rule { code, field, .. }) => (code.to_owned(), field),
        Err(FormError::InvalidField { field, rule }) => (format!("invalid_field: {rule}"), field),
        Err(e) => panic!("unexpected {e}"),
    }
}

#[test]
fn an_installment_plan_is_written_exactly_and_its_schedule_puts_the_remainder_last() {
    let shop = shop();
    let form = shop
        .form()
        .amount(10_001)
        .currency("EUR")
        .order_id("P-1")
        .trans_date(today())
        .installments(Installments::new(3, 3000, 30))
        .sign()
        .unwrap();
    assert_eq!(
        form.get("vads_payment_config"),
        Some("MULTI:first=3000;count=3;period=30")
    );
    assert_eq!(form.get("vads_amount"), Some("10001"));
    assert!(form.warnings.is_empty());
    // The signature covers the plan: the same form with another plan signs differently.
    let other = shop
        .form()
        .amount(10_001)
        .currency("EUR")
        .order_id("P-1")
        .trans_date(today())
        .trans_id(&vads::form::TransId::new(form.get("vads_trans_id").unwrap()).unwrap())
        .installments(Installments::new(3, 3001, 30))
        .sign()
        .unwrap();
    assert_ne!(form.signature(), other.signature());

    let schedule = Installments::new(3, 3000, 30)
        .schedule(10_001, 2, today())
        .unwrap();
    let days: Vec<String> = schedule.iter().map(|(d, _)| d.to_string()).collect();
    assert_eq!(
        days,
        ["20261209000000", "20270108000000", "20270207000000"],
        "capture delay 2, then every 30 days"
    );
    assert_eq!(
        schedule.iter().map(|(_, a)| *a).collect::<Vec<_>>(),
        [3000, 3500, 3501]
    );
    assert_eq!(schedule.iter().map(|(_, a)| a).sum::<u64>(), 10_001);
}

#[test]
fn each_bad_schedule_is_refused_with_its_code() {
    let shop = shop();
    let plan = |amount: u64, plan: Installments, delay: Option<&str>| {
        let mut f = shop
            .form()
            .amount(amount)
            .currency("EUR")
            .order_id("P-2")
            .trans_date(today())
            .installments(plan);
        if let Some(d) = delay {
            f = f.field("vads_capture_delay", d);
        }
        code(f.sign())
    };
    let config = "vads_payment_config".to_owned();
    for (amount, p, delay, expected) in [
        (
            12_000,
            Installments::new(1, 12_000, 30),
            None,
            "installments_count",
        ),
        (
            12_000,
            Installments::new(0, 0, 30),
            None,
            "installments_count",
        ),
        (
            12_000,
            Installments::new(3, 0, 30),
            None,
            "installments_first",
        ),
        (
            12_000,
            Installments::new(3, 12_001, 30),
            None,
            "installments_first",
        ),
        // The first takes all but 1 of 12,000: the two others would be 0.
        (
            12_000,
            Installments::new(3, 11_999, 30),
            None,
            "installments_first",
        ),
        (
            12_000,
            Installments::new(3, 4000, 0),
            None,
            "installments_period",
        ),
        // 12 monthly installments: the last is 330 days after; 13 is 360; 14 is 390.
        (
            14_000,
            Installments::new(14, 1000, 30),
            None,
            "installments_too_long",
        ),
        // The capture delay counts: 10 + 12 * 30 = 370 days.
        (
            13_000,
            Installments::new(13, 1000, 30),
            Some("10"),
            "installments_too_long",
        ),
    ] {
        assert_eq!(
            plan(amount, p, delay),
            (expected.to_owned(), config.clone()),
            "{p:?} delay {delay:?}"
        );
    }
    // The limits themselves are accepted.
    for (amount, p, delay) in [
        (2, Installments::new(2, 1, 1), None),
        (13_000, Installments::new(13, 1000, 30), Some("5")),
        (12_000, Installments::new(2, 11_999, 365), None),
    ] {
        let mut f = shop
            .form()
            .amount(amount)
            .currency("EUR")
            .order_id("P-3")
            .trans_date(today())
            .installments(p);
        if let Some(d) = delay {
            f = f.field("vads_capture_delay", d);
        }
        assert!(f.sign().is_ok(), "{p:?} {delay:?}");
    }
    // A plan written by hand is read and checked the same way; an unknown shape is named.
    for (raw, expected) in [
        ("MULTI:first=4000;count=1;period=30", "installments_count"),
        (
            "MULTI:count=3;first=4000;period=30",
            "payment_config_unknown",
        ),
        ("MULTI:first=4000;count=3", "payment_config_unknown"),
        ("SPLIT3", "payment_config_unknown"),
    ] {
        let r = shop
            .form()
            .amount(12_000)
            .currency("EUR")
            .order_id("P-4")
            .trans_date(today())
            .payment_config(raw)
            .sign();
        assert_eq!(code(r), (expected.to_owned(), config.clone()), "{raw}");
    }
}

#[test]
fn installments_at_chosen_dates_add_up_follow_each_other_and_stay_within_a_year() {
    let shop = shop();
    let ext = |amount: u64, schedule: &[(&str, u64)]| {
        shop.form()
            .amount(amount)
            .currency("EUR")
            .order_id("E-1")
            .trans_date(today())
            .installments_ext(schedule)
            .sign()
    };
    let form = ext(
        12_000,
        &[
            ("2026-12-07", 4000),
            ("20270107", 4000),
            ("2027-02-07", 4000),
        ],
    )
    .unwrap();
    assert_eq!(
        form.get("vads_payment_config"),
        Some("MULTI_EXT:20261207=4000;20270107=4000;20270207=4000")
    );
    let field = "vads_payment_config".to_owned();
    for (amount, schedule, expected) in [
        (4000, &[("20261207", 4000)][..], "installments_count"),
        (
            12_000,
            &[("20261207", 4000), ("20270107", 4000)][..],
            "installments_sum",
        ),
        (
            8000,
            &[("20270107", 4000), ("20261207", 4000)][..],
            "installments_dates",
        ),
        (
            8000,
            &[("20261207", 4000), ("20261207", 4000)][..],
            "installments_dates",
        ),
        (
            8000,
            &[("20261206", 4000), ("20270107", 4000)][..],
            "installments_dates",
        ),
        (
            8000,
            &[("20261207", 4000), ("20271208", 4000)][..],
            "installments_dates",
        ),
        (
            8000,
            &[("20261207", 8000), ("20270107", 0)][..],
            "installments_dates",
        ),
        (
            8000,
            &[("20261207", 4000), ("20270230", 4000)][..],
            "installments_dates",
        ),
    ] {
        assert_eq!(
            code(ext(amount, schedule)),
            (expected.to_owned(), field.clone()),
            "{schedule:?}"
        );
    }
}

#[test]
fn each_page_action_gets_what_it_needs() {
    let shop = shop();
    let base = || {
        shop.form()
            .currency("EUR")
            .order_id("T-1")
            .trans_date(today())
    };
    // Saving a card without paying: no amount, an e-mail; the token is the platform's.
    let form = base()
        .cust_email("buyer@example.com")
        .page_action(PageAction::Register)
        .sign()
        .unwrap();
    assert_eq!(form.get("vads_page_action"), Some("REGISTER"));
    assert_eq!(form.get("vads_amount"), None);
    assert_eq!(
        code(base().page_action(PageAction::Register).sign()),
        ("email_required".to_owned(), "vads_cust_email".to_owned())
    );
    assert_eq!(
        code(
            base()
                .amount(100)
                .cust_email("buyer@example.com")
                .page_action(PageAction::Register)
                .sign()
        ),
        ("amount_not_allowed".to_owned(), "vads_amount".to_owned())
    );
    // Paying and saving: an amount and an e-mail.
    for action in [
        PageAction::RegisterPay,
        PageAction::AskRegisterPay,
        PageAction::RegisterUpdatePay,
    ] {
        let needs_token = action == PageAction::RegisterUpdatePay;
        fn with_token_if(f: vads::form::FormBuilder<'_>, yes: bool) -> vads::form::FormBuilder<'_> {
            if yes {
                f.token("card-of-buyer-42")
            } else {
                f
            }
        }
        let with_token = |f| with_token_if(f, needs_token);
        assert_eq!(
            code(with_token(base().amount(100).page_action(action)).sign()),
            ("email_required".to_owned(), "vads_cust_email".to_owned()),
            "{action}"
        );
        assert_eq!(
            code(with_token(base().cust_email("b@example.com").page_action(action)).sign()),
            (
                "invalid_field: is required".to_owned(),
                "vads_amount".to_owned()
            ),
            "{action}"
        );
        assert!(with_token(
            base()
                .amount(100)
                .cust_email("b@example.com")
                .page_action(action)
        )
        .sign()
        .is_ok());
    }
    // Updating the card behind a token and subscribing on one need the token.
    for action in [PageAction::RegisterUpdate, PageAction::RegisterUpdatePay] {
        assert_eq!(
            code(
                base()
                    .amount(100)
                    .cust_email("b@example.com")
                    .page_action(action)
                    .sign()
            ),
            ("token_required".to_owned(), "vads_identifier".to_owned()),
            "{action}"
        );
    }
    // REGISTER_UPDATE changes a card the platform has: no e-mail required.
    assert!(base()
        .page_action(PageAction::RegisterUpdate)
        .token("a1b2c3d4e5f60718293a4b5c6d7e8f90")
        .sign()
        .is_ok());
    // Paying with a saved card: a plain PAYMENT with the token.
    let by_token = base()
        .amount(2500)
        .token("a1b2c3d4e5f60718293a4b5c6d7e8f90")
        .sign()
        .unwrap();
    assert_eq!(by_token.get("vads_page_action"), Some("PAYMENT"));
    assert_eq!(
        by_token.get("vads_identifier"),
        Some("a1b2c3d4e5f60718293a4b5c6d7e8f90")
    );
    // An action the documentation does not list.
    assert_eq!(
        code(
            base()
                .amount(100)
                .field("vads_page_action", "REGISTER_ALL")
                .sign()
        ),
        (
            "page_action_unknown".to_owned(),
            "vads_page_action".to_owned()
        )
    );
}

#[test]
fn a_token_id_you_choose_never_has_the_platforms_shape() {
    let shop = shop();
    let register = |id: &str| {
        shop.form()
            .currency("EUR")
            .order_id("T-2")
            .trans_date(today())
            .cust_email("b@example.com")
            .page_action(PageAction::Register)
            .token(id)
            .sign()
    };
    assert!(register("customer-42-visa").is_ok());
    assert!(register(&"x".repeat(50)).is_ok());
    for bad in [
        "a1b2c3d4e5f60718293a4b5c6d7e8f90", // an32: the platform's
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
        &"x".repeat(51),
        "two words",
        "caf\u{e9}",
    ] {
        assert_eq!(
            code(register(bad)),
            ("token_id_shape".to_owned(), "vads_identifier".to_owned()),
            "{bad}"
        );
    }
    // 31 or 33 letters and digits is not the platform's shape.
    assert!(register(&"a".repeat(31)).is_ok());
    assert!(register(&"a".repeat(33)).is_ok());
}

#[test]
fn a_subscription_is_written_exactly() {
    let shop = shop();
    let sub = Subscription::new(990, "EUR", RRule::monthly_last_day(Some(12)), "2026-12-31")
        .with_initial(490, 3);
    let sub = Subscription {
        effect_date: vads::form::compact_date(&sub.effect_date).unwrap(),
        ..sub
    };
    let form = shop
        .form()
        .currency("EUR")
        .order_id("S-1")
        .trans_date(today())
        .cust_email("b@example.com")
        .page_action(PageAction::RegisterSubscribe)
        .subscription(&sub)
        .sign()
        .unwrap();
    let recurring: Vec<(&str, &str)> = form
        .fields
        .iter()
        .filter(|(n, _)| n.starts_with("vads_sub_") || n == "vads_page_action")
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        recurring,
        [
            ("vads_page_action", "REGISTER_SUBSCRIBE"),
            ("vads_sub_amount", "990"),
            ("vads_sub_currency", "978"),
            (
                "vads_sub_desc",
                "RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=12"
            ),
            ("vads_sub_effect_date", "20261231"),
            ("vads_sub_init_amount", "490"),
            ("vads_sub_init_amount_number", "3"),
        ]
    );
    assert_eq!(form.get("vads_amount"), None);
    // Pay now and subscribe: the payment is its own amount.
    let form = shop
        .form()
        .amount(4900)
        .currency("EUR")
        .order_id("S-2")
        .trans_date(today())
        .cust_email("b@example.com")
        .page_action(PageAction::RegisterPaySubscribe)
        .subscription(&Subscription::new(
            990,
            "978",
            RRule::parse("RRULE:FREQ=MONTHLY;COUNT=12;BYMONTHDAY=10").unwrap(),
            "20270110",
        ))
        .sign()
        .unwrap();
    assert_eq!(form.get("vads_amount"), Some("4900"));
    assert_eq!(
        form.get("vads_sub_desc"),
        Some("RRULE:FREQ=MONTHLY;COUNT=12;BYMONTHDAY=10")
    );
    // SUBSCRIBE on an existing token.
    let form = shop
        .form()
        .currency("EUR")
        .order_id("S-3")
        .trans_date(today())
        .page_action(PageAction::Subscribe)
        .token("customer-42-visa")
        .subscription(&Subscription::new(
            1500,
            "EUR",
            RRule::weekly(2),
            "20261208",
        ))
        .sign()
        .unwrap();
    assert_eq!(
        form.get("vads_sub_desc"),
        Some("RRULE:FREQ=WEEKLY;INTERVAL=2")
    );
    assert_eq!(form.get("vads_identifier"), Some("customer-42-visa"));
}

#[test]
fn each_bad_subscription_is_refused_with_its_code() {
    let shop = shop();
    let rule = RRule::monthly_on(10, Some(12));
    let good = || Subscription::new(990, "EUR", rule.clone(), "20261210");
    let sign =
        |action: Option<PageAction<'static>>, sub: Option<Subscription>, extra: &[(&str, &str)]| {
            let mut f = shop
                .form()
                .currency("EUR")
                .order_id("S-4")
                .trans_date(today())
                .cust_email("b@example.com");
            if let Some(a) = action {
                f = f.page_action(a);
            }
            if let Some(s) = &sub {
                f = f.subscription(s);
            }
            for (n, v) in extra {
                f = f.field(*n, *v);
            }
            code(f.sign())
        };
    let rs = Some(PageAction::RegisterSubscribe);
    /// The action, the subscription, fields set by hand, the code and the field.
    type Case = (
        Option<PageAction<'static>>,
        Option<Subscription>,
        Vec<(&'static str, &'static str)>,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (rs, None, vec![], "subscription_required", "vads_sub_desc"),
        (
            rs,
            Some(good()),
            vec![("vads_sub_desc", "")],
            "subscription_required",
            "vads_sub_desc",
        ),
        (
            None,
            Some(good()),
            vec![("vads_amount", "100")],
            "subscription_without_action",
            "vads_page_action",
        ),
        (
            rs,
            Some(Subscription {
                amount: 0,
                ..good()
            }),
            vec![],
            "sub_amount_zero",
            "vads_sub_amount",
        ),
        (
            rs,
            Some(Subscription::new(990, "ZZZ", rule.clone(), "20261210")),
            vec![],
            "sub_currency",
            "vads_sub_currency",
        ),
        (
            rs,
            Some(good()),
            vec![("vads_sub_currency", "EUR")],
            "sub_currency",
            "vads_sub_currency",
        ),
        (
            rs,
            Some(good()),
            vec![("vads_sub_effect_date", "2026-12-10")],
            "sub_effect_date",
            "vads_sub_effect_date",
        ),
        (
            rs,
            Some(good()),
            vec![("vads_sub_effect_date", "20261301")],
            "sub_effect_date",
            "vads_sub_effect_date",
        ),
        (
            rs,
            Some(Subscription::new(990, "EUR", rule.clone(), "20261206")),
            vec![],
            "sub_effect_date_past",
            "vads_sub_effect_date",
        ),
        (
            rs,
            Some(good()),
            vec![("vads_sub_init_amount", "490")],
            "sub_init_pair",
            "vads_sub_init_amount",
        ),
        (
            rs,
            Some(good()),
            vec![("vads_sub_init_amount_number", "3")],
            "sub_init_pair",
            "vads_sub_init_amount",
        ),
        (
            rs,
            Some(good().with_initial(490, 3)),
            vec![("vads_sub_init_amount", "4.90")],
            "sub_init_pair",
            "vads_sub_init_amount",
        ),
        (
            rs,
            Some(good()),
            vec![("vads_sub_desc", "FREQ=MONTHLY;COUNT=12")],
            "rrule_prefix",
            "vads_sub_desc",
        ),
        (
            rs,
            Some(good()),
            vec![("vads_sub_desc", "RRULE:FREQ=MINUTELY")],
            "rrule_period",
            "vads_sub_desc",
        ),
        (
            rs,
            Some(good()),
            vec![("vads_sub_desc", "RRULE:FREQ=MONTHLY;BYEASTER=1")],
            "rrule_part",
            "vads_sub_desc",
        ),
        (
            Some(PageAction::Subscribe),
            Some(good()),
            vec![],
            "token_required",
            "vads_identifier",
        ),
    ];
    for (action, sub, extra, expected, field) in cases {
        assert_eq!(
            sign(action, sub, &extra),
            (expected.to_owned(), field.to_owned()),
            "{expected}: {extra:?}"
        );
    }
    // A space inside the rule: the form's whitespace is not collapsed into a valid rule.
    assert_eq!(
        sign(
            rs,
            Some(good()),
            &[("vads_sub_desc", "RRULE:FREQ=MONTHLY; COUNT=12")]
        ),
        ("rrule_space".to_owned(), "vads_sub_desc".to_owned())
    );
    // Today is not the past.
    assert!(shop
        .form()
        .currency("EUR")
        .order_id("S-5")
        .trans_date(today())
        .cust_email("b@example.com")
        .page_action(PageAction::RegisterSubscribe)
        .subscription(&Subscription::new(990, "EUR", rule.clone(), "20261207"))
        .sign()
        .is_ok());
}

#[test]
fn rules_are_parsed_strictly_and_help_with_the_last_day_of_the_month() {
    for good in [
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=12",
        "RRULE:FREQ=MONTHLY;COUNT=12;BYMONTHDAY=10",
        "RRULE:FREQ=WEEKLY;INTERVAL=2",
        "RRULE:FREQ=YEARLY;BYMONTHDAY=-1;BYMONTH=1,4,7,10;UNTIL=20161231",
        "RRULE:FREQ=DAILY;COUNT=30",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,FR;WKST=MO",
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR",
    ] {
        assert_eq!(RRule::parse(good).unwrap().as_str(), good);
    }
    for (bad, expected) in [
        ("", "rrule_prefix"),
        ("rrule:FREQ=MONTHLY", "rrule_prefix"),
        ("RRULE:FREQ=MONTHLY;\tCOUNT=2", "rrule_space"),
        (" RRULE:FREQ=MONTHLY", "rrule_space"),
        ("RRULE:FREQ=HOURLY", "rrule_period"),
        ("RRULE:FREQ=SECONDLY;COUNT=2", "rrule_period"),
        ("RRULE:FREQ=FORTNIGHTLY", "rrule_frequency"),
        ("RRULE:INTERVAL=2", "rrule_frequency"),
        ("RRULE:FREQ=MONTHLY;FREQ=WEEKLY", "rrule_part"),
        ("RRULE:FREQ=MONTHLY;X-NAME=1", "rrule_part"),
        ("RRULE:FREQ=MONTHLY;;COUNT=2", "rrule_part"),
        ("RRULE:FREQ=MONTHLY;COUNT=0", "rrule_value"),
        ("RRULE:FREQ=MONTHLY;COUNT=twelve", "rrule_value"),
        ("RRULE:FREQ=MONTHLY;COUNT=3;UNTIL=20271231", "rrule_value"),
        ("RRULE:FREQ=MONTHLY;UNTIL=2027-12-31", "rrule_value"),
        ("RRULE:FREQ=WEEKLY;BYDAY=MONDAY", "rrule_value"),
    ] {
        assert_eq!(RRule::parse(bad).unwrap_err().code(), expected, "{bad:?}");
    }
    assert_eq!(
        RRule::monthly_last_day(None).as_str(),
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    );
    assert_eq!(
        RRule::monthly_on(31, Some(6)).as_str(),
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=28;COUNT=6",
        "a day not in every month is not offered"
    );
    // Every helper writes a rule the parser accepts.
    for r in [
        RRule::monthly_last_day(Some(12)),
        RRule::monthly_on(1, None),
        RRule::weekly(0),
    ] {
        assert_eq!(RRule::parse(r.as_str()).unwrap(), r);
    }
}

#[test]
fn a_daily_subscription_starting_today_is_signed_with_a_warning() {
    let shop = shop();
    let sign = |effect: &str| {
        shop.form()
            .currency("EUR")
            .order_id("D-1")
            .trans_date(today())
            .page_action(PageAction::Subscribe)
            .token("customer-42-visa")
            .subscription(&Subscription::new(
                100,
                "EUR",
                RRule::parse("RRULE:FREQ=DAILY;COUNT=7").unwrap(),
                effect,
            ))
            .sign()
            .unwrap()
    };
    let today_form = sign("20261207");
    assert_eq!(today_form.warnings.len(), 1);
    assert!(
        today_form.warnings[0].starts_with("daily_same_day: "),
        "{:?}",
        today_form.warnings
    );
    assert!(sign("20261208").warnings.is_empty());
}

#[test]
fn the_channel_is_one_of_four() {
    // MOTO and the call centre are off unless the configuration opens them.
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new("1122334455667788".into()));
    c.channels.moto = vads::ChannelMode::Test;
    c.channels.call_centre = vads::ChannelMode::Test;
    let shop = Shop::new(c).unwrap();
    for (source, text) in [
        (PaymentSource::Ec, "EC"),
        (PaymentSource::Moto, "MOTO"),
        (PaymentSource::Cc, "CC"),
        (PaymentSource::OtherSource, "OTHER"),
    ] {
        let form = shop
            .form()
            .amount(100)
            .currency("EUR")
            .order_id("C-1")
            .payment_src(source)
            .sign()
            .unwrap();
        assert_eq!(form.get("vads_payment_src"), Some(text));
    }
    let r = shop
        .form()
        .amount(100)
        .currency("EUR")
        .order_id("C-2")
        .field("vads_payment_src", "PHONE")
        .sign();
    assert_eq!(
        code(r),
        (
            "payment_src_unknown".to_owned(),
            "vads_payment_src".to_owned()
        )
    );
    // With the channels off (the default), a MOTO form is refused before it is signed.
    let r = self::shop()
        .form()
        .amount(100)
        .currency("EUR")
        .order_id("C-3")
        .payment_src(PaymentSource::Moto)
        .sign();
    assert_eq!(
        code(r),
        ("channel_off".to_owned(), "vads_payment_src".to_owned())
    );
}

#[test]
fn a_rule_error_names_its_code_and_field_in_one_line_and_never_a_secret() {
    let shop = shop();
    let e = shop
        .form()
        .amount(12_000)
        .currency("EUR")
        .order_id("P-9")
        .installments(Installments::new(1, 12_000, 30))
        .sign()
        .unwrap_err();
    assert_eq!(e.code(), "installments_count");
    let text = e.to_string();
    assert!(
        text.starts_with("installments_count: vads_payment_config: "),
        "{text}"
    );
    assert!(!text.contains('\n'));
    assert!(!text.contains("1122334455667788"));
}
