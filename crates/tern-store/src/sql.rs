//! Placeholders for statements with many parameters (multi-row `VALUES`,
//! `IN` lists).
//!
//! PostgreSQL numbers them (`$1, $2, …`). On SQLite they are the anonymous
//! `?`, bound in order: sqlx binds SQLite parameters by asking SQLite for
//! each one's name, and SQLite finds a name by scanning the statement's
//! list of named parameters, so with `$n` names binding costs time in the
//! square of their number — four fifths of a 10 000-record usage batch's
//! time went there at 4 500 parameters a statement.

use std::fmt::Write;

use crate::Backend;

/// One placeholder after `n - 1` others.
fn push(s: &mut String, backend: Backend, n: usize) {
    match backend {
        Backend::Sqlite => s.push('?'),
        Backend::Postgres => {
            let _ = write!(s, "${n}");
        }
    }
}

/// `(…), (…)`: `rows` groups of `cols` placeholders, numbered from 1 in
/// the order the values must be bound.
pub(crate) fn rows(backend: Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 6);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            push(&mut s, backend, n);
            n += 1;
        }
        s.push(')');
    }
    s
}

/// `n` placeholders for an `IN` list, numbered from 1.
pub(crate) fn list(backend: Backend, n: usize) -> String {
    let mut s = String::with_capacity(n * 5);
    for i in 1..=n {
        if i > 1 {
            s.push_str(", ");
        }
        push(&mut s, backend, i);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_every_cell_on_postgres() {
        assert_eq!(rows(Backend::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(list(Backend::Postgres, 3), "$1, $2, $3");
    }

    #[test]
    fn leaves_them_anonymous_on_sqlite() {
        assert_eq!(rows(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(list(Backend::Sqlite, 3), "?, ?, ?");
    }
}
