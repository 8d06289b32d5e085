//! The endpoint handlers, by area.

pub mod auth;
pub mod data;
pub mod emergency;
pub mod events;
pub mod lifecycle;
pub mod ops;
