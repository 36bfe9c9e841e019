//! Councils (協議会) and their member agencies: screens and API.

pub mod html;
