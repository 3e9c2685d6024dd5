//! Channels: who started a payment (protocol section 12). A shop switches each one on and
//! off, and into TEST or PRODUCTION, on its own ([`crate::ShopConfig::channels`]): the
//! website (`vads_payment_src` `EC`, or none) follows `ctx_mode`; mail and telephone
//! orders (`MOTO`), the call centre (`CC`) and the charges the shop starts itself
//! (merchant-initiated, through the API) are off unless the configuration names them.

use core::fmt;

/// A channel a payment comes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Channel {
    /// The buyer on the shop's website (`vads_payment_src` `EC`, or none; also `OTHER`:
    /// back-office payments, payments by file, a subscription's installments).
    Website,
    /// Mail or telephone order typed by an operator (`MOTO`).
    Moto,
    /// The call centre (`CC`).
    CallCentre,
    /// Charges of a saved card the shop starts itself, through the REST API (zero-click,
    /// a subscription it creates): no buyer present.
    MerchantInitiated,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [
        Channel::Website,
        Channel::Moto,
        Channel::CallCentre,
        Channel::MerchantInitiated,
    ];

    /// The configuration's name: `website`, `moto`, `call_centre`, `merchant_initiated`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Website => "website",
            Channel::Moto => "moto",
            Channel::CallCentre => "call_centre",
            Channel::MerchantInitiated => "merchant_initiated",
        }
    }

    /// The channel a `vads_payment_src` (REST `paymentSource`) reports: `MOTO`, `CC`;
    /// anything else (`EC`, `OTHER`, none, a value the documentation does not list) is the
    /// website's, which follows `ctx_mode`.
    ///
    /// ```
    /// use vads::Channel;
    /// assert_eq!(Channel::of_payment_src(b"MOTO"), Channel::Moto);
    /// assert_eq!(Channel::of_payment_src(b"CC"), Channel::CallCentre);
    /// assert_eq!(Channel::of_payment_src(b"EC"), Channel::Website);
    /// assert_eq!(Channel::of_payment_src(b""), Channel::Website);
    /// ```
    #[must_use]
    pub fn of_payment_src(src: &[u8]) -> Channel {
        match src {
            b"MOTO" => Channel::Moto,
            b"CC" => Channel::CallCentre,
            _ => Channel::Website,
        }
    }

    /// The `vads_payment_src` a form of this channel carries (`None` for the website and
    /// merchant-initiated charges, which are not forms).
    #[must_use]
    pub const fn payment_src(self) -> Option<&'static str> {
        match self {
            Channel::Moto => Some("MOTO"),
            Channel::CallCentre => Some("CC"),
            Channel::Website | Channel::MerchantInitiated => None,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel that is off in the shop's configuration: nothing is signed or sent for it.
///
/// ```
/// let e = vads::ChannelOff { channel: vads::Channel::Moto };
/// assert_eq!(e.code(), "channel_off");
/// assert!(e.to_string().starts_with("channel_off: the moto channel is off"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelOff {
    /// The channel.
    pub channel: Channel,
}

impl ChannelOff {
    /// `channel_off`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "channel_off"
    }
}

impl fmt::Display for ChannelOff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "channel_off: the {} channel is off in the shop's configuration ([channels] {} = \"TEST\" or \"PRODUCTION\" to open it); nothing was signed or sent",
            self.channel, self.channel
        )
    }
}

impl std::error::Error for ChannelOff {}
