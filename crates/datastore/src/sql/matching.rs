//! Set filters (selectors, federated trust domains) as SQL predicates, for all four
//! match behaviours.

use std::collections::HashSet;

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
    let unique = dedup(members);
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

/// `members` without repeats, first occurrence kept, in one pass (a filter with many members
/// was O(n²) with a `Vec::contains` scan per member). `HAVING COUNT(*) = n` counts these.
fn dedup(members: &[Member]) -> Vec<&Member> {
    let mut seen: HashSet<&Member> = HashSet::with_capacity(members.len());
    members.iter().filter(|m| seen.insert(*m)).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn member(kind: &str, value: &str) -> Member {
        vec![("S.type", kind.to_owned()), ("S.value", value.to_owned())]
    }

    #[test]
    fn dedup_keeps_first_occurrences_in_order() {
        let members = [
            member("t", "b"),
            member("t", "a"),
            member("t", "b"),
            member("u", "a"),
            member("t", "a"),
        ];
        let unique: Vec<&Member> = dedup(&members);
        assert_eq!(
            unique,
            [&members[0], &members[1], &members[3]],
            "same members, same order as the old Vec::contains loop"
        );
    }

    #[test]
    fn a_large_filter_with_repeats_counts_each_member_once() {
        // 50 000 members, 25 000 distinct: the quadratic loop needed ~10^9 comparisons.
        let members: Vec<Member> = (0..50_000)
            .map(|i| member("t", &(i % 25_000).to_string()))
            .collect();
        assert_eq!(dedup(&members).len(), 25_000);
        let table = MemberTable {
            from: "selectors S",
            owner_column: "S.registered_entry_id",
        };
        predicate(
            "E.id",
            table,
            &members[..4],
            MatchBehavior::Exact,
            "selectors",
        )
        .expect("predicate builds");
    }

    #[test]
    fn an_empty_filter_is_refused() {
        let table = MemberTable {
            from: "selectors S",
            owner_column: "S.registered_entry_id",
        };
        let err = predicate("E.id", table, &[], MatchBehavior::Any, "selectors")
            .expect_err("empty filter");
        assert!(
            err.to_string()
                .contains("selectors filter must name at least one value"),
            "{err}"
        );
    }
}
