//! Who is calling: passwords, sessions and the login throttle.

pub mod password;
pub mod throttle;
pub mod token;

use crate::storage::{Member, SessionRow, Store, StoreError};
use password::HashError;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use throttle::Throttle;
use vanguard_shared::{AccountError, Password};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("用户名或密码错误")]
    InvalidCredentials,
    #[error("尝试次数过多，请 {} 秒后再试", retry_after.as_secs())]
    Throttled { retry_after: Duration },
    #[error("请先登录")]
    Unauthenticated,
    #[error("当前密码不正确")]
    WrongCurrentPassword,
    #[error("{0}")]
    BadInput(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub session_ttl: Duration,
    pub max_failures_per_user: usize,
    pub max_failures_per_ip: usize,
    pub throttle_window: Duration,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            max_failures_per_user: 5,
            // One address may be a whole office behind one NAT.
            max_failures_per_ip: 30,
            throttle_window: Duration::from_secs(15 * 60),
            secure_cookies: false,
        }
    }
}

/// A fresh session: the token to hand to the client once, and its member.
pub struct NewSession {
    pub token: String,
    pub member: Member,
}

pub struct Auth {
    store: Store,
    config: AuthConfig,
    by_user: Throttle,
    by_ip: Throttle,
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Auth {
    pub fn new(store: Store, config: AuthConfig) -> Self {
        Auth {
            by_user: Throttle::new(config.max_failures_per_user, config.throttle_window),
            by_ip: Throttle::new(config.max_failures_per_ip, config.throttle_window),
            store,
            config,
        }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    pub fn session_cookie(&self, token: &str) -> String {
        token::session_cookie(
            token,
            self.config.session_ttl.as_secs() as i64,
            self.config.secure_cookies,
        )
    }

    pub fn clearing_cookie(&self) -> String {
        token::clearing_cookie(self.config.secure_cookies)
    }

    /// Checks a username and password and opens a session. Unknown users cost
    /// the same hash verification as known ones.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<NewSession, AuthError> {
        let username = username.trim().to_lowercase();
        let user_key = format!("user:{username}");
        let ip_key = format!("ip:{client}");
        let now = Instant::now();
        let wait = [
            self.by_user.blocked_for(&user_key, now),
            self.by_ip.blocked_for(&ip_key, now),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(retry_after) = wait {
            return Err(AuthError::Throttled { retry_after });
        }

        let credentials = self.store.accounts().credentials(&username).await?;
        let stored = credentials
            .as_ref()
            .map(|c| c.password_hash.as_str())
            .unwrap_or_else(|| password::decoy_hash());
        let matches = password::verify(stored, password).await?;
        let member = match credentials {
            Some(c) if matches && c.active => self.store.accounts().member(&c.member_id).await?,
            _ => None,
        };
        let Some(member) = member else {
            self.by_user.record_failure(&user_key, now);
            self.by_ip.record_failure(&ip_key, now);
            return Err(AuthError::InvalidCredentials);
        };
        self.by_user.clear(&user_key);

        let (token, token_hash) = token::new_token();
        let created_at = now_secs();
        self.store
            .sessions()
            .insert(&SessionRow {
                token_hash,
                member_id: member.id.clone(),
                created_at,
                expires_at: created_at + self.config.session_ttl.as_secs() as i64,
            })
            .await?;
        Ok(NewSession { token, member })
    }

    /// The member a session token belongs to.
    pub async fn authenticate(&self, token: &str) -> Result<Member, AuthError> {
        let member_id = self
            .store
            .sessions()
            .member_of(&token::hash_token(token), now_secs())
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        self.store
            .accounts()
            .member(&member_id)
            .await?
            .filter(|m| m.active)
            .ok_or(AuthError::Unauthenticated)
    }

    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        self.store
            .sessions()
            .delete(&token::hash_token(token))
            .await?;
        Ok(())
    }

    /// Changes one's own password; other sessions of the member end, the one
    /// that asked stays.
    pub async fn change_password(
        &self,
        member: &Member,
        session_token: Option<&str>,
        current: &str,
        new: &str,
    ) -> Result<(), AuthError> {
        let new = Password::parse(new)?;
        let stored = self
            .store
            .accounts()
            .password_hash(&member.id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if !password::verify(&stored, current).await? {
            return Err(AuthError::WrongCurrentPassword);
        }
        let hash = password::hash(new.expose()).await?;
        let keep = session_token.map(token::hash_token);
        self.store
            .accounts()
            .set_password(&member.id, &hash, keep.as_deref())
            .await?;
        Ok(())
    }

    /// Sets another member's password (the caller has checked the right to);
    /// every session of that member ends.
    pub async fn set_password(&self, member_id: &str, new: &str) -> Result<(), AuthError> {
        let new = Password::parse(new)?;
        let hash = password::hash(new.expose()).await?;
        self.store
            .accounts()
            .set_password(member_id, &hash, None)
            .await?;
        Ok(())
    }
}
