//! `import-members FILE`: members from a CSV or .xlsx sheet, all or nothing.
//!
//! The first row names the columns, in Chinese or English: 用户名/username,
//! 姓名/name, 支部/branch, 党小组/group, 身份/status, 角色/roles, 密码/password.
//! The first three are required. Branches and groups missing from the tree are
//! created under the committee only when the import says so (the command
//! line does; an upload asks, so a typo makes no organisation), and an
//! upload may be previewed first. A row without a password gets a generated
//! one, reported back so the secretary can hand it over.

use super::{new_id, AccountsError};
use crate::auth::{now_secs, password, AuthError};
use crate::sheet_file::{self, SheetFile, SheetFileError};
use crate::storage::{Member, NewMember, Organisation, Store, StoreError};
use std::collections::HashMap;
use std::path::Path;
use vanguard_shared::{MemberStatus, OrgKind, Password, PersonName, Role, Username};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("无法读取 {path}：{source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}：不支持的文件类型，请使用 .csv 或 .xlsx")]
    Format { path: String },
    #[error("{path}：{message}")]
    Parse { path: String, message: String },
    #[error("{path}：缺少“{column}”列")]
    MissingColumn { path: String, column: &'static str },
    #[error("{path}：没有成员行")]
    Empty { path: String },
    #[error("还没有党委可导入：请先运行 create-admin")]
    NoCommittee,
    #[error("存在多个党委，请用 --committee 指定")]
    AmbiguousCommittee,
    #[error("没有名为“{0}”的党委")]
    UnknownCommittee(String),
    /// Every bad row, each naming its row number; nothing was imported.
    #[error("{path}：未导入任何一行：{}", .rows.join("；"))]
    Rows { path: String, rows: Vec<String> },
    #[error(transparent)]
    Accounts(#[from] AccountsError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Accounts(e.into())
    }
}

#[derive(Debug, Default)]
pub struct ImportReport {
    /// Nothing was stored: what the import would do.
    pub dry_run: bool,
    pub members: usize,
    pub organisations_created: usize,
    /// The members added, in the sheet's order.
    pub added: Vec<Added>,
    /// The organisations made (or that would be), `支部` or `支部 / 党小组`.
    pub organisations: Vec<String>,
    /// (username, password) for rows that gave none.
    pub generated_passwords: Vec<(String, String)>,
}

impl ImportReport {
    /// As the API and the page answer it.
    pub fn answer(self) -> vanguard_shared::roster::Imported {
        vanguard_shared::roster::Imported {
            dry_run: self.dry_run,
            members: self.members,
            organisations_created: self.organisations_created,
            organisations: self.organisations,
            added: self
                .added
                .into_iter()
                .map(|a| vanguard_shared::roster::ImportedMember {
                    username: a.username,
                    name: a.name,
                    branch: a.branch,
                    group: a.group,
                })
                .collect(),
            generated_passwords: self.generated_passwords,
        }
    }
}

/// One member an import adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub username: String,
    pub name: String,
    pub branch: String,
    pub group: Option<String>,
}

/// How an upload is imported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Check and answer what would happen; store nothing.
    pub dry_run: bool,
    /// Create the branches and groups the sheet names that do not exist;
    /// without it such a row is refused, naming it.
    pub create_organisations: bool,
}

/// What an importer may import: only rows of one branch, only some roles.
#[derive(Debug, Clone, Copy, Default)]
struct Limits<'a> {
    only_branch: Option<&'a str>,
    roles_given: Option<&'a [Role]>,
}

/// The branches and groups known under a committee, and those an import
/// makes, each once.
struct Places {
    known: HashMap<(String, String), Organisation>,
    created: Vec<Organisation>,
    at: i64,
}

impl Places {
    fn place(&mut self, parent: &Organisation, kind: OrgKind, name: &str) -> Organisation {
        let created = &mut self.created;
        let at = self.at;
        self.known
            .entry((parent.id.clone(), name.to_string()))
            .or_insert_with(|| {
                let org = Organisation {
                    id: new_id(),
                    parent_id: Some(parent.id.clone()),
                    kind,
                    name: name.to_string(),
                    time_zone: parent.time_zone.clone(),
                    created_at: at,
                };
                created.push(org.clone());
                org
            })
            .clone()
    }
}

/// The sheet of the file at `path`.
fn read_sheet(path: &Path) -> Result<SheetFile, ImportError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: shown.clone(),
        source,
    })?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    sheet_file::read(name, &bytes).map_err(|e| match e {
        SheetFileError::Format => ImportError::Format { path: shown },
        SheetFileError::Empty => ImportError::Empty { path: shown },
        other => ImportError::Parse {
            path: shown,
            message: other.to_string(),
        },
    })
}

/// The column positions, found by any of their names.
struct Columns {
    username: usize,
    name: usize,
    branch: usize,
    group: Option<usize>,
    status: Option<usize>,
    roles: Option<usize>,
    password: Option<usize>,
}

impl Columns {
    fn find(header: &[String], path: &str) -> Result<Self, ImportError> {
        let pos = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        };
        let required = |names: &[&str], column: &'static str| {
            pos(names).ok_or(ImportError::MissingColumn {
                path: path.into(),
                column,
            })
        };
        Ok(Columns {
            username: required(&["用户名", "username"], "用户名/username")?,
            name: required(&["姓名", "name"], "姓名/name")?,
            branch: required(&["支部", "党支部", "branch"], "支部/branch")?,
            group: pos(&["党小组", "小组", "group"]),
            status: pos(&["身份", "党员身份", "status"]),
            roles: pos(&["角色", "roles"]),
            password: pos(&["密码", "初始密码", "password"]),
        })
    }
}

struct Row {
    line: usize,
    username: Username,
    name: PersonName,
    branch: String,
    group: Option<String>,
    status: MemberStatus,
    roles: Vec<Role>,
    password: Option<Password>,
}

fn parse_row(cols: &Columns, line: usize, cells: &[String]) -> Result<Row, String> {
    let cell = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
    let opt = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty());
    let at = |field: &str, e: &dyn std::fmt::Display| format!("第 {line} 行 {field}：{e}");
    let branch = cell(cols.branch);
    if branch.is_empty() {
        return Err(at("支部", &"不能为空"));
    }
    Ok(Row {
        line,
        username: Username::parse(cell(cols.username)).map_err(|e| at("用户名", &e))?,
        name: PersonName::parse(cell(cols.name)).map_err(|e| at("姓名", &e))?,
        branch: branch.to_string(),
        group: opt(cols.group).map(str::to_string),
        status: opt(cols.status)
            .map(str::parse)
            .transpose()
            .map_err(|e| at("身份", &e))?
            .unwrap_or(MemberStatus::Full),
        roles: Role::parse_list(opt(cols.roles).unwrap_or("")).map_err(|e| at("角色", &e))?,
        password: opt(cols.password)
            .map(Password::parse)
            .transpose()
            .map_err(|e| at("密码", &e))?,
    })
}

fn pick_committee(
    orgs: &[Organisation],
    wanted: Option<&str>,
) -> Result<Organisation, ImportError> {
    let mut committees = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Committee && o.parent_id.is_none());
    match wanted {
        Some(name) => committees
            .find(|o| o.name == name)
            .cloned()
            .ok_or_else(|| ImportError::UnknownCommittee(name.to_string())),
        None => match (committees.next(), committees.next()) {
            (Some(c), None) => Ok(c.clone()),
            (None, _) => Err(ImportError::NoCommittee),
            (Some(_), Some(_)) => Err(ImportError::AmbiguousCommittee),
        },
    }
}

/// Imports every member of the file or none: all rows are checked first, and
/// the inserts run in one transaction.
pub async fn import_members(
    store: &Store,
    path: &Path,
    committee: Option<&str>,
) -> Result<ImportReport, ImportError> {
    let shown = path.display().to_string();
    let sheet = read_sheet(path)?;
    let orgs = store.accounts().organisations().await?;
    let committee = pick_committee(&orgs, committee)?;
    // The command line builds the tree from the sheet.
    let options = ImportOptions {
        dry_run: false,
        create_organisations: true,
    };
    import_sheet(
        store,
        sheet,
        &shown,
        &committee,
        Limits::default(),
        ("cli", "cli"),
        options,
    )
    .await
}

/// Imports the members of an uploaded sheet for `actor` (a console page):
/// a committee admin into their committee, a secretary into their own
/// branch only (a row naming another is refused).
pub async fn import_upload(
    store: &Store,
    actor: &Member,
    file_name: &str,
    bytes: &[u8],
    options: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let sheet = sheet_file::read_off_thread(file_name, bytes)
        .await
        .map_err(|e| ImportError::Parse {
            path: file_name.to_string(),
            message: e.to_string(),
        })?
        .from_header(&["用户名", "username"]);
    let own = store
        .accounts()
        .organisation(&actor.org_id)
        .await?
        .ok_or(AccountsError::Forbidden)?;
    let admin = crate::policy::imports_members(actor, &own).ok_or(AccountsError::Forbidden)?;
    let (committee, only) = if admin {
        (own, None)
    } else {
        let parent = match &own.parent_id {
            Some(p) => store.accounts().organisation(p).await?,
            None => None,
        }
        .ok_or(AccountsError::Forbidden)?;
        (parent, Some(own.name.clone()))
    };
    import_sheet(
        store,
        sheet,
        file_name,
        &committee,
        Limits {
            only_branch: only.as_deref(),
            // The roles the roster page gives, and no others.
            roles_given: Some(&crate::policy::assignable_roles(
                crate::policy::RosterCharge {
                    editable: true,
                    admin,
                },
            )),
        },
        (&actor.id, crate::door::edit_device()),
        options,
    )
    .await
}

/// The roles of a row that whoever imports may not give, by name.
fn beyond(roles: &[Role], given: Option<&[Role]>) -> Vec<&'static str> {
    match given {
        None => Vec::new(),
        Some(given) => roles
            .iter()
            .filter(|r| **r != Role::Member && !given.contains(r))
            .map(|r| r.label())
            .collect(),
    }
}

/// The rows of a sheet into `committee`; with `only_branch`, every row must
/// name that branch.
async fn import_sheet(
    store: &Store,
    sheet: SheetFile,
    shown: &str,
    committee: &Organisation,
    Limits {
        only_branch,
        roles_given,
    }: Limits<'_>,
    (actor, peer): (&str, &str),
    options: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let shown = shown.to_string();
    let cols = Columns::find(&sheet.header, &shown)?;
    let rows: Vec<_> = sheet
        .rows
        .iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(ImportError::Empty { path: shown });
    }

    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    let mut seen = HashMap::<String, usize>::new();
    for (line, cells) in rows {
        match parse_row(&cols, *line, cells) {
            Err(e) => errors.push(e),
            Ok(row) if only_branch.is_some_and(|b| b != row.branch) => errors.push(format!(
                "第 {} 行 支部：只能导入本支部（{}）的党员",
                row.line,
                only_branch.unwrap_or_default()
            )),
            Ok(row) if !beyond(&row.roles, roles_given).is_empty() => errors.push(format!(
                "第 {} 行 角色：无权在此授予{}",
                row.line,
                beyond(&row.roles, roles_given).join("、")
            )),
            Ok(row) => {
                let username = row.username.as_str().to_string();
                if let Some(first) = seen.insert(username.clone(), row.line) {
                    errors.push(format!(
                        "第 {} 行 用户名：{username} 与第 {first} 行重复",
                        row.line
                    ));
                } else if store.accounts().credentials(&username).await?.is_some() {
                    errors.push(format!("第 {} 行 用户名：{username} 已存在", row.line));
                }
                parsed.push(row);
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows {
            path: shown,
            rows: errors,
        });
    }

    let orgs = store.accounts().organisations_under(&committee.id).await?;
    let at = now_secs();
    let mut places = Places {
        known: orgs
            .iter()
            .filter_map(|o| {
                o.parent_id
                    .clone()
                    .map(|p| ((p, o.name.clone()), o.clone()))
            })
            .collect(),
        created: Vec::new(),
        at,
    };

    let mut report = ImportReport {
        dry_run: options.dry_run,
        ..ImportReport::default()
    };
    let mut unknown = Vec::new();
    let mut members = Vec::new();
    for row in parsed {
        let made = places.created.len();
        let branch = places.place(committee, OrgKind::Branch, &row.branch);
        let group = row
            .group
            .as_deref()
            .map(|g| places.place(&branch, OrgKind::Group, g));
        for org in &places.created[made..] {
            let what = match org.kind {
                OrgKind::Group => "党小组",
                _ => "支部",
            };
            let shown = match org.kind {
                OrgKind::Group => format!("{} / {}", branch.name, org.name),
                _ => org.name.clone(),
            };
            report.organisations.push(shown);
            if !options.create_organisations {
                unknown.push(format!("第 {} 行 {what}：“{}”不存在", row.line, org.name));
            }
        }
        report.added.push(Added {
            username: row.username.as_str().to_string(),
            name: row.name.as_str().to_string(),
            branch: branch.name.clone(),
            group: group.as_ref().map(|g| g.name.clone()),
        });
        if options.dry_run {
            continue;
        }
        let password = match row.password {
            Some(p) => p.expose().to_string(),
            None => {
                let p = crate::auth::password::generate();
                report
                    .generated_passwords
                    .push((row.username.as_str().to_string(), p.clone()));
                p
            }
        };
        let hash = password::hash(&password)
            .await
            .map_err(|e| AccountsError::from(AuthError::from(e)))?;
        members.push(NewMember {
            member: Member {
                id: new_id(),
                username: row.username.as_str().to_string(),
                name: row.name.as_str().to_string(),
                status: row.status,
                org_id: branch.id.clone(),
                group_id: group.map(|g| g.id),
                roles: row.roles,
                active: true,
            },
            password_hash: hash,
            created_at: at,
        });
    }
    if !unknown.is_empty() && !options.dry_run {
        unknown.push("如确需新建，请在导入时选择“新建组织”；如是笔误，请改正后重新导入".into());
        return Err(ImportError::Rows {
            path: shown,
            rows: unknown,
        });
    }
    let created = places.created;
    report.organisations_created = created.len();
    if options.dry_run {
        report.members = report.added.len();
        return Ok(report);
    }
    report.members = members.len();
    let line = crate::storage::AuditEvent {
        at,
        member_id: actor.into(),
        peer_id: peer.into(),
        action: "import",
        subject: shown.clone(),
        detail: Some(format!(
            "{} 名党员，新建 {} 个组织",
            report.members, report.organisations_created
        )),
    };
    match store
        .accounts()
        .insert_audited(&created, &members, Some(&line))
        .await
    {
        Err(StoreError::Conflict(message)) => Err(ImportError::Rows {
            path: shown.clone(),
            rows: vec![format!("与已有数据冲突：{message}")],
        }),
        other => other.map_err(ImportError::from),
    }?;
    Ok(report)
}
