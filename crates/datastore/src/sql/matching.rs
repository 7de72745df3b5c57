//! Set filters (selectors, federated trust domains) as SQL predicates, for all four
//! match behaviours.

use super::args::{Arg, Sql};
use crate::error::{DataStoreError, Result};
use crate::query::MatchBehavior;

/// Where a record's set members live.
#[derive(Debug, Clone, Copy)]
pub struct MemberTable {
    /// `FROM` clause of the member rows, e.g. `selectors S`.
    pub from: &'static str,
    /// Column of the member rows naming their owner, e.g. `S.registered_entry_id`.
    pub owner_column: &'static str,
}

/// One member of the filter set: column/value pairs that must all be equal.
pub type Member = Vec<(&'static str, String)>;

/// Builds ` AND <predicate>` restricting `owner_expr` (the owner key of the outer row) to
/// records whose member set relates to `members` as `behavior` says. `field` names the
/// filter for errors. Records without any member never match.
pub fn predicate(
    owner_expr: &str,
    table: MemberTable,
    members: &[Member],
    behavior: MatchBehavior,
    field: &str,
) -> Result<Sql> {
    let mut unique: Vec<&Member> = Vec::new();
    for m in members {
        if !unique.contains(&m) {
            unique.push(m);
        }
    }
    if unique.is_empty() {
        return Err(DataStoreError::InvalidArgument(format!(
            "{field} filter must name at least one value"
        )));
    }
    let in_set = in_set(&unique);
    let MemberTable { from, owner_column } = table;
    let mut sql = Sql::new(" AND ");
    let has_any_member = format!("{owner_expr} IN (SELECT {owner_column} FROM {from})");
    let none_outside = |sql: &mut Sql| {
        sql.push(&format!(
            "{owner_expr} NOT IN (SELECT {owner_column} FROM {from} WHERE NOT "
        ))
        .append(in_set.clone())
        .push(")");
    };
    let has_all = |sql: &mut Sql| {
        sql.push(&format!(
            "{owner_expr} IN (SELECT {owner_column} FROM {from} WHERE "
        ))
        .append(in_set.clone())
        .push(&format!(" GROUP BY {owner_column} HAVING COUNT(*) = "))
        .bind(Arg::Int(i64::try_from(unique.len()).unwrap_or(i64::MAX)))
        .push(")");
    };
    match behavior {
        MatchBehavior::Any => {
            sql.push(&format!(
                "{owner_expr} IN (SELECT {owner_column} FROM {from} WHERE "
            ))
            .append(in_set.clone())
            .push(")");
        }
        MatchBehavior::Superset => has_all(&mut sql),
        MatchBehavior::Subset => {
            sql.push(&has_any_member).push(" AND ");
            none_outside(&mut sql);
        }
        MatchBehavior::Exact => {
            has_all(&mut sql);
            sql.push(" AND ");
            none_outside(&mut sql);
        }
    }
    Ok(sql)
}

/// `((c1 = ? AND c2 = ?) OR (...))`.
fn in_set(members: &[&Member]) -> Sql {
    let mut sql = Sql::new("(");
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push("(");
        for (j, (column, value)) in member.iter().enumerate() {
            if j > 0 {
                sql.push(" AND ");
            }
            sql.push(&format!("{column} = "))
                .bind(Arg::Text(value.clone()));
        }
        sql.push(")");
    }
    sql.push(")");
    sql
}
