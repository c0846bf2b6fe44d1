//! Who is calling: passwords, sessions, the devices members sign in from,
//! and the delays that slow password guessing (`throttle`).

pub mod password;
pub mod throttle;
pub mod token;

use crate::storage::{Member, SessionRow, Store, StoreError};
use password::HashError;
use std::net::IpAddr;
use std::time::{Duration, Instant};
use throttle::{DelayRule, LoginDelays, LoginLimits, PasswordChecks};
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
    /// Growing delays after failed sign-ins (`throttle`).
    pub login: LoginLimits,
    /// The same for wrong current passwords, per member.
    pub password_checks: DelayRule,
    /// Always mark cookies `Secure`; they are anyway whenever the request
    /// came over HTTPS (or a proxy says it did).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            login: LoginLimits::default(),
            password_checks: DelayRule {
                free: 3,
                cap: Duration::from_secs(60),
            },
            secure_cookies: false,
        }
    }
}

/// A fresh session: the token to hand to the client once, its member, and
/// a new device token when this device was not known yet.
pub struct NewSession {
    pub token: String,
    pub member: Member,
    pub device: Option<String>,
    /// The password was someone else's reset: change it first.
    pub must_change_password: bool,
}

pub struct Auth {
    store: Store,
    config: AuthConfig,
    logins: LoginDelays,
    password_checks: PasswordChecks,
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn throttled(wait: Duration) -> Result<(), AuthError> {
    if wait.is_zero() {
        Ok(())
    } else {
        Err(AuthError::Throttled {
            retry_after: wait.max(Duration::from_secs(1)),
        })
    }
}

impl Auth {
    pub fn new(store: Store, config: AuthConfig) -> Self {
        Auth {
            logins: LoginDelays::new(config.login),
            password_checks: PasswordChecks::new(config.password_checks, config.login.window),
            store,
            config,
        }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The cookie that carries a session; `https`: the request came over HTTPS.
    pub fn session_cookie(&self, token: &str, https: bool) -> String {
        token::session_cookie(
            token,
            self.config.session_ttl.as_secs() as i64,
            self.config.secure_cookies || https,
        )
    }

    pub fn clearing_cookie(&self, https: bool) -> String {
        token::clearing_cookie(self.config.secure_cookies || https)
    }

    /// The cookie that marks a device its member signed in from.
    pub fn device_cookie(&self, device: &str, https: bool) -> String {
        token::device_cookie(device, self.config.secure_cookies || https)
    }

    /// Checks a username and password and opens a session. Unknown users cost
    /// the same hash verification as known ones. `device`: the device token
    /// the request carried, if any.
    #[tracing::instrument(skip_all, fields(%client))]
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: IpAddr,
        device: Option<&str>,
    ) -> Result<NewSession, AuthError> {
        let username = username.trim().to_lowercase();
        let credentials = self.store.accounts().credentials(&username).await?;
        let known_device = match (&credentials, device) {
            (Some(c), Some(device)) => self
                .store
                .sessions()
                .device_member(&token::hash_token(device))
                .await?
                .is_some_and(|member| member == c.member_id),
            _ => false,
        };
        // Counted before the password is checked: concurrent guesses each
        // pay, and only the ones the delay lets through are verified.
        if let Err(wait) = self
            .logins
            .begin(&username, client, known_device, Instant::now())
        {
            throttled(wait)?;
        }
        // And where other processes count too: the same rule over the
        // counts they all share.
        let keys = throttle::LoginDelays::shared_keys(&username, client);
        let logins = self.store.logins();
        if logins.shared() {
            // Milliseconds: a delay of one second must not open early.
            let now = chrono::Utc::now().timestamp_millis();
            let forget = now - self.logins.window().as_millis() as i64;
            let verdict = logins
                .attempt(&keys, now, forget, |seen| {
                    match self.logins.shared_wait(seen, &keys, known_device, now) {
                        wait if wait.is_zero() => Ok(()),
                        wait => Err(wait),
                    }
                })
                .await?;
            if let Err(wait) = verdict {
                throttled(wait)?;
            }
        }

        let stored = credentials
            .as_ref()
            .map(|c| c.password_hash.as_str())
            .unwrap_or_else(|| password::decoy_hash());
        let matches = password::verify(stored, password).await?;
        let must_change_password = credentials.as_ref().is_some_and(|c| c.must_change_password);
        let member = match credentials {
            Some(c) if matches && c.active => self.store.accounts().member(&c.member_id).await?,
            _ => None,
        };
        let Some(member) = member else {
            // Who was tried, from where: the name as typed, cut short.
            self.audit("login_failed", username.chars().take(64).collect(), client)
                .await?;
            return Err(AuthError::InvalidCredentials);
        };
        self.logins.succeeded(&username, client);
        if logins.shared() {
            logins.succeeded(&keys[0], &keys[1]).await?;
        }
        self.audit("login", member.id.clone(), client).await?;

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
        let device = if known_device {
            None
        } else {
            let (device, device_hash) = token::new_token();
            self.store
                .sessions()
                .remember_device(&device_hash, &member.id, created_at)
                .await?;
            Some(device)
        };
        Ok(NewSession {
            token,
            member,
            device,
            must_change_password,
        })
    }

    /// A sign-in's line in the audit log.
    async fn audit(
        &self,
        action: &'static str,
        who: String,
        client: IpAddr,
    ) -> Result<(), AuthError> {
        self.store
            .audit()
            .record(&crate::storage::AuditEvent {
                at: now_secs(),
                subject: who.clone(),
                member_id: who,
                peer_id: client.to_string(),
                action,
                detail: None,
            })
            .await?;
        Ok(())
    }

    /// The member a session token belongs to, and whether their password
    /// was reset by someone else and must be changed before anything else.
    pub async fn authenticate(&self, token: &str) -> Result<(Member, bool), AuthError> {
        let (member_id, must_change) = self
            .store
            .sessions()
            .member_of(&token::hash_token(token), now_secs())
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let member = self
            .store
            .accounts()
            .member(&member_id)
            .await?
            .filter(|m| m.active)
            .ok_or(AuthError::Unauthenticated)?;
        Ok((member, must_change))
    }

    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        self.store
            .sessions()
            .delete(&token::hash_token(token))
            .await?;
        Ok(())
    }

    /// Changes one's own password; other sessions of the member end, the one
    /// that asked stays. Wrong current passwords earn a growing delay.
    #[tracing::instrument(skip_all, fields(caller = %member.id))]
    pub async fn change_password(
        &self,
        member: &Member,
        session_token: Option<&str>,
        current: &str,
        new: &str,
    ) -> Result<(), AuthError> {
        throttled(self.password_checks.wait(&member.id, Instant::now()))?;
        let new = Password::parse(new)?;
        let stored = self
            .store
            .accounts()
            .password_hash(&member.id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if !password::verify(&stored, current).await? {
            self.password_checks.failed(&member.id, Instant::now());
            return Err(AuthError::WrongCurrentPassword);
        }
        self.password_checks.succeeded(&member.id);
        let hash = password::hash(new.expose()).await?;
        let keep = session_token.map(token::hash_token);
        self.store
            .accounts()
            .set_password(&member.id, &hash, keep.as_deref())
            .await?;
        Ok(())
    }

    /// Resets another member's password (the caller has checked the right
    /// to): a one-time password, generated here and answered once, that the
    /// member must replace at their next sign-in; every session of theirs
    /// ends. Nobody chooses another's password.
    #[tracing::instrument(skip_all, fields(member_id = %member_id))]
    pub async fn reset_password(
        &self,
        member_id: &str,
        audit: &crate::storage::AuditEvent,
    ) -> Result<String, AuthError> {
        let one_time = password::generate();
        let hash = password::hash(&one_time).await?;
        self.store
            .accounts()
            .reset_password(member_id, &hash, audit)
            .await?;
        Ok(one_time)
    }
}
