//! Rendering `fks/drop.sql` and `fks/restore.sql` (being written).
