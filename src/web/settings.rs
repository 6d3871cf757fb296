//! `/settings`: an employee's own settings in the browser — the profile, the notification
//! policy, the browser sessions and authorised apps, and exports of their own data. The same
//! service calls as the Mastodon API (`update_credentials`, the notification policy, token
//! revocation); signed-in employees only, every form with the session's CSRF token.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use futures_util::StreamExt;
use serde::Deserialize;

use super::i18n::Texts;
use super::pages::{error_page, form_expired, render, sign_in_first};
use super::session;
use crate::auth::secrets::same_secret;
use crate::context::AppContext;
use crate::db::models::WebSession;
use crate::error::{Error, Result};
use crate::http::params::{FileFields, ParamsWithFiles, lenient};
use crate::service::accounts::{self, FieldInput, ProfileImage, ProfileUpdate};
use crate::service::exports::{self, Export, Format};
use crate::service::notification_requests::{self as requests, PolicyChange};
use crate::service::tokens::{self, Grant};
use crate::service::users::LocalUser;
use crate::service::visibility::Visibility;
use crate::service::{languages, sessions};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(index))
        .route("/settings/profile", web::get().to(profile))
        .route("/settings/profile", web::post().to(save_profile))
        .route("/settings/notifications", web::get().to(notifications))
        .route(
            "/settings/notifications",
            web::post().to(save_notifications),
        )
        .route("/settings/sessions", web::get().to(sessions_page))
        .route("/settings/sessions/end", web::post().to(end_session))
        .route("/settings/apps/revoke", web::post().to(revoke_app))
        .route("/settings/export", web::get().to(export_page))
        .route("/settings/export/{what}.{format}", web::get().to(download));
}

/// What was just done (`?done=`): a fixed sentence, never request text.
#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
}

impl Done {
    fn notice(&self, t: Texts) -> Option<String> {
        match self.done.as_deref()? {
            "saved" => Some(t.get("settings-saved")),
            "notifications" => Some(t.get("settings-notifications-saved")),
            "ended" => Some(t.get("settings-session-ended")),
            "revoked" => Some(t.get("settings-app-revoked")),
            _ => None,
        }
    }
}

/// What every settings page shows around its content (`app.html`).
struct Frame<'a> {
    t: Texts,
    instance_name: &'a str,
    username: String,
    csrf_token: String,
    notice: Option<String>,
}

impl<'a> Frame<'a> {
    fn new(
        ctx: &'a AppContext,
        req: &HttpRequest,
        web_session: &WebSession,
        user: &LocalUser,
        done: &Done,
    ) -> Self {
        let t = Texts::of(req);
        Frame {
            t,
            instance_name: &ctx.settings.instance.name,
            username: user.account.username.clone(),
            csrf_token: web_session.csrf_token.clone(),
            notice: done.notice(t),
        }
    }
}

/// Run a settings page for the signed-in employee: not signed in, to the sign-in page (back
/// to `here` after); what fails, as a readable page.
async fn signed_in<F>(ctx: &AppContext, req: &HttpRequest, here: &str, page: F) -> HttpResponse
where
    F: AsyncFnOnce(WebSession, LocalUser) -> Result<HttpResponse>,
{
    let result = async {
        let Some((web_session, user)) = session::current(ctx, req).await? else {
            return Ok(sign_in_first(here));
        };
        page(web_session, user).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(ctx, Texts::of(req), &e))
}

/// Like [`signed_in`], for a form: its CSRF token must be the session's (else 403, nothing
/// done).
async fn posted<F>(
    ctx: &AppContext,
    req: &HttpRequest,
    here: &str,
    csrf_token: &str,
    action: F,
) -> HttpResponse
where
    F: AsyncFnOnce(WebSession, LocalUser) -> Result<HttpResponse>,
{
    signed_in(ctx, req, here, async |web_session, user| {
        if !same_secret(csrf_token, &web_session.csrf_token) {
            return form_expired(ctx, Texts::of(req));
        }
        action(web_session, user).await
    })
    .await
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to.to_string()))
        .finish()
}

/// `GET /settings`
async fn index() -> HttpResponse {
    see_other("/settings/profile")
}

fn when(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn iso(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------
// Profile
// ---------------------------------------------------------------------------------------------

/// The default visibilities an employee may choose, with what each means here.
fn visibilities(t: Texts) -> [(Visibility, String, String); 4] {
    [
        (
            Visibility::Public,
            t.get("visibility-public"),
            t.get("profile-visibility-public-hint"),
        ),
        (
            Visibility::Unlisted,
            t.get("profile-visibility-unlisted"),
            t.get("profile-visibility-unlisted-hint"),
        ),
        (
            Visibility::Local,
            t.get("profile-visibility-local"),
            t.get("profile-visibility-local-hint"),
        ),
        (
            Visibility::Private,
            t.get("visibility-private"),
            t.get("profile-visibility-private-hint"),
        ),
    ]
}

struct Choice {
    value: &'static str,
    label: String,
    hint: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "settings/profile.html")]
struct ProfilePage<'a> {
    t: Texts,
    instance_name: &'a str,
    username: String,
    csrf_token: String,
    notice: Option<String>,
    display_name: String,
    note: String,
    avatar: String,
    header: String,
    directory_fields: Vec<accounts::OwnField>,
    /// The editable fields: the employee's own, then empty ones up to the limit.
    own_fields: Vec<accounts::OwnField>,
    discoverable: bool,
    locked: bool,
    privacy: Vec<Choice>,
    sensitive: bool,
    language: String,
    languages: &'static [(&'static str, &'static str)],
    max_display_name: usize,
    max_note: usize,
    max_field: usize,
    max_image_mb: usize,
}

/// `GET /settings/profile`
async fn profile(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<Done>,
) -> HttpResponse {
    signed_in(
        &ctx,
        &req,
        "/settings/profile",
        async |web_session, user| {
            let frame = Frame::new(&ctx, &req, &web_session, &user, &q);
            let (directory_fields, mut own_fields): (Vec<_>, Vec<_>) = accounts::own_fields(&user)
                .into_iter()
                .partition(|f| f.from_directory);
            while directory_fields.len() + own_fields.len() < accounts::MAX_FIELDS {
                own_fields.push(accounts::OwnField {
                    name: String::new(),
                    value: String::new(),
                    from_directory: false,
                });
            }
            let current = user.user.default_visibility.clone().unwrap_or_else(|| {
                ctx.settings
                    .instance
                    .default_visibility
                    .as_str()
                    .to_string()
            });
            let account = &user.account;
            render(
                StatusCode::OK,
                &ProfilePage {
                    t: frame.t,
                    instance_name: frame.instance_name,
                    username: frame.username,
                    csrf_token: frame.csrf_token,
                    notice: frame.notice,
                    display_name: account.display_name.clone(),
                    note: account
                        .note_source
                        .clone()
                        .unwrap_or_else(|| crate::service::text::plain_text(&account.note)),
                    avatar: account
                        .avatar_url
                        .clone()
                        .unwrap_or_else(|| "/static/avatar.png".into()),
                    header: account
                        .header_url
                        .clone()
                        .unwrap_or_else(|| "/static/header.png".into()),
                    directory_fields,
                    own_fields,
                    discoverable: account.discoverable,
                    locked: account.locked,
                    privacy: visibilities(frame.t)
                        .into_iter()
                        .map(|(v, label, hint)| Choice {
                            value: v.as_str(),
                            label,
                            hint,
                            checked: v.as_str() == current,
                        })
                        .collect(),
                    sensitive: user.user.default_sensitive,
                    language: user.user.default_language.clone().unwrap_or_default(),
                    languages: languages::ISO_639_1,
                    max_display_name: accounts::MAX_DISPLAY_NAME_CHARS,
                    max_note: accounts::MAX_NOTE_CHARS,
                    max_field: accounts::MAX_FIELD_CHARS,
                    max_image_mb: ctx.settings.limits.max_image_bytes / (1024 * 1024),
                },
            )
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
struct FieldForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

/// The profile form (`multipart/form-data`, for the pictures).
#[derive(Debug, Deserialize)]
struct ProfileForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    note: String,
    /// `fields[][name]`, `fields[][value]`: the editable fields, in order.
    #[serde(default)]
    fields: Vec<FieldForm>,
    /// Checkboxes: absent when not ticked.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    discoverable: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    sensitive: Option<bool>,
    #[serde(default)]
    privacy: String,
    #[serde(default)]
    language: String,
}

impl FileFields for ProfileForm {
    const FILES: &'static [&'static str] = &["avatar", "header"];
}

/// `POST /settings/profile`: the whole profile at once, as `update_credentials` takes it.
async fn save_profile(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    form: std::result::Result<ParamsWithFiles<ProfileForm>, Error>,
) -> HttpResponse {
    let ParamsWithFiles(form, files) = match form {
        Ok(form) => form,
        Err(e) => return error_page(&ctx, Texts::of(&req), &e),
    };
    posted(
        &ctx,
        &req,
        "/settings/profile",
        &form.csrf_token,
        async |_, user| {
            let mut images = Vec::new();
            // A file input left empty still sends an empty part.
            for file in files.iter().filter(|f| f.size > 0) {
                let which = if file.field == "avatar" {
                    ProfileImage::Avatar
                } else {
                    ProfileImage::Header
                };
                images.push((which, file.path().to_path_buf()));
            }
            let update = ProfileUpdate {
                display_name: Some(form.display_name),
                note: Some(form.note),
                locked: Some(form.locked.unwrap_or(false)),
                bot: None,
                discoverable: Some(form.discoverable.unwrap_or(false)),
                fields: Some(
                    form.fields
                        .into_iter()
                        .map(|f| FieldInput {
                            name: f.name,
                            value: f.value,
                        })
                        .collect(),
                ),
                // No choice sent (none ticked): the default stays as it is.
                privacy: Some(form.privacy.trim())
                    .filter(|p| !p.is_empty())
                    .map(str::parse)
                    .transpose()?,
                sensitive: Some(form.sensitive.unwrap_or(false)),
                language: Some(form.language),
                avatar_url: None,
                header_url: None,
            };
            accounts::update_credentials(&ctx, user, update, images).await?;
            drop(files);
            Ok(see_other("/settings/profile?done=saved"))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------------

struct PolicyRow {
    name: &'static str,
    label: String,
    hint: String,
    value: &'static str,
}

#[derive(Template)]
#[template(path = "settings/notifications.html")]
struct NotificationsPage<'a> {
    t: Texts,
    instance_name: &'a str,
    username: String,
    csrf_token: String,
    notice: Option<String>,
    rows: Vec<PolicyRow>,
    pending_requests: i64,
}

/// `GET /settings/notifications`: the notification policy (`GET /api/v2/notifications/policy`).
async fn notifications(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<Done>,
) -> HttpResponse {
    signed_in(
        &ctx,
        &req,
        "/settings/notifications",
        async |web_session, user| {
            let me = user.account.id;
            let (policy, summary) = ctx
                .db
                .read(move |conn| Ok((requests::policy(conn, me)?, requests::summary(conn, me)?)))
                .await?;
            let frame = Frame::new(&ctx, &req, &web_session, &user, &q);
            let t = frame.t;
            let rows = vec![
                PolicyRow {
                    name: "for_not_following",
                    label: t.get("notification-policy-not-following"),
                    hint: t.get("notification-policy-not-following-hint"),
                    value: policy.for_not_following.as_str(),
                },
                PolicyRow {
                    name: "for_not_followers",
                    label: t.get("notification-policy-not-followers"),
                    hint: t.get("notification-policy-not-followers-hint"),
                    value: policy.for_not_followers.as_str(),
                },
                PolicyRow {
                    name: "for_new_accounts",
                    label: t.get("notification-policy-new-accounts"),
                    hint: t.get("notification-policy-new-accounts-hint"),
                    value: policy.for_new_accounts.as_str(),
                },
                PolicyRow {
                    name: "for_private_mentions",
                    label: t.get("notification-policy-private-mentions"),
                    hint: t.get("notification-policy-private-mentions-hint"),
                    value: policy.for_private_mentions.as_str(),
                },
                PolicyRow {
                    name: "for_limited_accounts",
                    label: t.get("notification-policy-limited"),
                    hint: t.get("notification-policy-limited-hint"),
                    value: policy.for_limited_accounts.as_str(),
                },
            ];
            render(
                StatusCode::OK,
                &NotificationsPage {
                    t: frame.t,
                    instance_name: frame.instance_name,
                    username: frame.username,
                    csrf_token: frame.csrf_token,
                    notice: frame.notice,
                    rows,
                    pending_requests: summary.pending_requests_count,
                },
            )
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
struct PolicyForm {
    csrf_token: String,
    for_not_following: Option<String>,
    for_not_followers: Option<String>,
    for_new_accounts: Option<String>,
    for_private_mentions: Option<String>,
    for_limited_accounts: Option<String>,
}

/// `POST /settings/notifications` (`PATCH /api/v2/notifications/policy`).
async fn save_notifications(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    form: web::Form<PolicyForm>,
) -> HttpResponse {
    let form = form.into_inner();
    posted(
        &ctx,
        &req,
        "/settings/notifications",
        &form.csrf_token,
        async |_, user| {
            let me = user.account.id;
            let change = PolicyChange {
                for_not_following: form.for_not_following,
                for_not_followers: form.for_not_followers,
                for_new_accounts: form.for_new_accounts,
                for_private_mentions: form.for_private_mentions,
                for_limited_accounts: form.for_limited_accounts,
            };
            ctx.db
                .write(move |conn| requests::update_policy(conn, me, &change))
                .await?;
            Ok(see_other("/settings/notifications?done=notifications"))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Sessions and apps
// ---------------------------------------------------------------------------------------------

struct SessionRow {
    id: i64,
    device: String,
    user_agent: String,
    started: String,
    started_iso: String,
    /// When it was last seen, if that was recorded after it started.
    last_seen: Option<(String, String)>,
    company_sign_in: bool,
    current: bool,
}

struct AppRow {
    grant: String,
    name: String,
    website: Option<String>,
    scopes: String,
    created: String,
    created_iso: String,
    last_used: Option<(String, String)>,
    tokens: usize,
}

#[derive(Template)]
#[template(path = "settings/sessions.html")]
struct SessionsPage<'a> {
    t: Texts,
    instance_name: &'a str,
    username: String,
    csrf_token: String,
    notice: Option<String>,
    sessions: Vec<SessionRow>,
    apps: Vec<AppRow>,
}

/// `GET /settings/sessions`: browser sessions and authorised apps.
async fn sessions_page(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<Done>,
) -> HttpResponse {
    signed_in(
        &ctx,
        &req,
        "/settings/sessions",
        async |web_session, user| {
            let user_id = user.user.id;
            let (found, apps) = ctx
                .db
                .read(move |conn| {
                    Ok((
                        sessions::of_user(conn, user_id)?,
                        tokens::authorised_apps(conn, user_id)?,
                    ))
                })
                .await?;
            let frame = Frame::new(&ctx, &req, &web_session, &user, &q);
            let sessions = found
                .into_iter()
                .map(|s| {
                    let user_agent = s.user_agent.clone().unwrap_or_default();
                    SessionRow {
                        id: s.id,
                        device: sessions::describe_user_agent(&user_agent)
                            .unwrap_or_else(|| frame.t.get("sessions-unknown-browser")),
                        user_agent,
                        started: when(s.created_at),
                        started_iso: iso(s.created_at),
                        last_seen: (s.last_seen_at > s.created_at)
                            .then(|| (when(s.last_seen_at), iso(s.last_seen_at))),
                        company_sign_in: s.oidc_sid.is_some(),
                        current: s.id == web_session.id,
                    }
                })
                .collect();
            let apps = apps
                .into_iter()
                .map(|a| AppRow {
                    grant: a.grant.key(),
                    name: a.name,
                    website: a.website,
                    scopes: a.scopes.join(" "),
                    created: when(a.created_at),
                    created_iso: iso(a.created_at),
                    last_used: a.last_used_at.map(|t| (when(t), iso(t))),
                    tokens: a.tokens,
                })
                .collect();
            render(
                StatusCode::OK,
                &SessionsPage {
                    t: frame.t,
                    instance_name: frame.instance_name,
                    username: frame.username,
                    csrf_token: frame.csrf_token,
                    notice: frame.notice,
                    sessions,
                    apps,
                },
            )
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
struct EndSessionForm {
    csrf_token: String,
    session: i64,
}

/// `POST /settings/sessions/end`: sign one of the employee's browsers out; this one too,
/// which then goes to the sign-in page (or the identity provider's sign-out, as "Sign out").
async fn end_session(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    form: web::Form<EndSessionForm>,
) -> HttpResponse {
    posted(
        &ctx,
        &req,
        "/settings/sessions",
        &form.csrf_token,
        async |web_session, user| {
            let (user_id, session_id) = (user.user.id, form.session);
            ctx.db
                .write(move |conn| sessions::end_own_session(conn, user_id, session_id))
                .await?;
            if session_id != web_session.id {
                return Ok(see_other("/settings/sessions?done=ended"));
            }
            // This browser: signed out as by "Sign out", at the identity provider too.
            let target = super::pages::provider_sign_out(&ctx, &user).await;
            super::pages::signed_out(&ctx, target.as_deref().unwrap_or("/auth/sign_in"))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    csrf_token: String,
    grant: String,
}

/// `POST /settings/apps/revoke`: every token of one app (or one personal token) revoked.
async fn revoke_app(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    form: web::Form<RevokeForm>,
) -> HttpResponse {
    posted(
        &ctx,
        &req,
        "/settings/sessions",
        &form.csrf_token,
        async |_, user| {
            let (user_id, grant) = (user.user.id, Grant::parse(&form.grant)?);
            ctx.db
                .write(move |conn| tokens::revoke_grant(conn, user_id, grant))
                .await?;
            Ok(see_other("/settings/sessions?done=revoked"))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "settings/export.html")]
struct ExportPage<'a> {
    t: Texts,
    instance_name: &'a str,
    username: String,
    csrf_token: String,
    notice: Option<String>,
}

/// `GET /settings/export`
async fn export_page(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<Done>,
) -> HttpResponse {
    signed_in(&ctx, &req, "/settings/export", async |web_session, user| {
        let frame = Frame::new(&ctx, &req, &web_session, &user, &q);
        render(
            StatusCode::OK,
            &ExportPage {
                t: frame.t,
                instance_name: frame.instance_name,
                username: frame.username,
                csrf_token: frame.csrf_token,
                notice: frame.notice,
            },
        )
    })
    .await
}

/// `GET /settings/export/{posts|follows|bookmarks}.{json|csv}`: a download, written as it is
/// read (see `service::exports`).
async fn download(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (what, format) = path.into_inner();
    signed_in(&ctx, &req, "/settings/export", async |_, user| {
        let (what, format) = (Export::parse(&what)?, Format::parse(&format)?);
        let file = exports::file_name(
            what,
            format,
            &user.account.username,
            chrono::Utc::now().date_naive(),
        );
        let body = exports::stream(
            ctx.db.clone(),
            user.account.id,
            what,
            format,
            ctx.settings.instance.clone(),
        )
        .map(|piece| piece.map(web::Bytes::from));
        Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header((
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ))
            .insert_header(("Cache-Control", "no-store"))
            .streaming(body))
    })
    .await
}
