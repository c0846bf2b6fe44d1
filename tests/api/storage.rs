use crate::helpers::*;
use crate::on_both;
use vanguard_core::accounts::admin::{create_admin, AdminError, NewAdmin};
use vanguard_server::startup::open_store;

async fn migrations_apply_and_rerun(db: Db) {
    let db = TestDb::new(db).await;
    let store = open_store(&db.url).await.expect("first migration");
    assert!(store.accounts().is_empty().await.unwrap());
    // A second start applies nothing new and loses nothing.
    store.migrate().await.expect("migrations are idempotent");
    let again = open_store(&db.url).await.expect("reopen");
    assert!(again.accounts().is_empty().await.unwrap());
}
on_both!(migrations_apply_and_rerun);

async fn first_admin_without_demo(db: Db) {
    let db = TestDb::new(db).await;
    let store = open_store(&db.url).await.unwrap();
    let new = |username: &str, password: Option<&str>| NewAdmin {
        username: username.into(),
        name: "管理员".into(),
        committee: "县直机关工委".into(),
        time_zone: "Asia/Shanghai".into(),
        password: password.map(str::to_string),
    };
    let generated = create_admin(&store, new("root", None))
        .await
        .unwrap()
        .expect("a generated password");
    assert!(generated.len() >= 12);
    assert!(matches!(
        create_admin(&store, new("root", Some("another-password"))).await,
        Err(AdminError::Taken(_))
    ));
    assert!(matches!(
        create_admin(&store, new("x", Some("another-password"))).await,
        Err(AdminError::Input(_))
    ));
    create_admin(&store, new("root2", Some("another-password")))
        .await
        .unwrap();
    let committees = store.accounts().organisations().await.unwrap();
    assert_eq!(committees.len(), 1, "both admins share the one committee");

    // Demo mode never seeds over real data.
    let mut config = config(&db.url);
    config.demo = true;
    let app = vanguard_server::startup::Application::build(config)
        .await
        .unwrap();
    assert!(app
        .state()
        .services
        .store
        .accounts()
        .member_by_username("member01")
        .await
        .unwrap()
        .is_none());
}
on_both!(first_admin_without_demo);

async fn expired_sessions_stop_working_and_are_purged(db: Db) {
    use vanguard_core::storage::SessionRow;
    let app = spawn_app(db).await;
    let store = open_store(&app.db.url).await.unwrap();
    let member = store
        .accounts()
        .member_by_username("member01")
        .await
        .unwrap()
        .unwrap();
    let row = |hash: &str, expires_at: i64| SessionRow {
        token_hash: hash.into(),
        member_id: member.id.clone(),
        created_at: 0,
        expires_at,
    };
    store.sessions().insert(&row("old", 1_000)).await.unwrap();
    store
        .sessions()
        .insert(&row("live", i64::MAX / 2))
        .await
        .unwrap();
    assert_eq!(
        store.sessions().member_of("old", 2_000).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.sessions().purge_expired(2_000).await.unwrap(), 1);
    assert_eq!(
        store.sessions().member_of("live", 2_000).await.unwrap(),
        Some((member.id, false))
    );
}
on_both!(expired_sessions_stop_working_and_are_purged);
