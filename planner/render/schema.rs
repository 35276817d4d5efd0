//! Rendering `silos/<silo>/schema.sql` (being written).
