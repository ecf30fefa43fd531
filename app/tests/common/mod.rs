//! Setup shared by the store's integration tests.

use std::path::Path;

/// A connection pool to a new database at `path` holding the schema of only the `migrations`
/// named (files of the project's migrations folder), as an older version of the app made it.
pub async fn database_at_schema(path: &Path, migrations: &[&str]) -> sqlx::SqlitePool {
    let earlier = path.with_extension("migrations");
    std::fs::create_dir(&earlier).unwrap();
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    for name in migrations {
        std::fs::copy(all.join(name), earlier.join(name)).unwrap();
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool
}
