//! Scripts that break and restore the cross-silo foreign keys (being written).
