//! Fixtures: a branch of one's own in the demo's committee, with a
//! secretary, an org officer and N members, for tests that should not
//! depend on the demo seed's people.

use crate::helpers::TestApp;
use vanguard_core::auth::{now_secs, password};
use vanguard_core::storage::{Member, NewMember, Organisation};
use vanguard_shared::{MemberStatus, OrgKind, Role};

pub const PASSWORD: &str = "fixture-password";

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub username: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub id: String,
    pub name: String,
    pub secretary: Person,
    pub officer: Person,
    pub members: Vec<Person>,
    /// With `create_with_group`: the branch's one group, which holds every
    /// plain member and its leader.
    pub group: Option<Group>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub leader: Person,
}

impl Branch {
    /// A new branch under the demo's committee with `members` plain members.
    pub async fn create(app: &TestApp, members: usize) -> Branch {
        Branch::shaped(app, members, false).await
    }

    /// The same, with one group (党小组) of every plain member and a group
    /// leader, who is a member of the group too.
    pub async fn create_with_group(app: &TestApp, members: usize) -> Branch {
        Branch::shaped(app, members, true).await
    }

    async fn shaped(app: &TestApp, members: usize, with_group: bool) -> Branch {
        let store = &app.state.services.store;
        let committee = store
            .accounts()
            .organisations()
            .await
            .expect("organisations")
            .into_iter()
            .find(|o| o.kind == OrgKind::Committee)
            .expect("the demo's committee");
        let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let at = now_secs();
        let branch = Organisation {
            id: format!("branch-{tag}"),
            parent_id: Some(committee.id),
            kind: OrgKind::Branch,
            name: format!("测试支部{tag}"),
            time_zone: "Asia/Shanghai".into(),
            created_at: at,
        };
        let hash = password::hash(PASSWORD).await.expect("hash");
        let person = |role: &str, n: usize| Person {
            id: format!("{role}-{tag}-{n}"),
            username: format!("{role}{n}-{tag}"),
            name: format!("{role}{n}"),
        };
        let secretary = person("sec", 1);
        let officer = person("off", 1);
        let plain: Vec<Person> = (1..=members).map(|n| person("mem", n)).collect();
        let group = with_group.then(|| Organisation {
            id: format!("group-{tag}"),
            parent_id: Some(branch.id.clone()),
            kind: OrgKind::Group,
            name: format!("第一党小组{tag}"),
            time_zone: "Asia/Shanghai".into(),
            created_at: at,
        });
        let group_id = group.as_ref().map(|g| g.id.clone());
        let leader = person("lead", 1);
        let new = |p: &Person, roles: Vec<Role>, group_id: Option<String>| NewMember {
            member: Member {
                id: p.id.clone(),
                username: p.username.clone(),
                name: p.name.clone(),
                status: MemberStatus::Full,
                org_id: branch.id.clone(),
                group_id,
                roles,
                active: true,
            },
            password_hash: hash.clone(),
            created_at: at,
        };
        let mut rows = vec![
            new(&secretary, vec![Role::Member, Role::Secretary], None),
            new(&officer, vec![Role::Member, Role::OrgOfficer], None),
        ];
        rows.extend(
            plain
                .iter()
                .map(|p| new(p, vec![Role::Member], group_id.clone())),
        );
        if with_group {
            rows.push(new(
                &leader,
                vec![Role::Member, Role::GroupLeader],
                group_id.clone(),
            ));
        }
        let mut orgs = vec![branch.clone()];
        orgs.extend(group.clone());
        store
            .accounts()
            .insert_batch(&orgs, &rows)
            .await
            .expect("fixture branch");
        Branch {
            id: branch.id,
            name: branch.name,
            secretary,
            officer,
            members: plain,
            group: group.map(|g| Group { id: g.id, leader }),
        }
    }
}
