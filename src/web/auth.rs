//! Who is asking, and the doors every request passes: request guards, CSRF, security headers,
//! request-size limits and the sign-in rate limit.
//!
//! **Guards.** A handler names who may call it by taking one of [`Principal`] (anyone signed in),
//! [`Submitter`] (submitter, reviewer or admin), [`Reviewer`] (reviewer or admin) or [`Admin`].
//! Queries over department-owned data then take `principal.scope()` (see `crate::db::scope`), so
//! the role check and the row filter are both in place. A failing guard answers 401 (nobody
//! signed in, or a bad token) or 403 (wrong role, missing CSRF token): JSON under `/api`, and on
//! pages a redirect to the sign-in page with `?next=` (401) or an error page (403).
//!
//! **Credentials.** Either the private cookie `nianjian_session` (a random 32-byte id; the
//! database keeps its SHA-256) or `Authorization: Bearer nj_…` (an API token). Both are checked
//! against the database on every request: an expired or revoked session, a revoked token and a
//! disabled user stop at once. The principal is resolved once per request and cached.
//!
//! **CSRF.** Session-authenticated requests with a method other than GET/HEAD/OPTIONS must carry
//! the session's CSRF token: as the form field `csrf_token` (the first field of the form, see
//! [`CsrfFormPeek`]) or as the header `X-CSRF-Token`. The guards check it, so a state-changing
//! handler that takes any of them cannot forget it. Bearer-token calls carry no ambient
//! credential and need none. The sign-in form, before any session exists, uses a token in a
//! private cookie of its own (double submit).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::figment::Figment;
use rocket::http::{Cookie, Header, Method, SameSite, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::serde::json::Json;
use rocket::shield::{Frame, NoSniff, Referrer, Shield};
use rocket::{Data, Request, Response, catch};
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::Settings;
use crate::db::audit::Actor;
use crate::db::scope::Scope;
use crate::db::sessions::constant_time_eq;
use crate::db::users::{Role, User};
use crate::db::{Db, DbConnection, DbError, now, regions, sessions, tokens};

/// The session cookie (private: encrypted and authenticated with the secret key).
pub const SESSION_COOKIE: &str = "nianjian_session";
/// The sign-in form's own CSRF cookie, before a session exists.
pub const SIGNIN_COOKIE: &str = "nianjian_signin";
/// The header of cookie-authenticated API calls that change state.
pub const CSRF_HEADER: &str = "X-CSRF-Token";
/// The form field of state-changing forms.
pub const CSRF_FIELD: &str = "csrf_token";

/// The content security policy of every response: no inline script or style, nothing framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// How the principal proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session; its CSRF token must come back on state-changing requests.
    Session { id: i64, csrf_token: String },
    /// An API token.
    Token { id: i64 },
}

/// Who is asking. Produced by the guards from a live session or token; the region subtree of a
/// reviewer is computed once per request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub region_id: Option<i64>,
    /// A reviewer's region and every region below it; empty for other roles.
    pub region_ids: Vec<i64>,
    pub must_change_password: bool,
    pub credential: Credential,
}

impl Principal {
    /// What this principal may see: the value every department-owned query takes.
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Admin => Scope::All,
            Role::Reviewer => Scope::Regions(self.region_ids.clone()),
            // A submitter always has a department (CHECK constraint); without one it sees nothing.
            Role::Submitter => match self.department_id {
                Some(id) => Scope::Department(id),
                None => Scope::Regions(Vec::new()),
            },
        }
    }

    /// The actor of the audit entries this principal causes.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.username, self.user_id)
    }

    /// The CSRF token forms must carry, when signed in through a session.
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { csrf_token, .. } => Some(csrf_token),
            Credential::Token { .. } => None,
        }
    }

    pub fn session_id(&self) -> Option<i64> {
        match self.credential {
            Credential::Session { id, .. } => Some(id),
            Credential::Token { .. } => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn can_review(&self) -> bool {
        matches!(self.role, Role::Reviewer | Role::Admin)
    }

    /// Builds the principal of a user (blocking: reads the region subtree of a reviewer).
    pub fn of_user(
        conn: &mut DbConnection,
        user: User,
        credential: Credential,
    ) -> Result<Option<Principal>, DbError> {
        let Some(role) = user.role() else {
            return Ok(None);
        };
        let region_ids = match (role, user.region_id) {
            (Role::Reviewer, Some(region)) => regions::subtree_ids(conn, region)?,
            _ => Vec::new(),
        };
        Ok(Some(Principal {
            user_id: user.id,
            username: user.username,
            role,
            department_id: user.department_id,
            region_id: user.region_id,
            region_ids,
            must_change_password: user.must_change_password,
            credential,
        }))
    }
}

/// Why a guard refused. Kept for the catchers, which render it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// Nobody signed in (no session, an expired, revoked or tampered one).
    SignInRequired,
    /// An `Authorization` header that names no live token.
    BadToken,
    /// A state-changing request without the session's CSRF token.
    Csrf,
    /// Signed in, but the role may not do this.
    Forbidden,
}

impl AuthFailure {
    pub fn status(self) -> Status {
        match self {
            AuthFailure::SignInRequired | AuthFailure::BadToken => Status::Unauthorized,
            AuthFailure::Csrf | AuthFailure::Forbidden => Status::Forbidden,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            AuthFailure::SignInRequired => "unauthorized",
            AuthFailure::BadToken => "invalid_token",
            AuthFailure::Csrf => "csrf",
            AuthFailure::Forbidden => "forbidden",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            AuthFailure::SignInRequired => "请先登录",
            AuthFailure::BadToken => "访问令牌无效或已撤销",
            AuthFailure::Csrf => "表单已过期或来源不明，请返回页面刷新后重新提交",
            AuthFailure::Forbidden => "没有权限执行此操作",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            AuthFailure::SignInRequired => "Sign in first",
            AuthFailure::BadToken => "The API token is invalid or revoked",
            AuthFailure::Csrf => {
                "The form has expired or did not come from this site; reload the page and try again"
            }
            AuthFailure::Forbidden => "Not allowed",
        }
    }
}

/// The authentication of one request, resolved once.
#[derive(Debug, Clone)]
enum Authn {
    Anonymous,
    Signed(Box<Principal>),
    Refused(AuthFailure),
    Unavailable,
}

struct FailureSlot(Mutex<Option<AuthFailure>>);

fn note_failure(req: &Request<'_>, failure: AuthFailure) {
    let slot = req.local_cache(|| FailureSlot(Mutex::new(None)));
    if let Ok(mut f) = slot.0.lock() {
        *f = Some(failure);
    }
}

/// The reason the last guard of this request refused, for the catchers.
pub fn failure_of(req: &Request<'_>) -> Option<AuthFailure> {
    req.local_cache(|| FailureSlot(Mutex::new(None)))
        .0
        .lock()
        .ok()
        .and_then(|f| *f)
}

async fn authn<'r>(req: &'r Request<'_>) -> &'r Authn {
    req.local_cache_async(async { resolve(req).await }).await
}

async fn resolve(req: &Request<'_>) -> Authn {
    let Some(db) = req.rocket().state::<Db>().cloned() else {
        return Authn::Unavailable;
    };
    if let Some(header) = req.headers().get_one("Authorization") {
        let Some(secret) = header.strip_prefix("Bearer ").map(|s| s.trim().to_string()) else {
            return Authn::Refused(AuthFailure::BadToken);
        };
        let found = db
            .run(move |c| -> Result<Option<Principal>, DbError> {
                match tokens::authenticate(c, &secret, now())? {
                    Some((token, user)) => {
                        Principal::of_user(c, user, Credential::Token { id: token.id })
                    }
                    None => Ok(None),
                }
            })
            .await;
        return match found {
            Ok(Some(p)) => Authn::Signed(Box::new(p)),
            Ok(None) => Authn::Refused(AuthFailure::BadToken),
            Err(e) => {
                tracing::error!(error = %e, "token authentication failed");
                Authn::Unavailable
            }
        };
    }
    let jar = req.cookies();
    let Some(secret) = jar
        .get_private(SESSION_COOKIE)
        .map(|c| c.value().to_string())
    else {
        if jar.get(SESSION_COOKIE).is_some() {
            // Tampered with, or sealed with another key: drop it.
            jar.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
        }
        return Authn::Anonymous;
    };
    let found = db
        .run(move |c| -> Result<Option<Principal>, DbError> {
            match sessions::authenticate(c, &secret, now())? {
                Some((session, user)) => Principal::of_user(
                    c,
                    user,
                    Credential::Session {
                        id: session.id,
                        csrf_token: session.csrf_token,
                    },
                ),
                None => Ok(None),
            }
        })
        .await;
    match found {
        Ok(Some(p)) => Authn::Signed(Box::new(p)),
        Ok(None) => {
            jar.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
            Authn::Anonymous
        }
        Err(e) => {
            tracing::error!(error = %e, "session authentication failed");
            Authn::Unavailable
        }
    }
}

/// The signed-in principal of a request, if any, without the CSRF check (for pages that show
/// who is signed in).
pub async fn current(req: &Request<'_>) -> Option<Principal> {
    match authn(req).await {
        Authn::Signed(p) => Some((**p).clone()),
        _ => None,
    }
}

/// GET, HEAD and OPTIONS change nothing; everything else needs the CSRF token.
pub fn is_safe(method: Method) -> bool {
    matches!(method, Method::Get | Method::Head | Method::Options)
}

/// The token a state-changing form carried in its first field, peeked by [`CsrfFormPeek`].
struct FormCsrfToken(Option<String>);

fn csrf_ok(req: &Request<'_>, principal: &Principal) -> bool {
    let Some(expected) = principal.csrf_token() else {
        return true;
    };
    let header_ok = req
        .headers()
        .get_one(CSRF_HEADER)
        .is_some_and(|h| constant_time_eq(h.trim(), expected));
    let form_ok = req
        .local_cache(|| FormCsrfToken(None))
        .0
        .as_deref()
        .is_some_and(|t| constant_time_eq(t, expected));
    header_ok || form_ok
}

async fn signed_in(req: &Request<'_>) -> Outcome<Principal, AuthFailure> {
    let outcome = match authn(req).await {
        Authn::Signed(p) if !is_safe(req.method()) && !csrf_ok(req, p) => Err(AuthFailure::Csrf),
        Authn::Signed(p) => Ok((**p).clone()),
        Authn::Anonymous => Err(AuthFailure::SignInRequired),
        Authn::Refused(f) => Err(*f),
        Authn::Unavailable => {
            return Outcome::Error((Status::ServiceUnavailable, AuthFailure::SignInRequired));
        }
    };
    match outcome {
        Ok(p) => Outcome::Success(p),
        Err(f) => {
            note_failure(req, f);
            Outcome::Error((f.status(), f))
        }
    }
}

async fn with_role<T>(
    req: &Request<'_>,
    allowed: &[Role],
    wrap: fn(Principal) -> T,
) -> Outcome<T, AuthFailure> {
    match signed_in(req).await {
        Outcome::Success(p) if allowed.contains(&p.role) => Outcome::Success(wrap(p)),
        Outcome::Success(_) => {
            note_failure(req, AuthFailure::Forbidden);
            Outcome::Error((Status::Forbidden, AuthFailure::Forbidden))
        }
        Outcome::Error(e) => Outcome::Error(e),
        Outcome::Forward(s) => Outcome::Forward(s),
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Principal {
    type Error = AuthFailure;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        signed_in(req).await
    }
}

macro_rules! role_guard {
    ($(#[$m:meta])* $name:ident, [$($role:expr),+]) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Principal);

        impl std::ops::Deref for $name {
            type Target = Principal;
            fn deref(&self) -> &Principal {
                &self.0
            }
        }

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = AuthFailure;
            async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
                with_role(req, &[$($role),+], $name).await
            }
        }
    };
}

role_guard!(
    /// A submitter, reviewer or admin: anyone who may upload (within their scope).
    Submitter,
    [Role::Submitter, Role::Reviewer, Role::Admin]
);
role_guard!(
    /// A reviewer or admin: the whole review of the scope.
    Reviewer,
    [Role::Reviewer, Role::Admin]
);
role_guard!(
    /// An admin: users, regions, departments, rounds, tokens.
    Admin,
    [Role::Admin]
);

/// Reads the CSRF token of a state-changing form before the route runs, from the first 512
/// bytes of the body (Rocket's peek buffer), so the guards can check it without the handler's
/// help. Forms must therefore put the hidden `csrf_token` input first; every template does.
pub struct CsrfFormPeek;

#[rocket::async_trait]
impl Fairing for CsrfFormPeek {
    fn info(&self) -> Info {
        Info {
            name: "CSRF token of forms",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, data: &mut Data<'_>) {
        if is_safe(req.method()) {
            return;
        }
        let Some(ct) = req.content_type().cloned() else {
            return;
        };
        let token = if ct.is_form() {
            urlencoded_token(data.peek(512).await)
        } else if ct.is_form_data() {
            match ct.param("boundary") {
                Some(boundary) => multipart_token(data.peek(512).await, boundary),
                None => None,
            }
        } else {
            None
        };
        req.local_cache(|| FormCsrfToken(token));
    }
}

fn plausible_token(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_string())
}

/// The `csrf_token` value of an `application/x-www-form-urlencoded` body's start.
pub fn urlencoded_token(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == CSRF_FIELD).then(|| plausible_token(v)).flatten()
    })
}

/// The `csrf_token` value when it is the first part of a `multipart/form-data` body.
pub fn multipart_token(bytes: &[u8], boundary: &str) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let rest = text.strip_prefix(&format!("--{boundary}\r\n"))?;
    let (headers, body) = rest.split_once("\r\n\r\n")?;
    let named = headers.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("content-disposition:")
            && l.contains(&format!("name=\"{CSRF_FIELD}\""))
    });
    if !named {
        return None;
    }
    let value = body.split("\r\n").next()?;
    plausible_token(value.trim())
}

/// The address a per-address limit counts: the peer Rocket sees, or, only when
/// `trust_forwarded_for` is set, the last address in `X-Forwarded-For` (the one your own proxy
/// appended; earlier ones are the client's word).
pub fn client_addr(req: &Request<'_>) -> Option<IpAddr> {
    let trust = req
        .rocket()
        .state::<Settings>()
        .is_some_and(|s| s.trust_forwarded_for);
    if trust
        && let Some(addr) = req
            .headers()
            .get("X-Forwarded-For")
            .last()
            .and_then(|h| h.rsplit(',').next())
            .and_then(|s| s.trim().parse::<IpAddr>().ok())
    {
        return Some(addr);
    }
    req.remote().map(|a| a.ip())
}

/// Sign-in attempts per address, in two tiers (governor's GCRA): a burst per minute, then a
/// budget per hour. A guesser who keeps going waits seconds at first, then minutes.
pub struct SignInLimiter {
    minute: DefaultKeyedRateLimiter<IpAddr>,
    hour: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl SignInLimiter {
    pub fn new(per_minute: u32, per_hour: u32) -> SignInLimiter {
        let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        SignInLimiter {
            minute: RateLimiter::keyed(Quota::per_minute(nz(per_minute))),
            hour: RateLimiter::keyed(Quota::per_hour(nz(per_hour))),
            clock: DefaultClock::default(),
        }
    }

    /// Counts an attempt; `Err(wait)` when the address must wait before the next one.
    pub fn check(&self, addr: IpAddr) -> Result<(), Duration> {
        if self.minute.len() > 10_000 {
            self.minute.retain_recent();
            self.hour.retain_recent();
        }
        let now = self.clock.now();
        self.minute
            .check_key(&addr)
            .map_err(|not_until| not_until.wait_time_from(now))?;
        self.hour
            .check_key(&addr)
            .map_err(|not_until| not_until.wait_time_from(now))
    }
}

/// Rocket's Shield with the headers of the accounts issue; HSTS is added by Rocket when it
/// speaks TLS itself. The CSP comes from [`SecurityHeaders`] (Shield has no CSP policy).
pub fn shield() -> Shield {
    Shield::default()
        .enable(NoSniff::Enable)
        .enable(Frame::Deny)
        .enable(Referrer::SameOrigin)
}

/// The content security policy on every response, and `Cache-Control: no-store` on responses to
/// signed-in requests that set no caching of their own.
pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "Content-Security-Policy and no-store",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new(
            "Content-Security-Policy",
            CONTENT_SECURITY_POLICY,
        ));
        let credentialed =
            req.headers().contains("Authorization") || req.cookies().get(SESSION_COOKIE).is_some();
        if credentialed && !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}

/// Request-size limits fixed by the service, whatever the configuration says: JSON bodies of the
/// API 64 KiB, forms 32 KiB. (The upload route's multipart limit comes from `upload_limit_mib`.)
/// Also stops Rocket from believing an `X-Real-IP` header: per-address limits use
/// [`client_addr`].
pub fn harden(figment: Figment) -> Figment {
    figment
        .merge(("limits.json", 64 * 1024))
        .merge(("limits.form", 32 * 1024))
        .merge(("ip_header", false))
}

/// The session cookie for a new session: private, HttpOnly, SameSite=Strict, Secure behind TLS,
/// lasting as long as the session.
pub fn session_cookie(secret: String, settings: &Settings) -> Cookie<'static> {
    let lifetime = rocket::time::Duration::hours(
        i64::try_from(settings.session_hours)
            .unwrap_or(12)
            .clamp(1, 24 * 366),
    );
    let mut cookie = Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(lifetime)
        .expires(rocket::time::OffsetDateTime::now_utc() + lifetime)
        .build();
    if settings.secure_cookies {
        cookie.set_secure(true);
    }
    cookie
}

/// The name of an uploaded file as it may be stored and shown: the last segment of whatever the
/// client sent (either slash), without control characters, at most 255 characters, never empty.
/// It is a label only: nothing is ever written to or read from a path built from it.
pub fn upload_display_name(raw: Option<&str>) -> String {
    let last = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    let clean = clean.trim().trim_start_matches('.').trim().to_string();
    if clean.is_empty() {
        "upload".to_string()
    } else {
        clean
    }
}

#[derive(Serialize)]
struct ErrorBody {
    code: &'static str,
    message: &'static str,
}

fn auth_error_json(req: &Request<'_>, fallback: AuthFailure) -> Json<Value> {
    let lang = crate::web::request_lang(req);
    let failure = failure_of(req).unwrap_or(fallback);
    Json(json!({"error": ErrorBody {
        code: failure.code(),
        message: lang.pick(failure.zh(), failure.en()),
    }}))
}

#[catch(401)]
pub fn unauthorized_json(req: &Request<'_>) -> Json<Value> {
    auth_error_json(req, AuthFailure::SignInRequired)
}

#[catch(403)]
pub fn forbidden_json(req: &Request<'_>) -> Json<Value> {
    auth_error_json(req, AuthFailure::Forbidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn the_token_is_read_from_the_start_of_a_form() {
        assert_eq!(
            urlencoded_token(format!("csrf_token={T}&username=a").as_bytes()).as_deref(),
            Some(T)
        );
        assert_eq!(
            urlencoded_token(format!("a=1&csrf_token={T}").as_bytes()).as_deref(),
            Some(T)
        );
        // Cut off by the peek window: not a token.
        assert_eq!(
            urlencoded_token(format!("csrf_token={}", &T[..40]).as_bytes()),
            None
        );
        assert_eq!(urlencoded_token(b"username=a"), None);
    }

    #[test]
    fn the_token_is_read_from_the_first_multipart_field() {
        let body = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{T}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n\r\nPK"
        );
        assert_eq!(multipart_token(body.as_bytes(), "XyZ").as_deref(), Some(T));
        assert_eq!(multipart_token(body.as_bytes(), "Other"), None);
        let file_first = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nPK\r\n";
        assert_eq!(multipart_token(file_first.as_bytes(), "XyZ"), None);
    }

    #[test]
    fn the_limiter_lets_a_burst_through_then_asks_to_wait() {
        let limiter = SignInLimiter::new(3, 100);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(
            wait > Duration::from_secs(1) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(
            limiter.check(b).is_ok(),
            "another address has its own budget"
        );
    }

    #[test]
    fn the_hourly_tier_backs_off_further() {
        let limiter = SignInLimiter::new(100, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        let wait = limiter.check(a).unwrap_err();
        assert!(wait > Duration::from_secs(60), "{wait:?}");
    }

    #[test]
    fn an_upload_name_is_a_label_never_a_path() {
        assert_eq!(
            upload_display_name(Some("交通运输厅.xlsx")),
            "交通运输厅.xlsx"
        );
        assert_eq!(upload_display_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            upload_display_name(Some("C:\\Users\\a\\表.xlsx")),
            "表.xlsx"
        );
        assert_eq!(upload_display_name(Some("..")), "upload");
        assert_eq!(upload_display_name(Some("a\u{0}b\r\n.csv")), "ab.csv");
        assert_eq!(upload_display_name(None), "upload");
        assert_eq!(upload_display_name(Some(&"x".repeat(300))).len(), 255);
    }

    #[test]
    fn scopes_follow_roles() {
        let p = |role, department_id, region_ids: Vec<i64>| Principal {
            user_id: 1,
            username: "u".into(),
            role,
            department_id,
            region_id: region_ids.first().copied(),
            region_ids,
            must_change_password: false,
            credential: Credential::Token { id: 1 },
        };
        assert_eq!(
            p(Role::Submitter, Some(4), vec![]).scope(),
            Scope::Department(4)
        );
        assert_eq!(
            p(Role::Reviewer, None, vec![1, 2]).scope(),
            Scope::Regions(vec![1, 2])
        );
        assert_eq!(p(Role::Admin, None, vec![]).scope(), Scope::All);
        assert_eq!(p(Role::Admin, None, vec![]).csrf_token(), None);
    }
}
