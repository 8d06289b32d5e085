//! One module per group of commands; `main.rs` dispatches to them.

pub(crate) mod account;
pub(crate) mod emergency;
pub(crate) mod items;
pub(crate) mod lifecycle;
pub(crate) mod projects;
pub(crate) mod requests;
pub(crate) mod run;
pub(crate) mod schema;
pub(crate) mod secrets;
pub(crate) mod services;
pub(crate) mod sync;
pub(crate) mod vaults;
