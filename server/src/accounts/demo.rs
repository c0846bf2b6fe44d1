//! The demo organisation `make run` starts with: one committee, two branches
//! of two groups each, twenty members, two secretaries, two officers and an
//! admin. Every password is [`DEMO_PASSWORD`].

use super::new_id;
use crate::auth::{now_secs, password};
use crate::storage::{Member, NewMember, Organisation, SharedStore};
use vanguard_shared::{MemberStatus, OrgKind, Role, TimeZone};

pub const DEMO_PASSWORD: &str = "demo-password";

const NAMES: [&str; 20] = [
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄丽",
    "周明",
    "吴敏",
    "徐强",
    "孙婷",
    "胡军",
    "朱琳",
    "高峰",
    "林芳",
    "何涛",
    "郭燕",
    "马超",
    "罗佳",
];

fn org(parent: Option<&Organisation>, kind: OrgKind, name: &str, at: i64) -> Organisation {
    Organisation {
        id: new_id(),
        parent_id: parent.map(|p| p.id.clone()),
        kind,
        name: name.to_string(),
        time_zone: TimeZone::DEFAULT.to_string(),
        created_at: at,
    }
}

/// Seeds the demo organisation if the database is empty; answers whether it did.
pub async fn seed_if_empty(store: &SharedStore) -> Result<bool, super::AccountsError> {
    if !store.is_empty().await? {
        return Ok(false);
    }
    let at = now_secs();
    let committee = org(None, OrgKind::Committee, "机关党委", at);
    let mut orgs = vec![committee.clone()];
    let mut members = Vec::new();
    // One hash for every demo account: they share the password anyway, and
    // twenty-five Argon2 runs would slow every first start.
    let hash = password::hash(DEMO_PASSWORD)
        .await
        .map_err(crate::auth::AuthError::from)?;
    let mut add = |username: String,
                   name: &str,
                   home: &Organisation,
                   group: Option<&Organisation>,
                   status,
                   roles: &[Role]| {
        let mut roles = roles.to_vec();
        roles.push(Role::Member);
        roles.sort();
        roles.dedup();
        members.push(NewMember {
            member: Member {
                id: new_id(),
                username,
                name: name.to_string(),
                status,
                org_id: home.id.clone(),
                group_id: group.map(|g| g.id.clone()),
                roles,
                active: true,
            },
            password_hash: hash.clone(),
            created_at: at,
        });
    };

    for (b, branch_name) in ["第一党支部", "第二党支部"].into_iter().enumerate() {
        let branch = org(Some(&committee), OrgKind::Branch, branch_name, at);
        let groups = [
            org(Some(&branch), OrgKind::Group, "第一党小组", at),
            org(Some(&branch), OrgKind::Group, "第二党小组", at),
        ];
        for i in 0..10 {
            let n = b * 10 + i + 1;
            let group = &groups[i / 5];
            // The first of each group leads it; one in each branch is probationary.
            let roles: &[Role] = if i % 5 == 0 {
                &[Role::GroupLeader]
            } else {
                &[]
            };
            let status = if i == 9 {
                MemberStatus::Probationary
            } else {
                MemberStatus::Full
            };
            add(
                format!("member{n:02}"),
                NAMES[n - 1],
                &branch,
                Some(group),
                status,
                roles,
            );
        }
        let (secretary, officer) = if b == 0 {
            ("赵书记", "钱委员")
        } else {
            ("孙书记", "李委员")
        };
        add(
            format!("secretary{:02}", b + 1),
            secretary,
            &branch,
            Some(&groups[0]),
            MemberStatus::Full,
            &[Role::Secretary],
        );
        add(
            format!("officer{:02}", b + 1),
            officer,
            &branch,
            Some(&groups[1]),
            MemberStatus::Full,
            &[Role::OrgOfficer],
        );
        orgs.push(branch);
        orgs.extend(groups);
    }
    add(
        "admin".to_string(),
        "周管理",
        &committee,
        None,
        MemberStatus::Full,
        &[Role::CommitteeAdmin],
    );
    store.insert_batch(&orgs, &members).await?;
    Ok(true)
}
