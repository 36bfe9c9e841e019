//! API tokens across all users, for the administrator.

pub mod html;
