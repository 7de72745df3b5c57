//! One throwaway PostgreSQL database per test, dropped afterwards.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::Connection;

/// The `SPIRE_RS_TEST_POSTGRES` URL; panics saying how to get one when it is unset (the
/// tests are `#[ignore]`d and run by scripts/test in CI, where .ci/run starts PostgreSQL).
pub fn postgres_url(test: &str) -> String {
    match std::env::var("SPIRE_RS_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{test} needs PostgreSQL: SPIRE_RS_TEST_POSTGRES is not set; run `eval \"$(scripts/ci-databases start)\"`"
        ),
    }
}

/// A database created for one test on the server `SPIRE_RS_TEST_POSTGRES` names.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    /// The connection string of the new database, for server.conf.
    pub url: String,
}

impl TestDatabase {
    /// Creates `spire_ha_<tag>_<pid>_<nanos>` with the role of `base_url`.
    pub fn create(base_url: &str, tag: &str) -> TestDatabase {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("spire_ha_{tag}_{}_{nanos}", std::process::id());
        let url = with_database(base_url, &name);
        let admin_url = base_url.to_owned();
        block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("connect to SPIRE_RS_TEST_POSTGRES");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("CREATE DATABASE (the role needs CREATEDB)");
        });
        TestDatabase {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        block_on(async move {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            }
        });
    }
}

/// `url` with its database path replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_end..]
        .find('/')
        .map_or(base.len(), |i| authority_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Runs `fut` on a private runtime (tests are synchronous).
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(fut)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_replaces_the_path_and_keeps_the_query() {
        assert_eq!(
            super::with_database("postgres://u:p@127.0.0.1:5/spire?sslmode=disable", "x"),
            "postgres://u:p@127.0.0.1:5/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://h:5", "x"),
            "postgres://h:5/x"
        );
    }
}
