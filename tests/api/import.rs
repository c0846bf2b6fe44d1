use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use std::path::Path;
use vanguard_core::accounts::import::{import_members, ImportError};
use vanguard_server::startup::open_store;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn a_bad_row_imports_nothing(db: Db) {
    let app = spawn_app(db).await;
    let store = open_store(&app.db.url).await.unwrap();
    let before = counts(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "members.csv",
        "用户名,姓名,支部,党小组,身份,角色,密码\n\
         newbie01,新成员甲,第三党支部,第一党小组,正式,,first-password\n\
         newbie02,新成员乙,第三党支部,第一党小组,候补,,first-password\n\
         member01,重名者,第三党支部,,正式,,first-password\n",
    );
    let err = import_members(&store, &csv, None).await.unwrap_err();
    let ImportError::Rows { rows, .. } = &err else {
        panic!("row errors, got {err}")
    };
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].starts_with("第 3 行 身份"), "{}", rows[0]);
    assert!(
        rows[1].starts_with("第 4 行 用户名") && rows[1].contains("已存在"),
        "{}",
        rows[1]
    );
    assert!(err.to_string().contains("未导入任何一行"));
    let after = counts(&store).await;
    assert_eq!(before, after, "not even the good row, nor the new branch");
    assert_eq!(
        app.login("newbie01", "first-password").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let missing = write(dir.path(), "short.csv", "username,name\nx,y\n");
    assert!(matches!(
        import_members(&store, &missing, None).await,
        Err(ImportError::MissingColumn { .. })
    ));
    let wrong_type = write(dir.path(), "members.txt", "whatever");
    assert!(matches!(
        import_members(&store, &wrong_type, None).await,
        Err(ImportError::Format { .. })
    ));
}
on_both!(a_bad_row_imports_nothing);

/// How many organisations and members the store holds.
async fn counts(store: &vanguard_core::storage::Store) -> (usize, usize) {
    let orgs = store.accounts().organisations().await.unwrap().len();
    let members = store
        .accounts()
        .members_under(&root(store).await)
        .await
        .unwrap()
        .len();
    (orgs, members)
}

async fn root(store: &vanguard_core::storage::Store) -> String {
    store
        .accounts()
        .organisations()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.parent_id.is_none())
        .unwrap()
        .id
}

async fn good_files_import_and_log_in(db: Db) {
    let app = spawn_app(db).await;
    let store = open_store(&app.db.url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "members.csv",
        "\u{feff}username,name,branch,group,status,roles,password\n\
         newbie01,新成员甲,第三党支部,第一党小组,probationary,,first-password\n\
         newbie02,新成员乙,第一党支部,第二党小组,full,secretary;group_leader,\n",
    );
    let report = import_members(&store, &csv, None).await.unwrap();
    assert_eq!(report.members, 2);
    assert_eq!(
        report.organisations_created, 2,
        "第三党支部 and its group; 第一党支部 exists"
    );
    assert_eq!(report.generated_passwords.len(), 1);
    // The import is in the audit log, with what it brought.
    let imports = store.audit().of_action("import").await.unwrap();
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].3.as_deref(), Some("2 名党员，新建 2 个组织"));
    let (user, generated) = &report.generated_passwords[0];
    assert_eq!(user, "newbie02");
    assert_eq!(
        app.login("newbie01", "first-password").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("newbie02", generated).await.status(),
        StatusCode::OK
    );
    let me: serde_json::Value = app
        .get("/api/me", &token_of(&app, "newbie02", generated).await)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["branch"]["name"], "第一党支部");
    assert_eq!(
        me["roles"],
        serde_json::json!(["member", "group_leader", "secretary"])
    );

    // The same sheet as .xlsx.
    let xlsx = dir.path().join("members.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["用户名", "姓名", "支部", "密码"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["sheet01", "表格导入", "第二党支部", "sheet-password"]
        .iter()
        .enumerate()
    {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    sheet.write_string(2, 0, "BAD NAME").unwrap();
    sheet.write_string(2, 1, "坏行").unwrap();
    sheet.write_string(2, 2, "第二党支部").unwrap();
    book.save(&xlsx).unwrap();
    let err = import_members(&store, &xlsx, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("第 3 行 用户名"), "{err}");
    assert_eq!(
        app.login("sheet01", "sheet-password").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
on_both!(good_files_import_and_log_in);

async fn token_of(app: &TestApp, user: &str, password: &str) -> String {
    let body: serde_json::Value = app.login(user, password).await.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}
