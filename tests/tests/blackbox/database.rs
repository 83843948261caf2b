//! The database layer as `pivot` opens it: PostgreSQL statement timeout, SQLite file
//! and WAL mode, migrations that can run again.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use server::db;

async fn one(conn: &sea_orm::DatabaseConnection, sql: &str) -> String {
    let row = conn
        .query_one(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .expect("a row");
    row.try_get_by_index::<String>(0).unwrap()
}

#[tokio::test]
async fn postgres_interactive_connections_have_a_statement_timeout() {
    let scratch = tests::postgres_scratch().await;
    let url = scratch.url.clone();
    {
        let (conn, _) = db::connect(&url, Some(Duration::from_secs(5))).await.unwrap();
        assert_eq!(one(&conn, "SHOW statement_timeout").await, "5s");
        db::migrate(&conn).await.unwrap();
        db::migrate(&conn).await.expect("migrations run again without harm");
        assert!(db::ping(&conn).await);
        let (batch, _) = db::connect(&url, None).await.unwrap();
        assert_eq!(
            one(&batch, "SHOW statement_timeout").await,
            "0",
            "long work has no statement timeout"
        );
        batch.close().await.unwrap();
        conn.close().await.unwrap();
    }
}

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode() {
    let dir = std::env::temp_dir().join(format!("pivot-dbtest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}/nested/pivot.db", dir.display());
    let (conn, counter) = db::connect(&url, Some(Duration::from_secs(5))).await.unwrap();
    db::migrate(&conn).await.unwrap();
    db::migrate(&conn).await.expect("migrations run again without harm");
    assert!(dir.join("nested/pivot.db").is_file());
    assert_eq!(one(&conn, "PRAGMA journal_mode").await, "wal");
    let before = counter.get();
    one(&conn, "SELECT 'x'").await;
    assert_eq!(counter.get(), before + 1, "every statement is counted");
    conn.close().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
