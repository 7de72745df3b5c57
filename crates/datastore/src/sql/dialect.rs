//! Everything that differs between SQL dialects: DDL (column types, autoincrement, quoting),
//! schema introspection, upsert syntax and row locking. Placeholders are rewritten in
//! [`super::args`]; `INSERT … RETURNING id` versus `LAST_INSERT_ID()` lives in
//! [`super::db`]. Query text elsewhere is plain SQL every dialect accepts.
//!
//! Each dialect's DDL reproduces what SPIRE's gorm v1 `AutoMigrate` creates at schema
//! version 25, table for table and index for index, so databases are interchangeable.

use super::{schema_mysql, schema_postgres, schema_sqlite};

/// A SQL dialect the store can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

impl Dialect {
    /// `CREATE TABLE`/`CREATE INDEX` statements for a fresh database at the latest schema
    /// version, safe to re-run (`IF NOT EXISTS`).
    pub fn schema_statements(self) -> Vec<&'static str> {
        match self {
            Dialect::Sqlite => [schema_sqlite::TABLES, schema_sqlite::INDEXES].concat(),
            Dialect::Postgres => [schema_postgres::TABLES, schema_sqlite::INDEXES].concat(),
            Dialect::MySql => schema_mysql::TABLES.to_vec(),
        }
    }

    /// Statements that take the schema from `version` to `version + 1`.
    pub fn migration_step(self, version: i64) -> Option<&'static [&'static str]> {
        match (self, version) {
            (Dialect::Sqlite, 23) => Some(&[
                r#"ALTER TABLE "attested_node_entries" ADD COLUMN "agent_version" varchar(255)"#,
            ]),
            (Dialect::Sqlite, 24) => Some(&[
                r#"ALTER TABLE "registered_entries" ADD COLUMN "additional_attributes" blob"#,
            ]),
            (Dialect::Postgres, 23) => Some(&[
                r#"ALTER TABLE "attested_node_entries" ADD COLUMN "agent_version" varchar(255)"#,
            ]),
            (Dialect::Postgres, 24) => Some(&[
                r#"ALTER TABLE "registered_entries" ADD COLUMN "additional_attributes" bytea"#,
            ]),
            (Dialect::MySql, 23) => Some(&[
                "ALTER TABLE `attested_node_entries` ADD COLUMN `agent_version` varchar(255)",
            ]),
            (Dialect::MySql, 24) => Some(&[
                "ALTER TABLE `registered_entries` ADD COLUMN `additional_attributes` longblob",
            ]),
            _ => None,
        }
    }

    /// Creates or replaces a bundle: binds trust_domain, data, created_at, updated_at.
    pub fn upsert_bundle(self) -> &'static str {
        match self {
            Dialect::Sqlite | Dialect::Postgres => {
                "INSERT INTO bundles (trust_domain, data, created_at, updated_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (trust_domain) DO UPDATE SET data = excluded.data, \
                 updated_at = excluded.updated_at"
            }
            Dialect::MySql => {
                "INSERT INTO bundles (trust_domain, data, created_at, updated_at) VALUES (?, ?, ?, ?) \
                 ON DUPLICATE KEY UPDATE data = VALUES(data), updated_at = VALUES(updated_at)"
            }
        }
    }

    /// Suffix of a `SELECT` that reads rows a write transaction then rewrites. SQLite
    /// already holds the database write lock (`BEGIN IMMEDIATE`).
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres | Dialect::MySql => " FOR UPDATE",
        }
    }

    /// Counts tables named by the one bind value (0 or 1).
    pub fn table_exists(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
            }
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = ?"
            }
            Dialect::MySql => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = ?"
            }
        }
    }

    /// Lists the names of the store's tables, sorted.
    pub fn table_names(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Dialect::Postgres => {
                "SELECT CAST(table_name AS varchar) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
            }
            Dialect::MySql => {
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1"
            }
        }
    }
}
