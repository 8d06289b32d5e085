//! The endpoint handlers, one module per resource. Handlers stay thin:
//! they parse, authorise, call the store (or the login service,
//! [`crate::server::login`]) and shape the answer.

pub mod auth;
pub mod emergency;
pub mod events;
pub mod feed;
pub mod items;
pub mod lifecycle;
pub mod members;
pub mod projects;
pub mod secrets;
pub mod services;
pub mod system;
pub mod vaults;
