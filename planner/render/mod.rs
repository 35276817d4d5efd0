//! Rendering a [`crate::plan::Plan`] into files: askama templates in `templates/`, one template
//! struct per output kind. Nothing here decides content; it only lays out what the plan holds.
//! The result is an in-memory directory (paths and contents); only `main.rs` writes it.

pub mod fks;
pub mod schema;
