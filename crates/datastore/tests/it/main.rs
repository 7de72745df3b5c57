//! Integration tests of `spire-datastore` on SQLite: the conformance suite, one fresh
//! database per check, plus persistence, migration and schema-parity checks.

mod sqlite;
