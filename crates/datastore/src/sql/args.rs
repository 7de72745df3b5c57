//! A SQL text plus its bind values, built up piece by piece for dynamic filters.

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Executor, Sqlite};

/// One bind value.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
}

/// SQL with `?` placeholders and the values for them, in order.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a `?` bound to `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.text.push('?');
        self.args.push(arg);
        self
    }

    /// Appends another fragment with its binds.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.args.extend(other.args);
        self
    }

    /// Runs the statement and returns all rows.
    pub async fn fetch_all<'e, E>(&self, executor: E) -> Result<Vec<SqliteRow>, sqlx::Error>
    where
        E: Executor<'e, Database = Sqlite>,
    {
        self.query().fetch_all(executor).await
    }

    /// Runs the statement and returns the single `COUNT(*)`-style integer it yields.
    pub async fn fetch_i64<'e, E>(&self, executor: E) -> Result<i64, sqlx::Error>
    where
        E: Executor<'e, Database = Sqlite>,
    {
        let mut q = sqlx::query_scalar::<_, i64>(self.audited());
        for arg in &self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q.fetch_one(executor).await
    }

    /// The SQL text, vouched for: it is assembled only from constant fragments in this
    /// crate, and every caller-supplied value goes through `bind`, never into the text.
    fn audited(&self) -> AssertSqlSafe<String> {
        AssertSqlSafe(self.text.clone())
    }

    fn query(&self) -> sqlx::query::Query<'_, Sqlite, SqliteArguments> {
        let mut q = sqlx::query(self.audited());
        for arg in &self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}
