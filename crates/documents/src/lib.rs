//! Generated documents: CSV now; PDF, xlsx and iCalendar as the features that need them arrive.
//! Kept apart so their heavy dependencies stay out of the other crates' edit-compile loop.

pub mod csv;
pub mod ics;
pub mod pdf;
pub mod xlsx;
