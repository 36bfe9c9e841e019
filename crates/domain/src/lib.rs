//! Tsunagu's domain: types, rules and calculations, with no I/O.
//!
//! Everything here is pure so the hard rules (who may see what, dates, kana) are tested
//! exhaustively and compile in seconds.

pub mod access;
pub mod challenge;
pub mod children;
pub mod common_passwords;
pub mod directory;
pub mod evaluation;
pub mod files;
pub mod ids;
pub mod japanese_date;
pub mod kana;
pub mod login_policy;
pub mod network;
pub mod plan;
pub mod referral;
pub mod role;
pub mod school_year;
pub mod validation;

pub use access::Actor;
pub use ids::{AgencyId, AreaId, MunicipalityId, RegionId, TokenId, UserId};
pub use role::Role;
