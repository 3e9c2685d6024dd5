//! Correctly signed notifications for any scenario, so that a shop's own tests can
//! exercise its notification handler offline (feature `testing`): first delivery,
//! automatic retry, back-office replay, batch update, repeated and out-of-order deliveries.
//!
//! ```
//! use vads::testing::NotificationBuilder;
//! use vads::{Mode, Outcome, SecretString, Shop, ShopConfig, TransStatus, UrlCheckSource};
//!
//! let mut config = ShopConfig::new("12345678", Mode::Test);
//! config.test_key = Some(SecretString::new("my-test-key-123".into()));
//! let shop = Shop::new(config)?;
//!
//! // The payment is authorised, then the same notification is retried by the platform.
//! let paid = NotificationBuilder::new(&shop).order_id("A-1").amount(1050).currency("978");
//! let first = paid.clone().body()?;
//! let retry = paid.clone().url_check_src(UrlCheckSource::Retry).body()?;
//! let n1 = shop.verify(first.as_bytes())?;
//! let n2 = shop.verify(retry.as_bytes())?;
//! assert_eq!(n1.outcome(), Outcome::Paid);
//! assert_eq!(n1.idempotency_key(), n2.idempotency_key()); // record it once
//!
//! // A later capture arrives with a new status (a new idempotency key).
//! let captured = paid.status(TransStatus::Captured).url_check_src(UrlCheckSource::Batch).body()?;
//! assert_ne!(shop.verify(captured.as_bytes())?.idempotency_key(), n1.idempotency_key());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "api")]
#[cfg_attr(docsrs, doc(cfg(feature = "api")))]
pub mod platform;

use crate::policy::shop::Shop;
use crate::protocol::algorithm::Algorithm;
use crate::protocol::endpoint::Endpoint;
use crate::protocol::error::SignError;
use crate::protocol::key::Key;
use crate::protocol::mode::Mode;
use crate::protocol::notification::{OperationType, Outcome, TransStatus, UrlCheckSource};
use crate::protocol::time::{since_epoch, TransDate};
use indexmap::IndexMap;

/// Runs a future to its end on this thread, without an async runtime: for tests and
/// examples that drive a [`crate::api::Client`] over the in-process
/// [`platform::Platform`] (its waits are threads that wake this one).
///
/// ```
/// assert_eq!(vads::testing::block_on(async { 40 + 2 }), 42);
/// ```
pub fn block_on<F: core::future::Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl std::task::Wake for ThreadWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = core::task::Context::from_waker(&waker);
    let mut future = core::pin::pin!(future);
    loop {
        if let core::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Builds a notification body (`application/x-www-form-urlencoded`) signed like the
/// platform signs it. Defaults: an `AUTHORISED` single payment of 1000 (minor units) in
/// EUR, first delivery (`PAY`), with a fresh transaction uuid, id and UTC date, carrying
/// `vads_hash` and `vads_url_check_src` like an IPN.
#[derive(Debug, Clone)]
pub struct NotificationBuilder<'s> {
    shop: &'s Shop,
    fields: IndexMap<String, String>,
    /// Whether `vads_trans_id` was chosen ([`NotificationBuilder::trans_id`]) rather than
    /// derived from the transaction's uuid.
    trans_id_chosen: bool,
}

impl<'s> NotificationBuilder<'s> {
    /// A notification for `shop`, in its mode, signed with the key of its mode.
    #[must_use]
    pub fn new(shop: &'s Shop) -> Self {
        let nanos = since_epoch().as_nanos();
        let uuid = format!("{:032x}", nanos ^ 0x5a5a_0000_0000_0000_0000_0000_0000_0000);
        let mut fields = IndexMap::new();
        for (n, v) in [
            ("vads_action_mode", "INTERACTIVE".to_owned()),
            ("vads_amount", "1000".to_owned()),
            ("vads_auth_result", "00".to_owned()),
            ("vads_card_brand", "CB".to_owned()),
            ("vads_card_number", "497010XXXXXX0055".to_owned()),
            ("vads_ctx_mode", shop.mode().as_str().to_owned()),
            ("vads_currency", "978".to_owned()),
            ("vads_effective_amount", "1000".to_owned()),
            ("vads_hash", format!("{:064x}", nanos)),
            ("vads_operation_type", "DEBIT".to_owned()),
            ("vads_order_id", "ORDER-1".to_owned()),
            ("vads_page_action", "PAYMENT".to_owned()),
            ("vads_payment_config", "SINGLE".to_owned()),
            ("vads_result", "00".to_owned()),
            ("vads_site_id", shop.site_id().to_owned()),
            ("vads_trans_date", TransDate::now().to_string()),
            (
                "vads_trans_id",
                crate::app::form::TransId::generate().as_str().to_owned(),
            ),
            ("vads_trans_status", "AUTHORISED".to_owned()),
            ("vads_trans_uuid", uuid),
            ("vads_url_check_src", "PAY".to_owned()),
            ("vads_version", "V2".to_owned()),
        ] {
            fields.insert(n.to_owned(), v);
        }
        NotificationBuilder {
            shop,
            fields,
            trans_id_chosen: false,
        }
    }

    /// A notification of exactly `fields` (nothing added), for `shop`: e.g. to send again
    /// what [`NotificationBuilder::fields`] gave, with one field changed.
    #[must_use]
    pub fn from_fields(shop: &'s Shop, fields: &[(String, String)]) -> Self {
        NotificationBuilder {
            shop,
            fields: fields.iter().cloned().collect(),
            trans_id_chosen: true,
        }
    }

    /// Sets (or adds) any field.
    #[must_use]
    pub fn field(mut self, name: &str, value: impl Into<String>) -> Self {
        self.trans_id_chosen |= name == "vads_trans_id";
        self.fields.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a field.
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.fields.shift_remove(name);
        self
    }

    /// `vads_trans_status`, with the `vads_result` and `vads_operation_type` the platform
    /// sends with it (refused: `05`; abandoned or cancelled: `17` and no operation type).
    #[must_use]
    pub fn status(self, status: TransStatus) -> Self {
        let b = self.field("vads_trans_status", status.as_str());
        match status {
            TransStatus::Refused => b.field("vads_result", "05").field("vads_auth_result", "05"),
            // The buyer left: no transaction was created (no uuid, no card).
            TransStatus::Abandoned => b
                .field("vads_result", "17")
                .without("vads_operation_type")
                .without("vads_auth_result")
                .without("vads_trans_uuid")
                .without("vads_card_number")
                .without("vads_card_brand")
                .without("vads_effective_amount"),
            TransStatus::Cancelled => b
                .field("vads_result", "17")
                .without("vads_operation_type")
                .without("vads_auth_result"),
            _ => b,
        }
    }

    /// `vads_amount` (and `vads_effective_amount`), in minor units.
    #[must_use]
    pub fn amount(self, minor_units: u64) -> Self {
        self.field("vads_amount", minor_units.to_string())
            .field("vads_effective_amount", minor_units.to_string())
    }

    /// `vads_currency`: ISO 4217 numeric code.
    #[must_use]
    pub fn currency(self, numeric: &str) -> Self {
        self.field("vads_currency", numeric)
    }

    /// `vads_ctx_mode` (e.g. to test that a mismatching mode is refused).
    #[must_use]
    pub fn mode(self, mode: Mode) -> Self {
        self.field("vads_ctx_mode", mode.as_str())
    }

    /// `vads_url_check_src`: first delivery (`Pay`), automatic retry (`Retry`),
    /// back-office replay (`Bo`), batch update (`Batch`), ...
    #[must_use]
    pub fn url_check_src(self, src: UrlCheckSource) -> Self {
        self.field("vads_url_check_src", src.as_str())
    }

    /// `vads_payment_config`, e.g. `MULTI:first=5000;count=3;period=30`.
    #[must_use]
    pub fn payment_config(self, config: &str) -> Self {
        self.field("vads_payment_config", config)
    }

    /// `vads_order_id`.
    #[must_use]
    pub fn order_id(self, id: &str) -> Self {
        self.field("vads_order_id", id)
    }

    /// `vads_trans_id`.
    #[must_use]
    pub fn trans_id(self, id: &str) -> Self {
        self.field("vads_trans_id", id)
    }

    /// `vads_trans_uuid`; unless a `vads_trans_id` was chosen, the transaction id too,
    /// derived from the uuid: like the platform's, every notification of one transaction
    /// (its authorisation, its capture, a retry) carries the same id.
    ///
    /// ```
    /// # let mut c = vads::ShopConfig::new("12345678", vads::Mode::Test);
    /// # c.test_key = Some(vads::SecretString::new("1122334455667788".into()));
    /// # let shop = vads::Shop::new(c)?;
    /// use vads::testing::NotificationBuilder;
    /// let uuid = "0123456789abcdef0123456789abcdef";
    /// let id = |b: NotificationBuilder<'_>| {
    ///     let f = b.fields();
    ///     f.into_iter().find(|(n, _)| n == "vads_trans_id").unwrap().1
    /// };
    /// let authorised = id(NotificationBuilder::new(&shop).trans_uuid(uuid));
    /// std::thread::sleep(std::time::Duration::from_millis(150)); // another time-based id
    /// let captured = id(NotificationBuilder::new(&shop).trans_uuid(uuid));
    /// assert_eq!(authorised, captured);
    /// assert_ne!(authorised, id(NotificationBuilder::new(&shop).trans_uuid(&"f".repeat(32))));
    /// // A chosen id stays.
    /// assert_eq!(id(NotificationBuilder::new(&shop).trans_id("000042").trans_uuid(uuid)), "000042");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn trans_uuid(self, uuid: &str) -> Self {
        let chosen = self.trans_id_chosen;
        let mut b = self.field("vads_trans_uuid", uuid);
        if !chosen {
            // FNV-1a: a fixed spread of uuids over the ids 000000-899999.
            let hash = uuid.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            b.fields
                .insert("vads_trans_id".to_owned(), format!("{:06}", hash % 900_000));
        }
        b
    }

    /// Makes it a browser return: without `vads_hash` and `vads_url_check_src`.
    #[must_use]
    pub fn browser_return(self) -> Self {
        self.without("vads_hash").without("vads_url_check_src")
    }

    /// Installment `k` of plan `config` (`MULTI:first=4000;count=3;period=30`): its
    /// `vads_payment_config` and `vads_sequence_number`, notified like the platform
    /// notifies it — the first at the end of the payment (`PAY`), the others by the
    /// nightly batch (`BATCH_AUTO`). Give each installment its own `trans_uuid`, and its
    /// `amount` as the platform's notification carries it (the installment's, or the
    /// total: protocol section 11).
    ///
    /// ```
    /// # let mut c = vads::ShopConfig::new("12345678", vads::Mode::Test);
    /// # c.test_key = Some(vads::SecretString::new("1122334455667788".into()));
    /// # let shop = vads::Shop::new(c)?;
    /// use vads::testing::NotificationBuilder;
    /// let second = NotificationBuilder::new(&shop)
    ///     .installment(2, "MULTI:first=4000;count=3;period=30")
    ///     .amount(4000)
    ///     .body()?;
    /// let n = shop.verify(second.as_bytes())?;
    /// assert_eq!(n.sequence_number(), Some(2));
    /// assert_eq!(n.get("vads_url_check_src").as_deref(), Some("BATCH_AUTO"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn installment(self, k: u32, config: &str) -> Self {
        let src = if k <= 1 {
            UrlCheckSource::Pay
        } else {
            UrlCheckSource::BatchAuto
        };
        self.payment_config(config)
            .field("vads_sequence_number", k.to_string())
            .url_check_src(src)
    }

    /// A card saved without a payment (`REGISTER`, or `REGISTER_UPDATE`,
    /// `REGISTER_SUBSCRIBE`): a `VERIFICATION` of amount 0, `ACCEPTED`, with token
    /// `token` `CREATED` (`UPDATED` for `REGISTER_UPDATE`) and its chaining reference.
    #[must_use]
    pub fn registration(self, page_action: &str, token: &str) -> Self {
        let status = if page_action == "REGISTER_UPDATE" {
            "UPDATED"
        } else {
            "CREATED"
        };
        self.field("vads_page_action", page_action)
            .field("vads_operation_type", "VERIFICATION")
            .status(TransStatus::Accepted)
            .amount(0)
            .field("vads_identifier", token)
            .field("vads_identifier_status", status)
            .field(
                "vads_initial_issuer_transaction_identifier",
                format!("CHAIN{}", token.chars().take(12).collect::<String>()),
            )
    }

    /// Installment `number` of subscription `subscription` on token `token`, as the
    /// platform's nightly batch notifies it (`REC`, the channel `OTHER`, a
    /// `vads_occurrence_type`); `.url_check_src(UrlCheckSource::Retry)` for its retry.
    /// Without a subscription id (`None`): as some integrators report it, identified by
    /// its token and number alone.
    #[must_use]
    pub fn renewal(self, token: &str, subscription: Option<&str>, number: u32) -> Self {
        let b = self
            .url_check_src(UrlCheckSource::Rec)
            .field("vads_identifier", token)
            .field("vads_recurrence_number", number.to_string())
            .field(
                "vads_occurrence_type",
                if number <= 1 {
                    "RECURRENT_INITIAL"
                } else {
                    "RECURRENT_INTERMEDIAIRE"
                },
            )
            .field("vads_payment_src", "OTHER")
            .field("vads_page_action", "PAYMENT");
        match subscription {
            Some(id) => b.field("vads_subscription", id),
            None => b.without("vads_subscription"),
        }
    }

    /// The fields, in order, without the signature.
    #[must_use]
    pub fn fields(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect()
    }

    /// The fields with their `signature` last, signed with the key and algorithm of the
    /// shop's mode (e.g. to render a browser return as a POST form).
    ///
    /// # Errors
    /// [`SignError`] when the shop cannot sign (or a field is duplicated).
    pub fn signed_fields(self) -> Result<Vec<(String, String)>, SignError> {
        let key = self.shop.signing_key()?;
        let algorithm = self.shop.algorithm();
        self.fields_signed_with(key, algorithm)
    }

    fn fields_signed_with(
        self,
        key: &Key,
        algorithm: Algorithm,
    ) -> Result<Vec<(String, String)>, SignError> {
        let pairs = self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let signature = crate::protocol::signing::sign(pairs, key, algorithm)?;
        let mut fields = self.fields();
        fields.push(("signature".to_owned(), signature.as_str().to_owned()));
        Ok(fields)
    }

    /// The urlencoded body, signed with the key and algorithm of the shop's mode.
    ///
    /// # Errors
    /// [`SignError`] when the shop cannot sign (or a field is duplicated).
    pub fn body(self) -> Result<String, SignError> {
        self.signed_fields().map(|f| urlencode_pairs(&f))
    }

    /// The urlencoded body signed with `key` and `algorithm` (e.g. a forged or a
    /// previous key, to test rejections and key rotation).
    ///
    /// # Errors
    /// [`SignError`] on a duplicated field.
    pub fn body_signed_with(self, key: &Key, algorithm: Algorithm) -> Result<String, SignError> {
        self.fields_signed_with(key, algorithm)
            .map(|f| urlencode_pairs(&f))
    }
}

/// Builds a REST answer body (`kr-hash`, `kr-hash-algorithm`, `kr-hash-key`,
/// `kr-answer-type`, `kr-answer`) signed like the platform signs it: a `V4/Payment` answer
/// with one transaction, hashed with the shop's REST password (IPN) or REST HMAC-SHA-256
/// key (browser return). Defaults: the IPN, a `DEBIT` of 1000 (minor units) in EUR,
/// `AUTHORISED` (order `PAID`), a fresh transaction uuid.
///
/// ```
/// use vads::testing::RestAnswerBuilder;
/// use vads::{Endpoint, Mode, OperationType, Outcome, SecretString, Shop, ShopConfig, TransStatus};
/// let mut config = ShopConfig::new("69876357", Mode::Test);
/// config.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
/// let shop = Shop::new(config)?;
///
/// let refund = RestAnswerBuilder::new(&shop).order_id("A-1").amount(2000)
///     .operation_type(OperationType::Credit).status(TransStatus::Captured).body()?;
/// let n = shop.verify_rest(refund.as_bytes(), Endpoint::Ipn)?;
/// assert_eq!(n.site_id(), "69876357");
/// assert!(n.answer_text().contains(r#""operationType":"CREDIT""#));
/// // The same body at the browser-return endpoint is refused: its key is the HMAC key.
/// assert_eq!(shop.verify_rest(refund.as_bytes(), Endpoint::Return).unwrap_err().code(), "wrong_hash_key");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RestAnswerBuilder<'s> {
    shop: &'s Shop,
    endpoint: Endpoint,
    shop_id: String,
    mode: String,
    order_id: Option<String>,
    amount: u64,
    currency: String,
    uuid: String,
    status: TransStatus,
    operation: OperationType,
    order_total: Option<u64>,
    token: Option<String>,
    sequence_number: Option<u32>,
    payment_source: Option<String>,
    chaining_ref: Option<String>,
    answer: Option<String>,
}

impl<'s> RestAnswerBuilder<'s> {
    /// An IPN answer for `shop`, in its mode.
    #[must_use]
    pub fn new(shop: &'s Shop) -> Self {
        let nanos = since_epoch().as_nanos();
        RestAnswerBuilder {
            shop,
            endpoint: Endpoint::Ipn,
            shop_id: shop.site_id().to_owned(),
            mode: shop.mode().as_str().to_owned(),
            order_id: Some("ORDER-1".to_owned()),
            amount: 1000,
            currency: "EUR".to_owned(),
            uuid: format!("{:032x}", nanos ^ 0x3c3c_0000_0000_0000_0000_0000_0000_0000),
            status: TransStatus::Authorised,
            operation: OperationType::Debit,
            order_total: None,
            token: None,
            sequence_number: None,
            payment_source: None,
            chaining_ref: None,
            answer: None,
        }
    }

    /// The transaction's `paymentMethodToken` (a saved card).
    #[must_use]
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// `transactionDetails.sequenceNumber`: installment `k` of a plan.
    #[must_use]
    pub fn sequence_number(mut self, k: u32) -> Self {
        self.sequence_number = Some(k);
        self
    }

    /// A card saved without a payment, as the REST answer says it (`Charge/CreateToken`'s
    /// IPN, a registration): a `VERIFICATION` of amount 0, `ACCEPTED`, with the token as
    /// `paymentMethodToken` and its chaining reference.
    ///
    /// ```
    /// # let mut c = vads::ShopConfig::new("12345678", vads::Mode::Test);
    /// # c.test_password = Some(vads::SecretString::new("testpassword_Registration12".into()));
    /// # let shop = vads::Shop::new(c)?;
    /// use vads::lifecycle::{reconcile, OrderOutcome};
    /// use vads::testing::RestAnswerBuilder;
    /// let body = RestAnswerBuilder::new(&shop)
    ///     .registration("4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e")
    ///     .body()?;
    /// let n = shop.verify_rest(body.as_bytes(), vads::Endpoint::Ipn)?;
    /// let order = reconcile(n.events()?, None)?;
    /// assert_eq!((order.outcome, order.paid), (OrderOutcome::Verified, 0));
    /// assert_eq!(order.token.map(|t| t.id).as_deref(), Some("4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn registration(self, token: &str) -> Self {
        let reference = format!("CHAIN{}", token.chars().take(12).collect::<String>());
        self.operation_type(OperationType::Verification)
            .status(TransStatus::Accepted)
            .amount(0)
            .token(token)
            .chaining_ref(&reference)
    }

    /// `cardDetails.paymentSource` (`EC`, `MOTO`, `CC`, `OTHER`).
    #[must_use]
    pub fn payment_source(mut self, source: &str) -> Self {
        self.payment_source = Some(source.to_owned());
        self
    }

    /// `cardDetails.initialIssuerTransactionIdentifier`: the chaining reference.
    #[must_use]
    pub fn chaining_ref(mut self, reference: &str) -> Self {
        self.chaining_ref = Some(reference.to_owned());
        self
    }

    /// `orderDetails.orderTotalAmount` when it is not the transaction's amount: the
    /// amount a payment was created with, before it was lowered (`Transaction/Update`).
    #[must_use]
    pub fn order_total(mut self, minor_units: u64) -> Self {
        self.order_total = Some(minor_units);
        self
    }

    /// The endpoint it is for, which chooses the key and `kr-hash-key`.
    #[must_use]
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// `orderDetails.orderId`.
    #[must_use]
    pub fn order_id(mut self, id: &str) -> Self {
        self.order_id = Some(id.to_owned());
        self
    }

    /// `orderDetails.orderId` set to `null` (as in an answer without an order id).
    #[must_use]
    pub fn without_order_id(mut self) -> Self {
        self.order_id = None;
        self
    }

    /// The amount in minor units (order total and transaction amount).
    #[must_use]
    pub fn amount(mut self, minor_units: u64) -> Self {
        self.amount = minor_units;
        self
    }

    /// The alphabetic currency code (`EUR`).
    #[must_use]
    pub fn currency(mut self, alpha: &str) -> Self {
        alpha.clone_into(&mut self.currency);
        self
    }

    /// The transaction's uuid.
    #[must_use]
    pub fn uuid(mut self, uuid: &str) -> Self {
        uuid.clone_into(&mut self.uuid);
        self
    }

    /// The transaction's `detailedStatus` (its `status` and the `orderStatus` follow).
    #[must_use]
    pub fn status(mut self, status: TransStatus) -> Self {
        self.status = status;
        self
    }

    /// The transaction's `operationType`.
    #[must_use]
    pub fn operation_type(mut self, operation: OperationType) -> Self {
        self.operation = operation;
        self
    }

    /// `orderDetails.mode`, as text (to test a mismatch).
    #[must_use]
    pub fn mode(mut self, mode: &str) -> Self {
        mode.clone_into(&mut self.mode);
        self
    }

    /// `shopId`, as text (to test a mismatch).
    #[must_use]
    pub fn shop_id(mut self, shop_id: &str) -> Self {
        shop_id.clone_into(&mut self.shop_id);
        self
    }

    /// Replaces the whole answer with `json` (signed as given).
    #[must_use]
    pub fn answer(mut self, json: impl Into<String>) -> Self {
        self.answer = Some(json.into());
        self
    }

    /// The `kr-answer` JSON text.
    #[must_use]
    pub fn answer_text(&self) -> String {
        if let Some(a) = &self.answer {
            return a.clone();
        }
        let (order_status, status) = match Outcome::of_operation(Some(self.operation), self.status)
        {
            Outcome::Paid | Outcome::Refunded | Outcome::Verified => ("PAID", "PAID"),
            Outcome::Pending => ("RUNNING", "RUNNING"),
            _ => ("UNPAID", "UNPAID"),
        };
        let date = TransDate::now();
        let date = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
            date.year, date.month, date.day, date.hour, date.minute, date.second
        );
        let order_id = self
            .order_id
            .as_deref()
            .map_or_else(|| "null".to_owned(), json_string);
        format!(
            concat!(
                r#"{{"shopId":{shop},"orderCycle":"CLOSED","orderStatus":"{order_status}","serverDate":"{date}","#,
                r#""orderDetails":{{"orderTotalAmount":{total},"orderEffectiveAmount":{amount},"orderCurrency":{currency},"mode":{mode},"orderId":{order_id},"_type":"V4/OrderDetails"}},"#,
                r#""customer":{{"email":"sample@example.com","reference":null,"_type":"V4/Customer/Customer"}},"#,
                r#""transactions":[{{"shopId":{shop},"uuid":{uuid},"amount":{amount},"currency":{currency},"paymentMethodType":"CARD","#,
                r#""status":"{status}","detailedStatus":"{detailed}","operationType":"{operation}","creationDate":"{date}","#,
                r#""errorCode":null,"metadata":null,"paymentMethodToken":{token},"transactionDetails":{{"parentTransactionUuid":null,"sequenceNumber":{sequence},"#,
                r#""cardDetails":{{"paymentSource":{source},"initialIssuerTransactionIdentifier":{chaining},"_type":"V4/PaymentMethod/Details/CardDetails"}},"_type":"V4/TransactionDetails"}},"_type":"V4/PaymentTransaction"}}],"#,
                r#""_type":"V4/Payment"}}"#
            ),
            shop = json_string(&self.shop_id),
            order_status = order_status,
            date = date,
            amount = self.amount,
            total = self.order_total.unwrap_or(self.amount),
            currency = json_string(&self.currency),
            mode = json_string(&self.mode),
            order_id = order_id,
            uuid = json_string(&self.uuid),
            status = status,
            detailed = self.status.as_str(),
            operation = self.operation.as_str(),
            token = self
                .token
                .as_deref()
                .map_or_else(|| "null".to_owned(), json_string),
            sequence = self
                .sequence_number
                .map_or_else(|| "null".to_owned(), |k| k.to_string()),
            source = self
                .payment_source
                .as_deref()
                .map_or_else(|| "null".to_owned(), json_string),
            chaining = self
                .chaining_ref
                .as_deref()
                .map_or_else(|| "null".to_owned(), json_string),
        )
    }

    /// The urlencoded body, hashed with the shop's key for the endpoint.
    ///
    /// # Errors
    /// [`SignError::KeyNotConfigured`] when the shop has no REST key for the endpoint.
    pub fn body(self) -> Result<String, SignError> {
        let key = self.shop.rest_key(self.endpoint)?;
        Ok(self.body_signed_with(key))
    }

    /// The urlencoded body hashed with `key` (a forged or a previous key, to test
    /// rejections).
    #[must_use]
    pub fn body_signed_with(self, key: &Key) -> String {
        let answer = self.answer_text();
        let hash = crate::protocol::signing::rest_hash(key, answer.as_bytes());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        urlencode_pairs(&[
            ("kr-hash".to_owned(), hex),
            ("kr-hash-algorithm".to_owned(), "sha256_hmac".to_owned()),
            (
                "kr-hash-key".to_owned(),
                self.endpoint.hash_key_name().to_owned(),
            ),
            ("kr-answer-type".to_owned(), "V4/Payment".to_owned()),
            ("kr-answer".to_owned(), answer),
        ])
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Fields as an `application/x-www-form-urlencoded` body, in order.
///
/// ```
/// let body = vads::testing::urlencode_pairs(&[("vads_a".into(), "x y".into()), ("b".into(), "&".into())]);
/// assert_eq!(body, "vads_a=x+y&b=%26");
/// ```
#[must_use]
pub fn urlencode_pairs(fields: &[(String, String)]) -> String {
    let mut out = String::new();
    for (n, v) in fields {
        if !out.is_empty() {
            out.push('&');
        }
        urlencode_into(n, &mut out);
        out.push('=');
        urlencode_into(v, &mut out);
    }
    out
}

/// `application/x-www-form-urlencoded` encoding, as browsers and the platform do.
///
/// ```
/// let mut s = String::new();
/// vads::testing::urlencode_into("a b+c/é", &mut s);
/// assert_eq!(s, "a+b%2Bc%2F%C3%A9");
/// ```
pub fn urlencode_into(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}
