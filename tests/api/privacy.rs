//! Every table is accounted for by the privacy rights: a table that can hold a person's data is
//! covered by export and erasure, every other table says why it holds none. A new table in a
//! migration fails this test until it is classified.

use std::collections::BTreeSet;

use academy_identity::{Role, account};
use academy_testing::{Backend, TestDb, storage_test};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::TestApp;

/// Every table of the schema, with its columns.
async fn tables(db: &DatabaseConnection, backend: Backend) -> Vec<(String, BTreeSet<String>)> {
    let backend_kind = db.get_database_backend();
    let names = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend_kind, names))
        .await
        .expect("listing tables");
    let mut out = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "name").expect("a name");
        let columns_sql = match backend {
            Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{name}')"),
            Backend::Postgres => format!(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{name}'"
            ),
        };
        let columns = db
            .query_all_raw(Statement::from_string(backend_kind, columns_sql))
            .await
            .expect("listing columns")
            .into_iter()
            .map(|r| r.try_get::<String>("", "name").expect("a column"))
            .collect();
        out.push((name, columns));
    }
    out.sort();
    out
}

/// Columns that name an account.
const PERSON_COLUMNS: &[&str] = &["user_id", "actor_id", "subject_id"];

storage_test!(
    every_table_is_covered_by_export_and_erasure_or_says_why_it_holds_no_personal_data,
    |t: TestDb| async move {
        let personal: BTreeSet<&str> = academy::privacy::personal_tables().into_iter().collect();
        let impersonal: BTreeSet<&str> = academy::privacy::impersonal_tables()
            .into_iter()
            .map(|(table, why)| {
                assert!(!why.trim().is_empty(), "{table} needs a reason");
                table
            })
            .collect();
        assert!(
            personal.is_disjoint(&impersonal),
            "a table is in both lists: {:?}",
            personal.intersection(&impersonal).collect::<Vec<_>>()
        );
        let schema = tables(&t.db, t.backend).await;
        let names: BTreeSet<&str> = schema.iter().map(|(n, _)| n.as_str()).collect();
        for (table, columns) in &schema {
            assert!(
                personal.contains(table.as_str()) || impersonal.contains(table.as_str()),
                "table `{table}` is in neither PERSONAL_TABLES nor IMPERSONAL_TABLES: cover it \
                 in its crate's export and erase, or say why it holds no personal data"
            );
            if PERSON_COLUMNS.iter().any(|c| columns.contains(*c)) || table == "users" {
                assert!(
                    personal.contains(table.as_str()),
                    "table `{table}` names an account but is not covered by export and erasure"
                );
            }
        }
        for listed in personal.iter().chain(&impersonal) {
            assert!(
                names.contains(listed),
                "`{listed}` is listed but not in the schema"
            );
        }
    }
);

storage_test!(
    erasure_leaves_no_row_of_the_person_in_any_personal_table_but_the_audit_log_and_the_statistics_notice,
    |t: TestDb| async move {
        let app = TestApp::configured(t, |_| {}).await;
        let admin = account::create(&app.db.db, Some("Admin"), &[Role::Admin])
            .await
            .unwrap();
        let person = app.person("Leaving", &[]).await;
        account::grant_role(&app.db.db, admin.id, person.id, Role::Trainer)
            .await
            .unwrap();
        academy::privacy::erase(&app.db.db, &app.academy.state.enrollment, person.id)
            .await
            .unwrap();
        let backend = app.db.db.get_database_backend();
        for (table, columns) in tables(&app.db.db, app.db.backend).await {
            if !columns.contains("user_id") {
                continue;
            }
            let left = app
                .db
                .db
                .query_one_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT COUNT(*) AS n FROM {table} WHERE user_id = {}",
                        person.id
                    ),
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap();
            // The statistics feed keeps one row: the notice that tells every server to drop the
            // person from its index (pruned within the hour; see academy_stats::privacy).
            let kept = i64::from(table == "stats_changes");
            assert_eq!(left, kept, "{table} keeps rows of an erased person");
        }
        let export =
            academy::privacy::export(&app.db.db, &app.academy.state.enrollment, person.id).await;
        assert!(export.is_err(), "an erased account has nothing to export");
    }
);
