//! A server for a bench, on a fresh database with the demo's accounts, and
//! a branch of the bench's own under the demo's committee: a secretary
//! (`bench-0000`) and `members` plain members (`bench-0001`, …).

use crate::pg::BoxError;
use vanguard_core::auth::{now_secs, password};
use vanguard_core::storage::{Member, NewMember, Organisation};
use vanguard_core::Services;
use vanguard_server::startup::{Application, Config};
use vanguard_shared::{MemberStatus, OrgKind, Role};

pub struct BenchBranch {
    pub app: Application,
    pub services: Services,
    pub branch: Organisation,
    /// The secretary first, then the members.
    pub people: Vec<Member>,
}

pub async fn start(url: &str, members: usize) -> Result<BenchBranch, BoxError> {
    let app = Application::build(Config {
        addr: "127.0.0.1:0".parse()?,
        database_url: url.to_string(),
        site_root: "target/site".into(),
        demo: true,
        demo_year: false,
        auth: Default::default(),
        // The benches measure one member with many thousands of records:
        // past the year's cap, which a real member never reaches.
        sync: vanguard_core::sync::SyncConfig {
            records_per_year: usize::MAX,
            ..Default::default()
        },
        heavy: vanguard_core::rate::HeavyRates::UNLIMITED,
        public_url: None,
    })
    .await?;
    let services = app.state().services.clone();
    let store = &services.store;
    let committee = store
        .accounts()
        .organisations()
        .await?
        .into_iter()
        .find(|o| o.kind == OrgKind::Committee)
        .ok_or("no committee in the demo data")?;
    let branch = Organisation {
        id: "bench-branch".into(),
        parent_id: Some(committee.id),
        kind: OrgKind::Branch,
        name: "测试支部".into(),
        time_zone: "Asia/Shanghai".into(),
        created_at: now_secs(),
    };
    let hash = password::hash("bench-password").await?;
    let person = |i: usize, roles: Vec<Role>| NewMember {
        member: Member {
            id: format!("bench-{i:04}"),
            username: format!("bench{i:04}"),
            name: format!("测试党员{i}"),
            status: MemberStatus::Full,
            org_id: branch.id.clone(),
            group_id: None,
            roles,
            active: true,
        },
        password_hash: hash.clone(),
        created_at: now_secs(),
    };
    let mut people = vec![person(0, vec![Role::Member, Role::Secretary])];
    people.extend((1..=members).map(|i| person(i, vec![Role::Member])));
    store
        .accounts()
        .insert_batch(std::slice::from_ref(&branch), &people)
        .await?;
    Ok(BenchBranch {
        app,
        services,
        branch,
        people: people.into_iter().map(|p| p.member).collect(),
    })
}
