//! `/console/members`: the roster, grouped by branch and group and
//! searchable by name or username. A committee admin or a branch secretary
//! adds a member, edits one (name, status, branch and group, roles, active),
//! and imports a sheet of members; every change is in the audit trail. Each
//! member links to their records and sheet.

use super::nav::ConsoleNav;
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use vanguard_shared::roster::{
    Imported, MemberInput, MemberSaved, Roster, RosterBranch, RosterMember,
};
use vanguard_shared::{Me, MemberStatus, Role};

#[server(prefix = "/sfn", endpoint = "roster", output = crate::codec::TextJson)]
pub async fn load_roster() -> Result<Roster, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(services.roster().list(&caller.member).await)
}

/// `member`: JSON of a `MemberInput`.
#[server(prefix = "/sfn", endpoint = "save_member", output = crate::codec::TextJson)]
pub async fn save_member(member: String) -> Result<MemberSaved, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    let input: MemberInput = serde_json::from_str(&member)
        .map_err(|_| UiError::new("invalid_input", "成员信息格式不对").with_status(422))?;
    answer(services.roster().save(&caller.member, &input).await)
}

/// `content`: the file, base64. With `dry_run`, answers what the import
/// would do and stores nothing; `create_organisations` lets it make the
/// branches and groups the sheet names that do not exist.
#[server(prefix = "/sfn", endpoint = "import_members", output = crate::codec::TextJson)]
pub async fn import_members(
    file_name: String,
    content: String,
    dry_run: bool,
    create_organisations: bool,
) -> Result<Imported, UiError> {
    use crate::server::{answer, signed_in};
    use base64::Engine;
    use vanguard_core::accounts::import::ImportOptions;
    let (services, caller) = signed_in()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content.as_bytes())
        .map_err(|_| UiError::new("invalid_input", "文件没有完整上传，请重试").with_status(422))?;
    let options = ImportOptions {
        dry_run,
        create_organisations,
    };
    let report = answer(
        services
            .roster()
            .import(&caller.member, &file_name, &bytes, options)
            .await,
    )?;
    Ok(report.answer())
}

#[component]
pub fn RosterPage() -> impl IntoView {
    view! {
        <Title text="成员管理 · 先锋台账" />
        <SignedIn page=|_me: Me| view! { <RosterView /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn RosterView() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let loaded = Resource::new(move || version.get(), |_| load_roster());
    // Kept across the reload that shows the change: a new member's
    // password must stay on the screen.
    let save = ServerAction::<SaveMember>::new();
    let import = ServerAction::<ImportMembers>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = import.value().get() {
            version.update(|v| *v += 1);
        }
    });
    let saved_note = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            saved_note.set(Some(match saved.password {
                Some(p) => format!(
                    "已添加 {}（{}），初始密码 {p}，请当面交给本人。",
                    saved.member.name, saved.member.username
                ),
                None => format!("已保存 {}。", saved.member.name),
            }));
            version.update(|v| *v += 1);
        }
    });
    view! {
        <ConsoleNav />
        <section class="card wide">
            <h1>"成员管理"</h1>
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    loaded
                        .get()
                        .map(|r| match r {
                            Ok(roster) => view! { <RosterBody roster save import saved_note /> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn RosterBody(
    roster: Roster,
    save: ServerAction<SaveMember>,
    import: ServerAction<ImportMembers>,
    saved_note: RwSignal<Option<String>>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let editing = RwSignal::new(None::<String>);
    let total: usize = roster.branches.iter().map(|b| b.members.len()).sum();
    let branches = StoredValue::new(roster.branches.clone());
    let assignable = roster.assignable.clone();
    let editable = roster.editable;
    let first_branch = roster.branches.first().map(|b| b.branch_id.clone());
    view! {
        <p class="muted">
            {format!("共 {} 个支部、{total} 名成员。", roster.branches.len())}
            " 重置密码请到 " <A href="/members">"密码重置"</A> "。"
        </p>
        {move || saved_note.get().map(|n| view! { <p class="ok" role="status">{n}</p> })}
        {move || {
            save.value()
                .get()
                .and_then(Result::err)
                .map(|e| view! { <p class="error" role="alert">{e.message}</p> })
        }}
        <div class="filters">
            <label>
                "查找 "
                <input
                    type="search"
                    placeholder="姓名或用户名"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
            </label>
        </div>
        {editable
            .then(|| {
                let assignable = assignable.clone();
                let first = first_branch.clone();
                view! {
                    <details class="import">
                        <summary>"添加成员"</summary>
                        <MemberForm
                            member=None
                            branch_id=first.unwrap_or_default()
                            branches
                            assignable
                            save
                        />
                    </details>
                    <MemberImport import />
                }
            })}
        {roster
            .branches
            .into_iter()
            .map(|b| {
                view! {
                    <BranchBlock b search editing branches assignable=assignable.clone() editable save />
                }
            })
            .collect_view()}
    }
}

#[component]
fn BranchBlock(
    b: RosterBranch,
    search: RwSignal<String>,
    editing: RwSignal<Option<String>>,
    branches: StoredValue<Vec<RosterBranch>>,
    assignable: Vec<Role>,
    editable: bool,
    save: ServerAction<SaveMember>,
) -> impl IntoView {
    let group_name = {
        let groups = b.groups.clone();
        move |id: &Option<String>| {
            id.as_ref()
                .and_then(|g| groups.iter().find(|(gid, _)| gid == g))
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| "未分组".to_string())
        }
    };
    // Grouped by 党小组, then by name.
    let mut members = b.members.clone();
    members.sort_by(|x, y| {
        (group_name(&x.group_id), &x.name).cmp(&(group_name(&y.group_id), &y.name))
    });
    view! {
        <h2 class="roster-branch">{format!("{}（{} 人）", b.name, b.members.len())}</h2>
        <div class="table-scroll">
            <table class="members roster">
                <thead>
                    <tr>
                        <th>"姓名"</th>
                        <th>"用户名"</th>
                        <th>"党小组"</th>
                        <th>"身份"</th>
                        <th>"角色"</th>
                        <th>"查看"</th>
                        {editable.then(|| view! { <th>"编辑"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {members
                        .into_iter()
                        .map(|m| {
                            let id = m.member_id.clone();
                            let haystack = format!("{} {}", m.name, m.username);
                            let shown = move || search.with(|s| s.trim().is_empty() || haystack.contains(s.trim()));
                            let open = {
                                let id = id.clone();
                                move || editing.with(|e| e.as_deref() == Some(id.as_str()))
                            };
                            let roles = m
                                .roles
                                .iter()
                                .filter(|r| **r != Role::Member)
                                .map(|r| r.label())
                                .collect::<Vec<_>>()
                                .join("、");
                            let m2 = m.clone();
                            let assignable = assignable.clone();
                            let open_id = id.clone();
                            view! {
                                <tr class:inactive=!m.active prop:hidden=move || !shown()>
                                    <td>
                                        <strong>{m.name.clone()}</strong>
                                        {(!m.active).then(|| view! { <span class="badge">"已停用"</span> })}
                                    </td>
                                    <td>{m.username.clone()}</td>
                                    <td>{group_name(&m.group_id)}</td>
                                    <td>{status_label(m.status)}</td>
                                    <td>{roles}</td>
                                    <td class="links">
                                        <A href=format!("/console/members/{id}/ledger")>"积分清单"</A>
                                    </td>
                                    {editable
                                        .then(|| {
                                            view! {
                                                <td>
                                                    <button type="button" on:click=move |_| editing.set(Some(open_id.clone()))>
                                                        "编辑"
                                                    </button>
                                                </td>
                                            }
                                        })}
                                </tr>
                                <Show when=open.clone()>
                                    <tr class="edit-row">
                                        <td colspan="7">
                                            <MemberForm
                                                member=Some(m2.clone())
                                                branch_id=m2.branch_id.clone()
                                                branches
                                                assignable=assignable.clone()
                                                save
                                            />
                                            <button type="button" on:click=move |_| editing.set(None)>"取消"</button>
                                        </td>
                                    </tr>
                                </Show>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn status_label(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Full => "正式党员",
        MemberStatus::Probationary => "预备党员",
    }
}

/// Adds a member (`member` `None`) or edits one.
#[component]
fn MemberForm(
    member: Option<RosterMember>,
    branch_id: String,
    branches: StoredValue<Vec<RosterBranch>>,
    assignable: Vec<Role>,
    save: ServerAction<SaveMember>,
) -> impl IntoView {
    let is_new = member.is_none();
    let m = member.clone();
    let username = RwSignal::new(m.as_ref().map(|m| m.username.clone()).unwrap_or_default());
    let name = RwSignal::new(m.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    let probationary = RwSignal::new(
        m.as_ref()
            .is_some_and(|m| m.status == MemberStatus::Probationary),
    );
    let branch = RwSignal::new(branch_id);
    let group = RwSignal::new(
        m.as_ref()
            .and_then(|m| m.group_id.clone())
            .unwrap_or_default(),
    );
    let active = RwSignal::new(m.as_ref().is_none_or(|m| m.active));
    let password = RwSignal::new(String::new());
    let existing_roles = m.as_ref().map(|m| m.roles.clone()).unwrap_or_default();
    let roles: Vec<(Role, RwSignal<bool>)> = assignable
        .iter()
        .map(|r| (*r, RwSignal::new(existing_roles.contains(r))))
        .collect();
    let fixed: Vec<Role> = existing_roles
        .iter()
        .filter(|r| **r != Role::Member && !assignable.contains(r))
        .copied()
        .collect();
    let groups = move || {
        let b = branch.get();
        branches.with_value(|all| {
            all.iter()
                .find(|x| x.branch_id == b)
                .map(|x| x.groups.clone())
                .unwrap_or_default()
        })
    };
    let member_id = m.as_ref().map(|m| m.member_id.clone());
    let roles_for_submit = roles.clone();
    let fixed_for_submit = fixed.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut chosen: Vec<Role> = roles_for_submit
            .iter()
            .filter(|(_, on)| on.get_untracked())
            .map(|(r, _)| *r)
            .collect();
        chosen.extend(fixed_for_submit.iter().copied());
        let input = MemberInput {
            member_id: member_id.clone(),
            username: username.get_untracked(),
            name: name.get_untracked(),
            status: if probationary.get_untracked() {
                MemberStatus::Probationary
            } else {
                MemberStatus::Full
            },
            branch_id: branch.get_untracked(),
            group_id: Some(group.get_untracked()).filter(|g| !g.is_empty()),
            roles: chosen,
            active: active.get_untracked(),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
        };
        save.dispatch(SaveMember {
            member: serde_json::to_string(&input).unwrap_or_default(),
        });
    };
    view! {
        <form class="member-form" on:submit=on_submit>
            <label>
                "用户名"
                <input
                    type="text"
                    required
                    disabled=!is_new
                    prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev))
                />
            </label>
            <label>
                "姓名"
                <input
                    type="text"
                    required
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            <label>
                "支部"
                <select
                    prop:value=move || branch.get()
                    on:change=move |ev| {
                        branch.set(event_target_value(&ev));
                        group.set(String::new());
                    }
                >
                    {branches
                        .get_value()
                        .into_iter()
                        .map(|b| view! { <option value=b.branch_id.clone()>{b.name.clone()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "党小组"
                <select prop:value=move || group.get() on:change=move |ev| group.set(event_target_value(&ev))>
                    <option value="">"未分组"</option>
                    {move || {
                        groups()
                            .into_iter()
                            .map(|(id, n)| view! { <option value=id>{n}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <label class="inline">
                <input
                    type="checkbox"
                    prop:checked=move || probationary.get()
                    on:change=move |ev| probationary.set(event_target_checked(&ev))
                />
                " 预备党员"
            </label>
            <fieldset class="roles">
                <legend>"角色"</legend>
                {roles
                    .iter()
                    .map(|(r, on)| {
                        let on = *on;
                        view! {
                            <label class="inline">
                                <input
                                    type="checkbox"
                                    prop:checked=move || on.get()
                                    on:change=move |ev| on.set(event_target_checked(&ev))
                                />
                                {format!(" {}", r.label())}
                            </label>
                        }
                    })
                    .collect_view()}
                {fixed
                    .iter()
                    .map(|r| view! { <span class="muted small">{format!("{}（由上级任免）", r.label())}</span> })
                    .collect_view()}
            </fieldset>
            {(!is_new)
                .then(|| {
                    view! {
                        <label class="inline">
                            <input
                                type="checkbox"
                                prop:checked=move || !active.get()
                                on:change=move |ev| active.set(!event_target_checked(&ev))
                            />
                            " 停用（不再出现在名单和台账中，记录保留）"
                        </label>
                    }
                })}
            {is_new
                .then(|| {
                    view! {
                        <label>
                            "初始密码（可不填，将自动生成）"
                            <input
                                type="text"
                                autocomplete="new-password"
                                prop:value=move || password.get()
                                on:input=move |ev| password.set(event_target_value(&ev))
                            />
                        </label>
                    }
                })}
            <button type="submit" class="primary" disabled=move || save.pending().get()>
                {if is_new { "添加" } else { "保存" }}
            </button>
        </form>
    }
}

/// The sheet import: the same checks as the command line, all or nothing.
/// A chosen file is previewed first (who would be added, which
/// organisations made); the import itself is a second, confirmed step, and
/// the passwords it makes come as slips to print and a CSV to download.
#[component]
fn MemberImport(import: ServerAction<ImportMembers>) -> impl IntoView {
    let chosen = RwSignal::new(None::<(String, String)>);
    let create = RwSignal::new(false);
    let preview = ServerAction::<ImportMembers>::new();
    let on_file = move |ev: leptos::ev::Event| {
        super::upload::read_chosen(ev, move |file_name, content| {
            chosen.set(Some((file_name.clone(), content.clone())));
            create.set(false);
            preview.dispatch(ImportMembers {
                file_name,
                content,
                dry_run: true,
                create_organisations: false,
            });
        });
    };
    let confirm = move |_| {
        if let Some((file_name, content)) = chosen.get_untracked() {
            import.dispatch(ImportMembers {
                file_name,
                content,
                dry_run: false,
                create_organisations: create.get_untracked(),
            });
        }
    };
    let previewed = move || {
        let plan = preview.value().get()?;
        Some(match plan {
            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            Ok(plan) => {
                let new_orgs = plan.organisations.clone();
                let needs_consent = !new_orgs.is_empty();
                let shown: Vec<_> = plan.added.iter().take(20).cloned().collect();
                let more = plan.added.len().saturating_sub(shown.len());
                view! {
                    <section class="import-preview" aria-label="导入预览">
                        <p role="status">{format!("预览：将导入 {} 名党员（尚未导入）。", plan.members)}</p>
                        <ul class="small">
                            {shown
                                .into_iter()
                                .map(|a| {
                                    let place = match &a.group {
                                        Some(g) => format!("{} / {g}", a.branch),
                                        None => a.branch.clone(),
                                    };
                                    view! { <li>{format!("{}（{}）· {place}", a.name, a.username)}</li> }
                                })
                                .collect_view()}
                            {(more > 0).then(|| view! { <li>{format!("……另有 {more} 名")}</li> })}
                        </ul>
                        {needs_consent
                            .then(|| {
                                view! {
                                    <div class="warn" role="alert">
                                        <p>"以下组织在本系统中不存在："</p>
                                        <ul>{new_orgs.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}</ul>
                                        <p class="small">"如是笔误，请改正文件后重新选择；确需新建，请勾选下面一项。"</p>
                                        <label class="block">
                                            <input
                                                type="checkbox"
                                                prop:checked=move || create.get()
                                                on:change=move |ev| create.set(event_target_checked(&ev))
                                            />
                                            {format!(" 新建以上 {} 个组织", new_orgs.len())}
                                        </label>
                                    </div>
                                }
                            })}
                        <button
                            type="button"
                            class="primary"
                            disabled=move || (needs_consent && !create.get()) || import.pending().get()
                            on:click=confirm
                        >
                            "确认导入"
                        </button>
                    </section>
                }
                    .into_any()
            }
        })
    };
    let done = move || {
        let result = import.value().get()?;
        Some(match result {
            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            Ok(done) => view! { <ImportDone done /> }.into_any(),
        })
    };
    view! {
        <details
            class="import"
            open=import.value().with_untracked(Option::is_some)
                || preview.value().with_untracked(Option::is_some)
        >
            <summary>"从 Excel 或 CSV 导入成员"</summary>
            <p class="muted small">
                "第一行为表头：用户名、姓名、支部（必填），党小组、身份（正式/预备）、角色、密码（可选）。选择文件后先预览，确认后才导入；任何一行有误则整份不导入，并逐行列出错误；没有密码的行将生成初始密码，可打印密码条或下载 CSV。"
            </p>
            <label class="block">
                "选择文件（.xlsx 或 .csv）" <input type="file" accept=".xlsx,.csv" on:change=on_file />
            </label>
            {move || if import.value().with(Option::is_some) && chosen.with(Option::is_none) {
                None
            } else {
                previewed()
            }}
            {done}
        </details>
    }
}

/// What an import did, with the passwords it made: one slip per member to
/// print (A4, one to a page) and the same as a CSV.
#[component]
fn ImportDone(done: Imported) -> impl IntoView {
    use base64::Engine;
    let csv = base64::engine::general_purpose::STANDARD.encode(done.passwords_csv());
    let names: std::collections::HashMap<String, String> = done
        .added
        .iter()
        .map(|a| (a.username.clone(), a.name.clone()))
        .collect();
    let slips = done.generated_passwords.clone();
    view! {
        <p class="ok" role="status">
            {format!("已导入 {} 名党员，新建 {} 个组织。", done.members, done.organisations_created)}
        </p>
        {(!slips.is_empty())
            .then(|| {
                view! {
                    <p class="notice">
                        {format!("{} 名党员的初始密码只在此显示一次：请打印密码条当面交给本人，或下载 CSV 妥善保管。首次登录须修改密码。", slips.len())}
                    </p>
                    <div class="toolbar">
                        <button type="button" on:click=move |_| print_page()>"打印密码条"</button>
                        <a class="button secondary" download="初始密码.csv" href=format!("data:text/csv;base64,{csv}")>
                            "下载 CSV"
                        </a>
                    </div>
                    <section class="password-slips" aria-label="初始密码">
                        {slips
                            .into_iter()
                            .map(|(username, password)| {
                                let name = names.get(&username).cloned().unwrap_or_default();
                                view! {
                                    <div class="slip">
                                        <h3>"先锋台账 · 初始密码"</h3>
                                        <p>{format!("姓名：{name}")}</p>
                                        <p>{format!("用户名：{username}")}</p>
                                        <p>"初始密码：" <code>{password}</code></p>
                                        <p class="small">"首次登录后须修改为自己的密码。请妥善保管，勿转交他人。"</p>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </section>
                }
            })}
    }
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}
