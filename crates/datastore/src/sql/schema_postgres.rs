//! SPIRE's schema at version 25 as gorm v1 `AutoMigrate` creates it on PostgreSQL
//! (`serial` ids, `timestamp with time zone`, `boolean`, `bytea`). The indexes are the
//! SQLite statements ([`super::schema_sqlite::INDEXES`]), which PostgreSQL accepts as is.

/// Tables with gorm's PostgreSQL column types.
pub const TABLES: &[&str] = &[
    r#"CREATE TABLE IF NOT EXISTS "bundles" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"trust_domain" varchar(255) NOT NULL,"data" bytea , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "federated_registration_entries" ("bundle_id" integer,"registered_entry_id" integer, PRIMARY KEY ("bundle_id","registered_entry_id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "attested_node_entries" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"spiffe_id" varchar(255),"data_type" varchar(255),"serial_number" varchar(255),"expires_at" timestamp with time zone,"new_serial_number" varchar(255),"new_expires_at" timestamp with time zone,"can_reattest" boolean,"agent_version" varchar(255) , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "attested_node_entries_events" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"spiffe_id" varchar(255) , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "node_resolver_map_entries" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"spiffe_id" varchar(255),"type" varchar(255),"value" varchar(255) , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "registered_entries" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"entry_id" varchar(255),"spiffe_id" varchar(255),"parent_id" varchar(255),"ttl" integer,"admin" boolean,"downstream" boolean,"expiry" bigint,"revision_number" bigint,"store_svid" boolean,"hint" varchar(255),"jwt_svid_ttl" integer,"additional_attributes" bytea , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "registered_entries_events" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"entry_id" varchar(255) , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "join_tokens" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"token" varchar(255),"expiry" bigint , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "selectors" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"registered_entry_id" integer,"type" varchar(255),"value" varchar(255) , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "migrations" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"version" integer,"code_version" varchar(255) , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "dns_names" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"registered_entry_id" integer,"value" varchar(255) , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "federated_trust_domains" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"trust_domain" varchar(255) NOT NULL,"bundle_endpoint_url" varchar(255),"bundle_endpoint_profile" varchar(255),"endpoint_spiffe_id" varchar(255),"implicit" boolean , PRIMARY KEY ("id"))"#,
    r#"CREATE TABLE IF NOT EXISTS "ca_journals" ("id" serial,"created_at" timestamp with time zone,"updated_at" timestamp with time zone,"data" bytea,"active_x509_authority_id" varchar(255),"active_jwt_authority_id" varchar(255) , PRIMARY KEY ("id"))"#,
];
