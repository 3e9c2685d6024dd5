//! Channels: who started a payment (protocol section 12). A shop switches each one on and
//! off, and into TEST or PRODUCTION, on its own ([`crate::ShopConfig::channels`]): the
//! website (`vads_payment_src` `EC`, or none) follows `ctx_mode`; mail and telephone
//! orders (`MOTO`), the call centre (`CC`) and the charges the shop starts itself
//! (merchant-initiated, through the API) are off unless the configuration names them.

use crate::protocol::mode::Mode;
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

/// The mode of each channel that a notification may report, for the verifier: the
/// website's, and the MOTO and call-centre channels' (`None`: off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChannelModes {
    pub(crate) website: Mode,
    pub(crate) moto: Option<Mode>,
    pub(crate) call_centre: Option<Mode>,
}

impl ChannelModes {
    /// The mode of the channel a notification reports (`None`: off).
    pub(crate) fn of(&self, channel: Channel) -> Option<Mode> {
        match channel {
            Channel::Website => Some(self.website),
            Channel::Moto => self.moto,
            Channel::CallCentre => self.call_centre,
            Channel::MerchantInitiated => None,
        }
    }

    /// Whether a notification of `channel` claiming `mode` belongs here: `Ok`, or the
    /// channel's error (off; or its mode is another).
    pub(crate) fn check(
        &self,
        channel: Channel,
        claimed: Mode,
    ) -> Result<(), crate::protocol::error::VerifyError> {
        match self.of(channel) {
            Some(m) if m == claimed => Ok(()),
            Some(m) => Err(crate::protocol::error::VerifyError::ModeMismatch {
                notification: Some(claimed),
                shop: m,
            }),
            None => Err(crate::protocol::error::VerifyError::ChannelOff { channel }),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::VerifyError;

    #[test]
    fn a_notification_belongs_only_to_its_channels_mode() {
        let modes = ChannelModes {
            website: Mode::Production,
            moto: Some(Mode::Test),
            call_centre: None,
        };
        assert_eq!(modes.check(Channel::Website, Mode::Production), Ok(()));
        assert_eq!(modes.check(Channel::Moto, Mode::Test), Ok(()));
        assert_eq!(
            modes.check(Channel::Moto, Mode::Production),
            Err(VerifyError::ModeMismatch {
                notification: Some(Mode::Production),
                shop: Mode::Test
            })
        );
        assert_eq!(
            modes
                .check(Channel::Website, Mode::Test)
                .unwrap_err()
                .code(),
            "mode_mismatch"
        );
        assert_eq!(
            modes.check(Channel::CallCentre, Mode::Production),
            Err(VerifyError::ChannelOff {
                channel: Channel::CallCentre
            })
        );
        // A merchant-initiated charge has no notification: none belongs to it.
        assert!(modes.check(Channel::MerchantInitiated, Mode::Test).is_err());
    }
}
