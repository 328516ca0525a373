//! Bearer tokens for ARM: a cache in front of a [`TokenProvider`] (normally the
//! [`super::credential::CredentialChain`]), the sign-in error and its diagnostic, and the
//! advice capz gives for ARM's access errors (401, 403, `MissingSubscriptionRegistration`).
//!
//! Token lifetime: a token is used until shortly before it expires (five minutes, or half
//! its lifetime when that is shorter), then a new one is fetched. When ARM still answers
//! 401 (the token was revoked, clocks disagree), [`super::ArmClient`] asks
//! [`TokenSource::refresh`] once for a new token, bypassing every cache, and retries the
//! request once. Tokens live only in memory, wrapped in
//! [`azure_core::credentials::Secret`] (redacted by `Debug`), and are sent only in the
//! `Authorization` header (marked sensitive).

use crate::codes;
use azure_core::credentials::{AccessToken, Secret};
use lang::Diagnostic;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;

/// A boxed future, as [`TokenProvider`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that hands out access tokens for a scope.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token for `scope` (e.g. `https://management.core.windows.net/.default`). With
    /// `fresh`, bypass any cache: the resource server refused the last token.
    fn token<'a>(
        &'a self,
        scope: &'a str,
        fresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>>;
}

/// What one credential of the chain answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialAnswer {
    /// Display name, e.g. `service principal (AZURE_TENANT_ID, ...)`.
    pub credential: String,
    /// True when it was configured and asked (and failed); false when skipped.
    pub tried: bool,
    /// Why it was skipped, or its error (never a secret).
    pub answer: String,
}

impl CredentialAnswer {
    /// A credential that was not configured or not tried.
    pub fn skipped(name: &str, why: String) -> Self {
        CredentialAnswer {
            credential: name.to_string(),
            tried: false,
            answer: why,
        }
    }

    /// A credential that was asked and failed.
    pub fn failed(name: &str, error: String) -> Self {
        CredentialAnswer {
            credential: name.to_string(),
            tried: true,
            answer: error,
        }
    }
}

/// No token could be had: a summary line and each credential's answer, in chain order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    /// `no credential could sign in at https://login.microsoftonline.com`.
    pub summary: String,
    /// The scope the token was for (`https://management.core.windows.net/.default`).
    pub scope: String,
    /// Each credential's answer.
    pub answers: Vec<CredentialAnswer>,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (scope {})", self.summary, self.scope)?;
        for a in &self.answers {
            write!(f, "; {}: {}", a.credential, a.answer)?;
        }
        Ok(())
    }
}

impl std::error::Error for AuthError {}

impl AuthError {
    /// `capz::auth::no-credential`: the summary, then one line per credential in the help.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut help = format!("token scope: {}\ncredentials tried, in order:", self.scope);
        for a in &self.answers {
            help.push_str(&format!("\n  - {}: {}", a.credential, a.answer));
        }
        let fix = if self.answers.iter().any(|a| a.tried) {
            "fix the credential that failed (its error is above), or set"
        } else {
            "set"
        };
        help.push_str(&format!(
            "\n{fix} AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), \
             or run `az login`; README.md \"Using real Azure\" lists every option"
        ));
        Diagnostic::error(codes::AUTH_NO_CREDENTIAL, self.summary.clone()).with_help(help)
    }
}

struct Cached {
    token: Secret,
    refresh_at: OffsetDateTime,
}

/// A token cache for one scope in front of a [`TokenProvider`]. Cheap to share (`Arc`);
/// concurrent callers wait for one fetch rather than each fetching.
pub struct TokenSource {
    provider: Arc<dyn TokenProvider>,
    scope: String,
    cached: tokio::sync::Mutex<Option<Cached>>,
    fetches: AtomicU64,
}

impl fmt::Debug for TokenSource {
    /// Never shows the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("provider", &self.provider)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Refresh a token this long before it expires at most (azure_identity uses the same).
pub const REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);

impl TokenSource {
    /// A cache of tokens for `scope` from `provider`.
    pub fn new(provider: Arc<dyn TokenProvider>, scope: &str) -> Self {
        TokenSource {
            provider,
            scope: scope.to_string(),
            cached: tokio::sync::Mutex::new(None),
            fetches: AtomicU64::new(0),
        }
    }

    /// The scope tokens are requested for.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// How many tokens were fetched from the provider so far.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The provider (e.g. to ask the chain which credential signed in).
    pub fn provider(&self) -> &Arc<dyn TokenProvider> {
        &self.provider
    }

    /// A valid token: the cached one unless it is due for refresh.
    ///
    /// Errors: the provider could not produce a token ([`AuthError`]).
    pub async fn bearer(&self) -> Result<Secret, AuthError> {
        let mut slot = self.cached.lock().await;
        if let Some(c) = slot.as_ref()
            && OffsetDateTime::now_utc() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        self.fetch_into(&mut slot, false).await
    }

    /// ARM refused `rejected`: fetch a new token bypassing all caches, unless another
    /// task already replaced `rejected` (then that newer token is returned).
    ///
    /// Errors: the provider could not produce a token ([`AuthError`]).
    pub async fn refresh(&self, rejected: &Secret) -> Result<Secret, AuthError> {
        let mut slot = self.cached.lock().await;
        if let Some(c) = slot.as_ref()
            && c.token != *rejected
        {
            return Ok(c.token.clone());
        }
        self.fetch_into(&mut slot, true).await
    }

    async fn fetch_into(
        &self,
        slot: &mut Option<Cached>,
        fresh: bool,
    ) -> Result<Secret, AuthError> {
        let t = self.provider.token(&self.scope, fresh).await?;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let now = OffsetDateTime::now_utc();
        let left = t.expires_on - now;
        let margin = if left / 2 < REFRESH_MARGIN {
            left / 2
        } else {
            REFRESH_MARGIN
        };
        *slot = Some(Cached {
            token: t.token.clone(),
            refresh_at: t.expires_on - margin.max(time::Duration::ZERO),
        });
        Ok(t.token)
    }
}

/// Advice for ARM's access and registration errors, or `None` for other errors.
///
/// - 409 `MissingSubscriptionRegistration`: the namespace (from the message, else the
///   request path) and `az provider register --namespace NS`. Source:
///   <https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-register-resource-provider>.
/// - 401 (`AuthenticationFailed`, `InvalidAuthenticationToken`,
///   `ExpiredAuthenticationToken`, `InvalidAuthenticationTokenTenant`): the token was
///   refused even after a refresh.
/// - 403 `AuthorizationFailed` / `LinkedAuthorizationFailed`: the principal lacks a role.
///   Source: <https://learn.microsoft.com/azure/role-based-access-control/built-in-roles>.
/// - 404 `SubscriptionNotFound` / 400 `InvalidSubscriptionId`.
pub fn access_advice(
    status: Option<u16>,
    arm_code: Option<&str>,
    message: &str,
    resource: &str,
) -> Option<String> {
    let code = arm_code.unwrap_or("");
    if code.eq_ignore_ascii_case("MissingSubscriptionRegistration") {
        let ns = quoted_namespace(message)
            .or_else(|| namespace_of(resource))
            .unwrap_or_else(|| "NAMESPACE".to_string());
        let sub = subscription_of(resource)
            .map(|s| format!(" --subscription {s}"))
            .unwrap_or_default();
        return Some(format!(
            "the subscription is not registered for {ns}: run `az provider register --namespace {ns}{sub}` \
             (needs a role allowed to register providers, e.g. Contributor), wait until \
             `az provider show --namespace {ns} --query registrationState` says Registered, then run the command again"
        ));
    }
    if status == Some(401) {
        return Some(format!(
            "ARM refused the access token ({code}) even after a fresh sign-in: check that the \
             credential belongs to the subscription's tenant (AZURE_TENANT_ID) and to this cloud (--cloud)"
        ));
    }
    if status == Some(403)
        || code.eq_ignore_ascii_case("AuthorizationFailed")
        || code.eq_ignore_ascii_case("LinkedAuthorizationFailed")
    {
        return Some(
            "the signed-in principal lacks a role for this action: grant it Contributor on the \
             resource group, or the narrower built-in roles listed in README.md \"Using real Azure\" \
             (see https://learn.microsoft.com/azure/role-based-access-control/built-in-roles)"
                .to_string(),
        );
    }
    if code.eq_ignore_ascii_case("SubscriptionNotFound")
        || code.eq_ignore_ascii_case("InvalidSubscriptionId")
    {
        return Some(
            "check --subscription / AZURE_SUBSCRIPTION_ID (a subscription ID, not its name) and that \
             the signed-in principal has a role on it (`az account list` shows the ones you can use)"
                .to_string(),
        );
    }
    None
}

/// `Microsoft.ContainerService` from `... namespace 'Microsoft.ContainerService'. ...`.
fn quoted_namespace(message: &str) -> Option<String> {
    let i = message.to_ascii_lowercase().find("namespace '")?;
    let rest = &message[i + "namespace '".len()..];
    let ns = &rest[..rest.find('\'')?];
    (!ns.is_empty() && ns.contains('.')).then(|| ns.to_string())
}

/// The provider namespace of an ARM path: the segment after the last `providers`.
fn namespace_of(path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split(['/', '?']).collect();
    let i = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))?;
    segs.get(i + 1)
        .filter(|s| s.contains('.'))
        .map(|s| s.to_string())
}

fn subscription_of(path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('/').collect();
    let i = segs
        .iter()
        .position(|s| s.eq_ignore_ascii_case("subscriptions"))?;
    segs.get(i + 1)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Debug)]
    struct Fixed {
        lifetime: time::Duration,
        n: Mutex<u32>,
        fresh_calls: Mutex<u32>,
    }

    impl TokenProvider for Fixed {
        fn token<'a>(
            &'a self,
            _scope: &'a str,
            fresh: bool,
        ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
            Box::pin(async move {
                let mut n = self.n.lock().unwrap();
                *n += 1;
                if fresh {
                    *self.fresh_calls.lock().unwrap() += 1;
                }
                Ok(AccessToken::new(
                    format!("t{n}"),
                    OffsetDateTime::now_utc() + self.lifetime,
                ))
            })
        }
    }

    fn fixed(lifetime: time::Duration) -> Arc<Fixed> {
        Arc::new(Fixed {
            lifetime,
            n: Mutex::new(0),
            fresh_calls: Mutex::new(0),
        })
    }

    #[tokio::test]
    async fn tokens_are_cached_until_shortly_before_expiry() {
        let p = fixed(time::Duration::hours(1));
        let s = TokenSource::new(p.clone(), "scope/.default");
        assert_eq!(s.bearer().await.unwrap().secret(), "t1");
        assert_eq!(s.bearer().await.unwrap().secret(), "t1");
        assert_eq!(s.fetch_count(), 1);

        // A token living 200 ms is refreshed after half of it.
        let p = fixed(time::Duration::milliseconds(200));
        let s = TokenSource::new(p, "scope/.default");
        assert_eq!(s.bearer().await.unwrap().secret(), "t1");
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
        assert_eq!(s.bearer().await.unwrap().secret(), "t2");
    }

    #[tokio::test]
    async fn refresh_replaces_only_the_rejected_token() {
        let p = fixed(time::Duration::hours(1));
        let s = TokenSource::new(p.clone(), "scope/.default");
        let t1 = s.bearer().await.unwrap();
        let t2 = s.refresh(&t1).await.unwrap();
        assert_eq!(t2.secret(), "t2");
        assert_eq!(*p.fresh_calls.lock().unwrap(), 1);
        // A second task that also saw t1 rejected gets t2 without another fetch.
        assert_eq!(s.refresh(&t1).await.unwrap().secret(), "t2");
        assert_eq!(s.fetch_count(), 2);
        assert!(!format!("{s:?}").contains("t2"));
    }

    #[test]
    fn registration_advice_names_namespace_and_command() {
        let a = access_advice(
            Some(409),
            Some("MissingSubscriptionRegistration"),
            "The subscription is not registered to use namespace 'Microsoft.ContainerService'. See https://aka.ms/rps-not-found",
            "/subscriptions/abc/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c",
        )
        .unwrap();
        assert!(
            a.contains(
                "az provider register --namespace Microsoft.ContainerService --subscription abc"
            ),
            "{a}"
        );
        let a = access_advice(
            Some(409),
            Some("MissingSubscriptionRegistration"),
            "not registered",
            "/subscriptions/abc/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v",
        )
        .unwrap();
        assert!(a.contains("--namespace Microsoft.Network"), "{a}");
        assert!(access_advice(Some(401), Some("ExpiredAuthenticationToken"), "", "/x").is_some());
        assert!(
            access_advice(Some(403), Some("AuthorizationFailed"), "", "/x")
                .unwrap()
                .contains("built-in-roles")
        );
        assert!(access_advice(Some(400), Some("InvalidParameter"), "", "/x").is_none());
    }

    #[test]
    fn auth_error_lists_every_answer() {
        let e = AuthError {
            summary: "cannot sign in".into(),
            scope: "s/.default".into(),
            answers: vec![
                CredentialAnswer::skipped("service principal", "not configured".into()),
                CredentialAnswer::skipped("Azure CLI", "az not found on PATH".into()),
            ],
        };
        let d = e.to_diagnostic();
        assert_eq!(d.code, codes::AUTH_NO_CREDENTIAL);
        let help = d.help.unwrap();
        assert!(help.contains("- service principal: not configured"));
        assert!(help.contains("- Azure CLI: az not found on PATH"));
        assert!(help.contains("az login"));
    }
}
