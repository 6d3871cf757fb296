//! Writing in the browser: the compose box (on the timelines, the thread page for a reply,
//! and `/compose` on its own), editing and deleting one's posts. Text with a content
//! warning, a visibility that says in words whether it stays in the department or goes to
//! the company, up to four images each with its description, and a poll. Posting goes
//! through the same `statuses::post` as an app's; what the policy rules say is shown: a
//! refusal keeps what was written in the form, a held post says why it waits.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::i18n::Texts;
use super::pages::{message_page, render};
use super::shell::{self, Shell, back_to, expired_form};
use crate::config::Settings;
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::http::params::{FileFields, ParamsWithFiles, lenient};
use crate::service::media::{self, MediaDetails};
use crate::service::polls::PollInput;
use crate::service::statuses::{self, Edit, NewPost};
use crate::service::users::LocalUser;
use crate::service::visibility::Visibility;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/compose", web::get().to(compose_page))
        .route("/compose", web::post().to(publish))
        .route("/compose/suggest", web::get().to(suggest))
        .route("/statuses/{id}/edit", web::get().to(edit_page))
        .route("/statuses/{id}/edit", web::post().to(save_edit));
}

/// A choice of the visibility selector: its value, its name, and what it means.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub hint: String,
}

/// The compose box: what it holds, and where it sends.
pub struct ComposeBox {
    pub text: String,
    pub spoiler: String,
    pub visibility: String,
    pub sensitive: bool,
    pub in_reply_to: Option<i64>,
    /// Who the reply answers, for its label.
    pub replying_to: Option<String>,
    /// Editing this post (text and warning only; media and poll stay).
    pub editing: Option<i64>,
    pub kept_media: Vec<i64>,
    pub error: Option<String>,
    pub max_chars: usize,
    pub max_images: usize,
    pub max_alt_chars: usize,
    pub choices: Vec<Choice>,
    /// Where the form comes back to.
    pub return_to: String,
}

impl ComposeBox {
    pub fn new(
        t: Texts,
        user: &LocalUser,
        settings: &Settings,
        reply: Option<(i64, String)>,
    ) -> ComposeBox {
        let domain = settings.instance.domain.as_str();
        ComposeBox {
            text: String::new(),
            spoiler: String::new(),
            visibility: user
                .user
                .default_visibility
                .clone()
                .unwrap_or_else(|| "public".into()),
            sensitive: user.user.default_sensitive,
            replying_to: reply.as_ref().map(|(_, who)| who.clone()),
            in_reply_to: reply.map(|(id, _)| id),
            editing: None,
            kept_media: Vec::new(),
            error: None,
            max_chars: settings.limits.max_status_chars,
            max_images: settings.limits.max_media_attachments.min(4),
            max_alt_chars: settings.limits.max_media_description_chars,
            choices: vec![
                Choice {
                    value: "public",
                    label: t.get("visibility-public"),
                    hint: t.get("compose-visibility-public-hint"),
                },
                Choice {
                    value: "local",
                    label: t.get("visibility-local"),
                    hint: t.with("compose-visibility-local-hint", "department", domain),
                },
                Choice {
                    value: "unlisted",
                    label: t.get("compose-visibility-unlisted"),
                    hint: t.get("compose-visibility-unlisted-hint"),
                },
                Choice {
                    value: "private",
                    label: t.get("visibility-private"),
                    hint: t.get("compose-visibility-private-hint"),
                },
                Choice {
                    value: "direct",
                    label: t.get("visibility-direct"),
                    hint: t.get("compose-visibility-direct-hint"),
                },
            ],
            return_to: "/".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    t: Texts,
    instance_name: String,
    username: String,
    csrf_token: String,
    title: String,
    compose: ComposeBox,
}

#[derive(Debug, Default, Deserialize)]
struct ComposeQuery {
    in_reply_to: Option<String>,
}

/// `GET /compose[?in_reply_to=ID]`: the compose box on a page of its own (for phones, the
/// keyboard shortcut, and replying without the script).
async fn compose_page(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<ComposeQuery>,
) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let mut compose = ComposeBox::new(shell.t, &shell.user, &ctx.settings, None);
        if let Some(id) = q.in_reply_to.as_deref().and_then(|s| s.parse::<i64>().ok()) {
            reply_to(&ctx, &shell, &mut compose, id).await?;
        }
        let title = shell.t.get("compose-new");
        compose_response(StatusCode::OK, shell, compose, title)
    })
    .await
}

/// Make `compose` a reply to status `id` (which the employee must be able to see): it
/// mentions the author (and who they mentioned) and keeps the thread's visibility.
pub async fn reply_to(
    ctx: &AppContext,
    shell: &Shell,
    compose: &mut ComposeBox,
    id: i64,
) -> Result<()> {
    let me = shell.me();
    let view = ctx
        .db
        .read(move |conn| crate::service::views::find_one(conn, Some(me), id))
        .await?;
    let here = ctx.settings.instance.domain.as_str();
    let acct = |a: &crate::db::models::Account| match a.domain.as_deref() {
        Some(d) if d != here => format!("@{}@{d}", a.username),
        _ => format!("@{}", a.username),
    };
    let mut mentions = Vec::new();
    if view.account.id != me {
        mentions.push(acct(&view.account));
    }
    for m in &view.parts.mentions {
        let a = acct(m);
        if m.id != me && !mentions.contains(&a) {
            mentions.push(a);
        }
    }
    compose.text = if mentions.is_empty() {
        String::new()
    } else {
        format!("{} ", mentions.join(" "))
    };
    compose.in_reply_to = Some(id);
    compose.replying_to = Some(acct(&view.account));
    compose.visibility = view.status.visibility.clone();
    compose.spoiler = view.status.spoiler_text.clone();
    Ok(())
}

fn compose_response(
    status: StatusCode,
    shell: Shell,
    compose: ComposeBox,
    title: String,
) -> Result<HttpResponse> {
    render(
        status,
        &ComposePage {
            t: shell.t,
            instance_name: shell.instance_name,
            username: shell.username,
            csrf_token: shell.csrf_token,
            title,
            compose,
        },
    )
}

#[derive(Debug, Deserialize)]
struct ComposeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    spoiler_text: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    visibility: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    in_reply_to_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    return_to: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    sensitive: Option<bool>,
    #[serde(default)]
    alt1: String,
    #[serde(default)]
    alt2: String,
    #[serde(default)]
    alt3: String,
    #[serde(default)]
    alt4: String,
    #[serde(default, deserialize_with = "lenient::string_list")]
    poll_options: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    poll_expires_in: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    poll_multiple: Option<bool>,
}

impl FileFields for ComposeForm {
    const FILES: &'static [&'static str] = &["image1", "image2", "image3", "image4"];
    const TAKES_VIDEO: bool = false;
}

/// `POST /compose` (multipart): post, then back to where the form was (the new post in
/// view); a refusal shows the form again with what was written and why.
async fn publish(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    form: std::result::Result<ParamsWithFiles<ComposeForm>, Error>,
) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let ParamsWithFiles(form, files) = form?;
        if !shell.csrf_ok(&form.csrf_token) {
            return Ok(expired_form(&ctx, shell.t));
        }
        let t = shell.t;
        let return_to = super::pages::safe_return_to(form.return_to.as_deref());
        let in_reply_to_id = form
            .in_reply_to_id
            .as_deref()
            .map(|s| s.parse::<i64>().map_err(|_| Error::not_found()))
            .transpose()?;
        // What was written, to show again if it is refused.
        let mut again = ComposeBox::new(t, &shell.user, &ctx.settings, None);
        again.text = form.status.clone();
        again.spoiler = form.spoiler_text.clone();
        again.in_reply_to = in_reply_to_id;
        again.sensitive = form.sensitive.unwrap_or(false);
        again.return_to = return_to.clone();
        if let Some(v) = form.visibility.clone() {
            again.visibility = v;
        }
        let attempt = async {
            let visibility = form
                .visibility
                .as_deref()
                .map(str::parse::<Visibility>)
                .transpose()?;
            let options: Vec<String> = form
                .poll_options
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
            let poll = (!options.is_empty()).then(|| PollInput {
                options,
                expires_in: Some(form.poll_expires_in.unwrap_or(86_400)),
                multiple: form.poll_multiple.unwrap_or(false),
                hide_totals: false,
            });
            let alts = [&form.alt1, &form.alt2, &form.alt3, &form.alt4];
            let mut media_ids = Vec::new();
            for upload in files.into_iter().filter(|f| f.size > 0) {
                let slot = match upload.field.as_str() {
                    "image1" => 0,
                    "image2" => 1,
                    "image3" => 2,
                    _ => 3,
                };
                let details = MediaDetails {
                    description: Some(alts[slot].trim().to_string()),
                    focus: None,
                };
                let saved = media::upload(&ctx, shell.me(), upload.file, details).await?;
                media_ids.push(saved.id.to_string());
            }
            let post = NewPost {
                text: form.status.clone(),
                in_reply_to_id,
                sensitive: form.sensitive.unwrap_or(false) || !form.spoiler_text.trim().is_empty(),
                spoiler_text: form.spoiler_text.clone(),
                visibility,
                language: shell.user.user.default_language.clone(),
                media_ids,
                poll,
                idempotency_key: None,
                application_id: None,
            };
            statuses::post(&ctx, shell.user.clone(), post).await
        };
        match attempt.await {
            Ok((view, verdict)) => {
                if let Some(held) = verdict.held_by() {
                    return message_page(
                        &ctx,
                        t,
                        StatusCode::ACCEPTED,
                        &t.get("compose-held"),
                        &t.with2(
                            "compose-held-text",
                            "rule",
                            &held.rule,
                            "why",
                            &held.explain,
                        ),
                    );
                }
                if let Some(kept) = verdict.department_only_by()
                    && view.status.visibility != "local"
                    && form.visibility.as_deref() != Some("local")
                {
                    return message_page(
                        &ctx,
                        t,
                        StatusCode::OK,
                        &t.get("compose-kept"),
                        &t.with2(
                            "compose-kept-text",
                            "rule",
                            &kept.rule,
                            "why",
                            &kept.explain,
                        ),
                    );
                }
                let anchor = format!("post-{}", view.status.id);
                Ok(back_to(
                    Some(&return_to),
                    "/",
                    Some("posted"),
                    Some(&anchor),
                ))
            }
            Err(e) if e.kind() != ErrorKind::Internal => {
                again.error = Some(e.message().to_string());
                compose_response(e.kind().status(), shell, again, t.get("compose-new"))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// `GET /statuses/{id}/edit`: the employee's own post in the compose box.
async fn edit_page(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let id: i64 = id.parse().map_err(|_| Error::not_found())?;
        let me = shell.me();
        let view = ctx
            .db
            .read(move |conn| crate::service::views::find_one(conn, Some(me), id))
            .await?;
        if view.status.account_id != me || view.reblog.is_some() {
            return Err(Error::not_found());
        }
        let t = shell.t;
        let mut compose = ComposeBox::new(t, &shell.user, &ctx.settings, None);
        compose.text = view.status.source_text.clone().unwrap_or_default();
        compose.spoiler = view.status.spoiler_text.clone();
        compose.sensitive = view.status.sensitive;
        compose.visibility = view.status.visibility.clone();
        compose.editing = Some(id);
        compose.kept_media = view.parts.media.iter().map(|m| m.id).collect();
        compose.return_to = super::cards::card(&view, &ctx.settings, t).page;
        compose_response(StatusCode::OK, shell, compose, t.get("compose-edit"))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    spoiler_text: String,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    sensitive: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    media_ids: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    return_to: Option<String>,
}

impl FileFields for EditForm {
    const FILES: &'static [&'static str] = &[];
    const TAKES_VIDEO: bool = false;
}

/// `POST /statuses/{id}/edit`
async fn save_edit(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    form: std::result::Result<ParamsWithFiles<EditForm>, Error>,
) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let ParamsWithFiles(form, _) = form?;
        let t = shell.t;
        if !shell.csrf_ok(&form.csrf_token) {
            return Ok(expired_form(&ctx, t));
        }
        let id: i64 = id.parse().map_err(|_| Error::not_found())?;
        let me = shell.me();
        let has_poll = ctx
            .db
            .read(move |conn| {
                Ok(crate::service::views::find_one(conn, Some(me), id)?
                    .parts
                    .has_poll)
            })
            .await?;
        let edit = Edit {
            text: form.status.clone(),
            sensitive: form.sensitive.unwrap_or(false) || !form.spoiler_text.trim().is_empty(),
            spoiler_text: form.spoiler_text.clone(),
            language: shell.user.user.default_language.clone(),
            media_ids: form.media_ids.clone(),
            has_poll,
        };
        match statuses::update(&ctx, shell.user.clone(), id, edit).await {
            Ok((view, verdict)) => {
                if let Some(held) = verdict.held_by() {
                    return message_page(
                        &ctx,
                        t,
                        StatusCode::ACCEPTED,
                        &t.get("compose-edit-held"),
                        &t.with2(
                            "compose-edit-held-text",
                            "rule",
                            &held.rule,
                            "why",
                            &held.explain,
                        ),
                    );
                }
                let page = super::cards::card(&view, &ctx.settings, t).page;
                let anchor = format!("post-{id}");
                Ok(back_to(
                    form.return_to.as_deref(),
                    &page,
                    Some("edited"),
                    Some(&anchor),
                ))
            }
            Err(e) if e.kind() != ErrorKind::Internal => {
                let mut again = ComposeBox::new(t, &shell.user, &ctx.settings, None);
                again.text = form.status;
                again.spoiler = form.spoiler_text;
                again.editing = Some(id);
                again.kept_media = form
                    .media_ids
                    .iter()
                    .filter_map(|m| m.parse().ok())
                    .collect();
                again.error = Some(e.message().to_string());
                again.return_to = super::pages::safe_return_to(form.return_to.as_deref());
                compose_response(e.kind().status(), shell, again, t.get("compose-edit"))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
struct SuggestQuery {
    q: Option<String>,
}

/// How many completions the compose box offers.
const SUGGESTIONS: i64 = 6;

/// `GET /compose/suggest?q=@sa` or `?q=#ru`: completions for the compose box's script —
/// colleagues of every department by name (`@`), hashtags in use (`#`). JSON
/// `[{"value", "label"}]`; signed-in employees only.
async fn suggest(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<SuggestQuery>,
) -> Result<HttpResponse> {
    let Some((_, user)) = super::session::current(&ctx, &req).await? else {
        return Err(Error::new(ErrorKind::Unauthorized, "Sign in first"));
    };
    let raw = q.q.clone().unwrap_or_default();
    let raw = raw.trim();
    let (accounts, hashtags) = match raw.chars().next() {
        Some('@') => (true, false),
        Some('#') => (false, true),
        _ => return Ok(HttpResponse::Ok().json(Vec::<serde_json::Value>::new())),
    };
    let text: String = raw[1..].chars().take(100).collect();
    if text.is_empty() {
        return Ok(HttpResponse::Ok().json(Vec::<serde_json::Value>::new()));
    }
    let settings = ctx.settings.clone();
    let me = user.account.id;
    let found = ctx
        .db
        .read(move |conn| {
            let query = crate::service::search::Query {
                text,
                accounts,
                hashtags,
                limit: SUGGESTIONS,
                ..Default::default()
            };
            crate::service::search::search(conn, &settings, Some(me), &query)
        })
        .await?;
    let mut out: Vec<serde_json::Value> = found
        .accounts
        .iter()
        .map(|a| {
            let who = super::cards::Who::of(a, &ctx.settings);
            serde_json::json!({ "value": who.acct, "label": format!("{} · {}", who.name, who.department) })
        })
        .collect();
    out.extend(found.hashtags.iter().map(
        |t| serde_json::json!({ "value": format!("#{}", t.name), "label": format!("#{}", t.name) }),
    ));
    Ok(HttpResponse::Ok().json(out))
}
