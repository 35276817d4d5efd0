//! The per-silo DDL (being written).
