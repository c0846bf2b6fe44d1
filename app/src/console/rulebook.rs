//! `/console/rulebook`: the points rulebook in force for the caller's
//! organisation, as a readable table (not TOML), its published versions,
//! and for a secretary (their branch) or a committee admin (their
//! committee): upload a new version as TOML, see what it would change for
//! every member, then publish it.

use super::nav::ConsoleNav;
use crate::components::frame::Bundle;
use crate::components::signed_in::SignedIn;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_meta::Title;
use vanguard_shared::ledger::rulebook::Pricing;
use vanguard_shared::ledger::{Preview, Published, Rulebook, RulebookOverview};
use vanguard_shared::Me;

#[server(prefix = "/sfn", endpoint = "rulebook_overview", output = crate::codec::TextJson)]
pub async fn load_rulebook() -> Result<RulebookOverview, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .rulebooks()
            .overview(&caller.member, &caller.member.org_id, None)
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "preview_rulebook", output = crate::codec::TextJson)]
pub async fn preview_rulebook(toml: String) -> Result<Preview, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .rulebooks()
            .preview(&caller.member, &caller.member.org_id, &toml)
            .await,
    )
}

#[server(prefix = "/sfn", endpoint = "publish_rulebook", output = crate::codec::TextJson)]
pub async fn publish_rulebook(toml: String) -> Result<Published, UiError> {
    use crate::server::{answer, signed_in};
    let (services, caller) = signed_in()?;
    answer(
        services
            .rulebooks()
            .publish(
                &caller.member,
                &caller.member.org_id,
                &toml,
                vanguard_core::door::WEB,
            )
            .await,
    )
}

#[component]
pub fn RulebookPage() -> impl IntoView {
    view! {
        <Title text="积分细则 · 先锋台账" />
        <SignedIn page=|_me: Me| view! { <RulebookView /> }.into_any() bundle=Bundle::Console />
    }
}

#[component]
fn RulebookView() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_rulebook());
    view! {
        <ConsoleNav />
        <section class="card wide">
            <Suspense fallback=|| view! { <p class="loading">"正在加载…"</p> }>
                {move || {
                    overview
                        .get()
                        .map(|result| match result {
                            Err(e) => view! {
                                <h1>"积分细则"</h1>
                                <p class="error" role="alert">{e.message}</p>
                            }
                                .into_any(),
                            Ok(o) => view! { <Overview o /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

fn pricing_text(pricing: &Pricing) -> String {
    match pricing {
        Pricing::Flat(p) => format!("每次 {p}"),
        Pricing::PerHour(p) => format!("每小时 {p}"),
        Pricing::ByOutcome(by) => by
            .iter()
            .map(|(outcome, p)| format!("{} {p}", outcome.label()))
            .collect::<Vec<_>>()
            .join("，"),
    }
}

#[component]
fn Overview(o: RulebookOverview) -> impl IntoView {
    let download = format!("/api/orgs/{}/rulebook.toml?year={}", o.org_id, o.year);
    let whose = if o.owner_id == o.org_id && !o.shipped {
        "本组织发布".to_string()
    } else if o.shipped {
        "尚无本组织的细则，使用系统默认细则".to_string()
    } else {
        "沿用上级党组织的细则".to_string()
    };
    view! {
        <h1>"积分细则"</h1>
        <p class="muted">{format!("{} · {} 年 · {whose}", o.org_name, o.year)}</p>
        <p>
            <strong>{format!("现行：{}", o.label)}</strong>
            " "
            <a href=download download="">"下载 TOML（修改后上传为新版本）"</a>
        </p>
        <RulebookTables book=o.rulebook.clone() />
        {(!o.versions.is_empty())
            .then(|| {
                view! {
                    <h2>"本组织发布的版本"</h2>
                    <ul class="versions">
                        {o
                            .versions
                            .iter()
                            .map(|v| {
                                let when = chrono::DateTime::from_timestamp(v.published_at, 0)
                                    .map(|t| {
                                        t.with_timezone(&chrono_tz::Asia::Shanghai)
                                            .format("%Y-%m-%d %H:%M")
                                            .to_string()
                                    })
                                    .unwrap_or_default();
                                let who = v.published_by_name.clone().unwrap_or_else(|| v.published_by.clone());
                                view! { <li>{format!("第 {} 版 · {who} · {when}", v.version)}</li> }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
        {o.may_publish.then(|| view! { <Publish /> })}
    }
}

#[component]
fn RulebookTables(book: Rulebook) -> impl IntoView {
    view! {
        <h2>"计分规则"</h2>
        <div class="table-scroll">
            <table class="rules-table">
                <thead>
                    <tr>
                        <th>"规则"</th>
                        <th>"记录类型"</th>
                        <th>"分值"</th>
                        <th>"上限"</th>
                        <th>"栏目"</th>
                        <th>"方面"</th>
                    </tr>
                </thead>
                <tbody>
                    {book
                        .rules
                        .iter()
                        .map(|r| {
                            let caps = r
                                .caps
                                .iter()
                                .map(|c| format!("{} {}", c.period.label(), c.max))
                                .collect::<Vec<_>>()
                                .join("，");
                            view! {
                                <tr>
                                    <th scope="row">{r.name.clone()}</th>
                                    <td>{r.kind.label()}</td>
                                    <td>{pricing_text(&r.pricing)}</td>
                                    <td>{caps}</td>
                                    <td>{r.section.label()}</td>
                                    <td>{r.side.label()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {(!book.section_caps.is_empty())
            .then(|| {
                view! {
                    <h2>"栏目上限"</h2>
                    <ul>
                        {book
                            .section_caps
                            .iter()
                            .map(|c| view! { <li>{format!("{}：{}最多 {}", c.section.label(), c.period.label(), c.max)}</li> })
                            .collect_view()}
                    </ul>
                }
            })}
        <h2>"等次与双好标准"</h2>
        <table class="rules-table">
            <tbody>
                <tr>
                    <th scope="row">"基础分 / 最低分"</th>
                    <td>{format!("{} / {}", book.base, book.floor)}</td>
                </tr>
                <tr>
                    <th scope="row">"优秀"</th>
                    <td>{format!("总分 ≥ {}", book.bands.excellent)}</td>
                </tr>
                <tr>
                    <th scope="row">"合格"</th>
                    <td>{format!("总分 ≥ {}", book.bands.qualified)}</td>
                </tr>
                <tr>
                    <th scope="row">"基本合格"</th>
                    <td>{format!("总分 ≥ {}，更低为不合格", book.bands.basic)}</td>
                </tr>
                <tr>
                    <th scope="row">"党建"</th>
                    <td>{format!("优秀须 ≥ {}，低于 {} 为不达标", book.party.excellent, book.party.pass)}</td>
                </tr>
                <tr>
                    <th scope="row">"业务"</th>
                    <td>{format!("优秀须 ≥ {}，低于 {} 为不达标", book.job.excellent, book.job.pass)}</td>
                </tr>
                <tr>
                    <th scope="row">"一方不达标"</th>
                    <td>{format!("最高评为{}（党务业务双否决）", book.side_fail_cap.label())}</td>
                </tr>
                <tr>
                    <th scope="row">"优秀比例"</th>
                    <td>{format!("不超过 {}/{}", book.excellent_quota.0, book.excellent_quota.1)}</td>
                </tr>
                <tr>
                    <th scope="row">"排名"</th>
                    <td>{if book.ranking { "显示排名" } else { "不排名" }}</td>
                </tr>
            </tbody>
        </table>
        {(!book.vetoes.is_empty())
            .then(|| {
                view! {
                    <h2>"一票否决"</h2>
                    <ul>
                        {book
                            .vetoes
                            .iter()
                            .map(|v| {
                                let effect = match v.effect {
                                    vanguard_shared::ledger::rulebook::VetoEffect::NotExcellent => "不能评为优秀",
                                    vanguard_shared::ledger::rulebook::VetoEffect::Unqualified => "评为不合格",
                                };
                                view! { <li>{format!("{}：{effect}", v.name)}</li> }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
    }
}

/// Reads the chosen file's text into the upload field.
#[cfg(feature = "hydrate")]
fn read_file(input: &web_sys::HtmlInputElement, into: RwSignal<String>) {
    use wasm_bindgen::JsCast;
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    leptos::task::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        if let Ok(text) = text {
            if let Some(text) = text.dyn_ref::<js_sys::JsString>() {
                into.set(String::from(text));
            }
        }
    });
}

#[component]
fn Publish() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let preview = ServerAction::<PreviewRulebook>::new();
    let publish = ServerAction::<PublishRulebook>::new();
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                read_file(&input, text);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    // A changed upload needs a fresh preview before it can be published.
    Effect::new(move |_| {
        text.track();
        preview.clear();
        publish.clear();
    });
    let previewed = move || preview.value().get().and_then(Result::ok);
    view! {
        <h2>"发布新版本"</h2>
        <p class="muted">
            "下载现行细则，修改后在此上传。上传后先预览每名党员在新旧细则下的总分和等次，确认后再发布。"
        </p>
        <label class="block">
            "选择 TOML 文件"
            <input type="file" accept=".toml,text/plain" on:change=on_file />
        </label>
        <label class="block">
            "或粘贴细则内容"
            <textarea
                rows="8"
                class="toml"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
        </label>
        <button
            type="button"
            disabled=move || preview.pending().get() || text.with(|t| t.trim().is_empty())
            on:click=move |_| {
                preview.dispatch(PreviewRulebook { toml: text.get_untracked() });
            }
        >
            "预览"
        </button>
        {move || {
            preview
                .value()
                .get()
                .and_then(Result::err)
                .map(|e| view! { <p class="error" role="alert">{e.message}</p> })
        }}
        {move || previewed().map(|p| view! { <PreviewTable p /> })}
        {move || {
            previewed()
                .map(|p| {
                    let version = p.version;
                    view! {
                        <button
                            type="button"
                            class="primary"
                            disabled=move || publish.pending().get() || publish.value().with(|v| matches!(v, Some(Ok(_))))
                            on:click=move |_| {
                                publish.dispatch(PublishRulebook { toml: text.get_untracked() });
                            }
                        >
                            {format!("发布为第 {version} 版")}
                        </button>
                    }
                })
        }}
        {move || {
            publish
                .value()
                .get()
                .map(|r| match r {
                    Ok(done) => view! {
                        <p class="ok" role="status">
                            {format!("已发布：{}。本年度台账即按此计分，党员手机下次同步后生效。", done.label)}
                        </p>
                    }
                        .into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                })
        }}
    }
}

#[component]
fn PreviewTable(p: Preview) -> impl IntoView {
    view! {
        <p role="status">
            {format!(
                "与现行（{}）相比：{} 人总分或等次改变，其中 {} 人等次改变；共 {} 人。",
                p.current,
                p.changed,
                p.grade_changes,
                p.rows.len(),
            )}
        </p>
        <div class="table-scroll">
            <table class="preview-table">
                <thead>
                    <tr>
                        <th>"姓名"</th>
                        <th>"支部"</th>
                        <th>"现行总分"</th>
                        <th>"现行等次"</th>
                        <th>"新总分"</th>
                        <th>"新等次"</th>
                    </tr>
                </thead>
                <tbody>
                    {p
                        .rows
                        .iter()
                        .map(|r| {
                            view! {
                                <tr class=if r.changed() { "changed" } else { "" }>
                                    <th scope="row">{r.name.clone()}</th>
                                    <td>{r.branch_name.clone()}</td>
                                    <td class="num">{r.current_total.to_string()}</td>
                                    <td>{r.current_grade.label()}</td>
                                    <td class="num">{r.new_total.to_string()}</td>
                                    <td>{r.new_grade.label()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
