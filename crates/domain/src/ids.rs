//! Typed ids, so a user id can never be passed where an area id is meant.

use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

typed_id!(
    /// A person who logs in.
    UserId,
    /// An API token of a user.
    TokenId,
    /// 圏域: a health-welfare region of the prefecture.
    RegionId,
    /// 市町村.
    MunicipalityId,
    /// モデル地域 / 実施地域: where a coordinator office works.
    AreaId,
    /// 関係機関.
    AgencyId,
    /// 子ども: the person supported.
    ChildId,
    /// 相談記録: one contact at the window.
    ConsultationId,
    /// 同意 (or the legal-basis record of 要保護児童対策地域協議会).
    ConsentId,
    /// つなぎ.
    ReferralId,
    /// 支援会議.
    MeetingId,
    /// 決定事項・役割分担 of a meeting.
    ActionItemId,
    /// 支援計画 (one version).
    PlanId,
    /// 移行.
    TransitionId,
    /// 引継ぎシート.
    HandoverId,
    /// A document attached to a child or a consultation.
    AttachmentId,
);
