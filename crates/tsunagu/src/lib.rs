//! The `tsunagu` binary's parts, as a library so the integration tests start the same server
//! and load the same demo data as the command line does.

pub mod cli;
pub mod demo;
pub mod demo_activities;
pub mod demo_children;
pub mod demo_directory;
pub mod demo_people;
pub mod mail;
pub mod rekey;
pub mod seed;
pub mod serve;
