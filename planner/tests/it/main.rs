//! Integration tests: one binary, the real program and real PostgreSQL clusters.
