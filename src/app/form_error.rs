//! Why a payment form could not be built ([`FormError`]): apart from the builder so that
//! the rules of recurring money ([`crate::app::recurring`]) and the currencies share it.

use crate::protocol::error::SignError;

/// Why a form could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// A field's value (or name) breaks a rule.
    #[error("invalid_field: {field}: {rule}")]
    InvalidField {
        /// The field's name.
        field: String,
        /// The rule it breaks, as a sentence.
        rule: &'static str,
    },
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// A rule of an installment plan, a page action, a subscription or a channel is
    /// broken ([`crate::form::Installments`], [`crate::form::Subscription`], ...): its own
    /// code (`installments_count`, `token_required`, `rrule_space`, ...).
    #[error("{code}: {field}: {sentence}")]
    Rule {
        /// The stable code.
        code: &'static str,
        /// The field at fault.
        field: String,
        /// What is wrong and what is expected.
        sentence: String,
    },
}

impl FormError {
    /// The stable code: `"invalid_field"`, or the signing error's code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            FormError::InvalidField { .. } => "invalid_field",
            FormError::Sign(e) => e.code(),
            FormError::Rule { code, .. } => code,
        }
    }
}

pub(crate) fn invalid(field: &str, rule: &'static str) -> FormError {
    FormError::InvalidField {
        field: field.to_owned(),
        rule,
    }
}

impl From<crate::protocol::currency::InvalidAmount> for FormError {
    fn from(_: crate::protocol::currency::InvalidAmount) -> Self {
        invalid(
            "vads_amount",
            crate::protocol::currency::InvalidAmount::RULE,
        )
    }
}

impl From<crate::protocol::recurring::RuleError> for FormError {
    fn from(e: crate::protocol::recurring::RuleError) -> Self {
        FormError::Rule {
            code: e.code,
            field: e.field.to_owned(),
            sentence: e.sentence,
        }
    }
}
