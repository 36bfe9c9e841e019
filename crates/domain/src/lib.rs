//! Tsunagu's domain: types, rules and calculations, with no I/O.
//!
//! Everything here is pure so the hard rules (who may see what, dates, kana) are tested
//! exhaustively and compile in seconds.

/// A state stored and sent as its code (`open`, `held`…): serialised as the code, read back
/// from a row's text, shown as the code.
macro_rules! stored_code {
    ($ty:ty) => {
        impl TryFrom<String> for $ty {
            type Error = String;
            fn try_from(code: String) -> Result<Self, String> {
                <$ty>::from_code(&code).ok_or_else(|| format!("unknown code {code}"))
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

/// Defines a stored code enum: its codes, Japanese labels, `ALL`, and [`stored_code!`].
macro_rules! coded {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)+];

            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$v => $label,)+ }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|x| x.code() == code)
            }
        }
        stored_code!($name);
    };
}

pub mod access;
pub mod calendar;
pub mod challenge;
pub mod children;
pub mod common_passwords;
pub mod directory;
pub mod evaluation;
pub mod files;
pub mod handover;
pub mod ids;
pub mod japanese_date;
pub mod kana;
pub mod login_policy;
pub mod meeting;
pub mod network;
pub mod people;
pub mod plan;
pub mod referral;
pub mod role;
pub mod school_year;
pub mod suppression;
pub mod validation;

pub use access::Actor;
pub use ids::{
    ActionItemId, AgencyId, AreaId, AttachmentId, ChildId, ConsentId, ConsultationId, HandoverId,
    MeetingId, MunicipalityId, PlanId, ReferralId, RegionId, TokenId, TransitionId, UserId,
};
pub use role::Role;
