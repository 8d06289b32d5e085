//! The endpoint handlers, by area.

pub mod auth;
pub mod data;
pub mod events;
pub mod ops;
