//! `/admin/rules`: the policy rules (administrators only): list with hit counts, the last
//! matches, create and edit, enable and disable, import and export, and the versions kept.
//! A rule is written with simple fields for the common conditions (keywords, hashtags) and,
//! for the rest, the rule file's `when` table as TOML.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Fields, Nav, done, on_form, on_page, when};
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::service::policy::rules::{self, Action, Condition, Direction, Format, Rule};
use crate::service::policy::store::{self, Changer, MatchFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/rules", web::get().to(list))
        .route("/admin/rules", web::post().to(create))
        .route("/admin/rules/new", web::get().to(new_form))
        .route("/admin/rules/export", web::get().to(export))
        .route("/admin/rules/import", web::post().to(import))
        .route("/admin/rules/{id}", web::get().to(edit_form))
        .route("/admin/rules/{id}", web::post().to(save))
        .route("/admin/rules/{id}/{switch}", web::post().to(switch));
}

const ACTIONS: [(&str, &str); 7] = [
    ("hold", "Hold for review"),
    ("reject", "Refuse (the author is told why)"),
    ("department_only", "Keep in the department"),
    ("strip_media", "Publish without attachments"),
    ("content_warning", "Put behind a content warning"),
    ("sensitive", "Mark media sensitive"),
    ("flag", "Let through and tell the moderators"),
];

fn action_label(action: Action) -> &'static str {
    ACTIONS
        .iter()
        .find(|(key, _)| *key == action.as_str())
        .map(|(_, label)| *label)
        .unwrap_or("")
}

struct RuleRow {
    id: i64,
    name: String,
    action: &'static str,
    directions: String,
    enabled: bool,
    dry_run: bool,
    hits: i64,
    dry_run_hits: i64,
}

struct MatchRow {
    rule: String,
    action: String,
    dry_run: bool,
    direction: String,
    subject: String,
    status_id: Option<i64>,
    when: String,
}

struct VersionRow {
    number: i64,
    summary: String,
    by: String,
    when: String,
}

#[derive(Template)]
#[template(path = "admin/rules.html")]
struct RulesPage {
    nav: Nav,
    version: i64,
    rows: Vec<RuleRow>,
    matches: Vec<MatchRow>,
    versions: Vec<VersionRow>,
    import_text: String,
    import_error: Option<String>,
}

fn directions_text(rule: &Rule) -> String {
    let all = rule.directions();
    if all.len() == Direction::ALL.len() {
        return "everywhere".to_string();
    }
    all.iter()
        .map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn rules_page(
    ctx: &AppContext,
    req: &HttpRequest,
    console: &super::Console,
    import_text: String,
    import_error: Option<String>,
) -> Result<HttpResponse> {
    let nav = console.nav(ctx, "rules", req).await?;
    let (current, hits, matches, versions) = ctx
        .db
        .read(|conn| {
            Ok((
                store::current(conn)?,
                store::hits(conn)?,
                store::matches(
                    conn,
                    &MatchFilter {
                        limit: 20,
                        ..Default::default()
                    },
                )?,
                store::versions(conn, 10)?,
            ))
        })
        .await?;
    let rows = current
        .rules
        .iter()
        .map(|r| {
            let h = hits.get(&r.id).copied().unwrap_or_default();
            RuleRow {
                id: r.id,
                name: r.rule.name.clone(),
                action: action_label(r.rule.action),
                directions: directions_text(&r.rule),
                enabled: r.rule.enabled,
                dry_run: r.rule.dry_run,
                hits: h.hits,
                dry_run_hits: h.dry_run_hits,
            }
        })
        .collect();
    let matches = matches
        .into_iter()
        .map(|m| MatchRow {
            rule: m.rule_name,
            action: m.action.replace('_', " "),
            dry_run: m.dry_run,
            direction: m.direction,
            subject: m.subject,
            status_id: m.status_id,
            when: when(m.created_at),
        })
        .collect();
    let versions = versions
        .into_iter()
        .map(|v| VersionRow {
            number: v.number,
            summary: v.summary,
            by: v.changed_by,
            when: when(v.created_at),
        })
        .collect();
    let status = super::status_for(&import_error);
    super::super::pages::render(
        status,
        &RulesPage {
            nav,
            version: current.number,
            rows,
            matches,
            versions,
            import_text,
            import_error,
        },
    )
}

async fn list(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        rules_page(&ctx, &req, &console, String::new(), None).await
    })
    .await
}

// ------------------------------------------------------------------------------------------
// The rule form
// ------------------------------------------------------------------------------------------

/// The form's values, as entered (kept when the rule is refused, so nothing typed is lost).
#[derive(Default)]
struct RuleForm {
    name: String,
    action: String,
    explain: String,
    warning: String,
    directions: Vec<String>,
    dry_run: bool,
    enabled: bool,
    keywords: String,
    hashtags: String,
    more: String,
}

impl RuleForm {
    fn blank() -> RuleForm {
        RuleForm {
            action: "hold".to_string(),
            directions: Direction::ALL
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
            enabled: true,
            ..Default::default()
        }
    }

    fn of(rule: &Rule) -> Result<RuleForm> {
        let mut rest = rule.when.clone();
        let keywords = rest.keyword.take().unwrap_or_default().join("\n");
        let hashtags = rest.hashtag.take().unwrap_or_default().join(", ");
        let more = if rest == Condition::default() {
            String::new()
        } else {
            toml::to_string(&rest).map_err(Error::internal)?
        };
        Ok(RuleForm {
            name: rule.name.clone(),
            action: rule.action.as_str().to_string(),
            explain: rule.explain.clone(),
            warning: rule.warning.clone().unwrap_or_default(),
            directions: rule
                .directions()
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
            dry_run: rule.dry_run,
            enabled: rule.enabled,
            keywords,
            hashtags,
            more,
        })
    }

    fn from_fields(fields: &Fields) -> RuleForm {
        RuleForm {
            name: fields.get("name").to_string(),
            action: fields.get("action").to_string(),
            explain: fields.get("explain").to_string(),
            warning: fields.get("warning").to_string(),
            directions: fields
                .all("direction")
                .into_iter()
                .map(str::to_string)
                .collect(),
            dry_run: fields.checked("dry_run"),
            enabled: fields.checked("enabled"),
            keywords: fields.get("keywords").to_string(),
            hashtags: fields.get("hashtags").to_string(),
            more: fields.get("more").to_string(),
        }
    }

    /// The rule the form describes, checked like a rule from the API or a file.
    fn rule(&self) -> Result<Rule> {
        let mut when: Condition = if self.more.trim().is_empty() {
            Condition::default()
        } else {
            let table: toml::Table = self.more.parse().map_err(|e: toml::de::Error| {
                Error::unprocessable(format!(
                    "The other conditions are not valid TOML: {}",
                    e.message()
                ))
            })?;
            let value = serde_json::to_value(table).map_err(Error::internal)?;
            serde_json::from_value(value).map_err(|e| {
                Error::unprocessable(format!("The other conditions are not valid: {e}"))
            })?
        };
        let keywords: Vec<String> = self
            .keywords
            .lines()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        if !keywords.is_empty() {
            if when.keyword.is_some() {
                return Err(Error::unprocessable(
                    "Keywords are given twice: in the keyword box and in the other conditions",
                ));
            }
            when.keyword = Some(keywords);
        }
        let hashtags: Vec<String> = self
            .hashtags
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|t| t.trim().trim_start_matches('#'))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        if !hashtags.is_empty() {
            if when.hashtag.is_some() {
                return Err(Error::unprocessable(
                    "Hashtags are given twice: in the hashtag box and in the other conditions",
                ));
            }
            when.hashtag = Some(hashtags);
        }
        let action: Action = serde_json::from_value(serde_json::json!(self.action))
            .map_err(|_| Error::unprocessable("Choose what the rule does"))?;
        let mut directions = Vec::new();
        for d in Direction::ALL {
            if self.directions.iter().any(|s| s == d.as_str()) {
                directions.push(d);
            }
        }
        if directions.is_empty() {
            return Err(Error::unprocessable(
                "Choose at least one way the rule looks at: posts here, from other departments, \
                 or leaving",
            ));
        }
        let rule = Rule {
            name: self.name.trim().to_string(),
            direction: (directions.len() < Direction::ALL.len()).then_some(directions),
            when,
            action,
            explain: self.explain.trim().to_string(),
            warning: Some(self.warning.trim().to_string()).filter(|w| !w.is_empty()),
            dry_run: self.dry_run,
            enabled: self.enabled,
        };
        rules::check_rule(&rule)?;
        Ok(rule)
    }
}

#[derive(Template)]
#[template(path = "admin/rule_form.html")]
struct RuleFormPage {
    nav: Nav,
    /// The rule edited, or `None` for a new one.
    id: Option<i64>,
    form: RuleForm,
    actions: Vec<(&'static str, &'static str)>,
    ways: Vec<(&'static str, &'static str)>,
}

const WAYS: [(&str, &str); 3] = [
    ("local", "Posts and edits written here"),
    ("inbound", "What other departments send"),
    ("outbound", "What would leave the department"),
];

async fn form_page(
    ctx: &AppContext,
    req: &HttpRequest,
    console: &super::Console,
    id: Option<i64>,
    form: RuleForm,
    error: Option<String>,
) -> Result<HttpResponse> {
    let mut nav = console.nav(ctx, "rules", req).await?;
    let status = super::status_for(&error);
    nav.error = error;
    super::super::pages::render(
        status,
        &RuleFormPage {
            nav,
            id,
            form,
            actions: ACTIONS.to_vec(),
            ways: WAYS.to_vec(),
        },
    )
}

async fn new_form(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        form_page(&ctx, &req, &console, None, RuleForm::blank(), None).await
    })
    .await
}

async fn edit_form(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        let key = id.into_inner();
        let found = ctx.db.read(move |conn| store::find(conn, &key)).await?;
        form_page(
            &ctx,
            &req,
            &console,
            Some(found.id),
            RuleForm::of(&found.rule)?,
            None,
        )
        .await
    })
    .await
}

fn changer(console: &super::Console) -> Changer {
    Changer::Admin {
        account_id: console.user.account.id,
    }
}

async fn create(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let form = RuleForm::from_fields(&fields);
        let rule = match form.rule() {
            Ok(rule) => rule,
            Err(e) => {
                return form_page(&ctx, &req, &console, None, form, Some(e.message().into())).await;
            }
        };
        let by = changer(&console);
        match ctx.db.write(move |conn| store::add(conn, rule, &by)).await {
            Ok(_) => Ok(done("/admin/rules", "rule_added")),
            Err(e) if e.kind() == ErrorKind::Unprocessable => {
                form_page(&ctx, &req, &console, None, form, Some(e.message().into())).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

async fn save(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let form = RuleForm::from_fields(&fields);
        let id: i64 = id.parse().map_err(|_| Error::not_found())?;
        let rule = match form.rule() {
            Ok(rule) => rule,
            Err(e) => {
                return form_page(
                    &ctx,
                    &req,
                    &console,
                    Some(id),
                    form,
                    Some(e.message().into()),
                )
                .await;
            }
        };
        let by = changer(&console);
        match ctx
            .db
            .write(move |conn| store::edit(conn, &id.to_string(), rule, &by))
            .await
        {
            Ok(_) => Ok(done("/admin/rules", "rule_saved")),
            Err(e) if e.kind() == ErrorKind::Unprocessable => {
                form_page(
                    &ctx,
                    &req,
                    &console,
                    Some(id),
                    form,
                    Some(e.message().into()),
                )
                .await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

async fn switch(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, _fields| {
        let (id, switch) = path.into_inner();
        let (enabled, flash) = match switch.as_str() {
            "enable" => (true, "rule_enabled"),
            "disable" => (false, "rule_disabled"),
            _ => return Err(Error::not_found()),
        };
        let by = changer(&console);
        ctx.db
            .write(move |conn| store::set_enabled(conn, &id, enabled, &by))
            .await?;
        Ok(done("/admin/rules", flash))
    })
    .await
}

// ------------------------------------------------------------------------------------------
// Import and export
// ------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ExportQuery {
    format: Option<String>,
}

async fn export(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    let q = web::Query::<ExportQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    on_page(&ctx, &req, true, async |_console| {
        let format: Format = q.format.as_deref().unwrap_or("toml").parse()?;
        let current = ctx.db.read(store::current).await?;
        let written: Vec<Rule> = current.rules.into_iter().map(|r| r.rule).collect();
        let text = rules::write_file(&written, format)?;
        let (ext, mime) = match format {
            Format::Toml => ("toml", "application/toml; charset=utf-8"),
            Format::Json => ("json", "application/json"),
        };
        let name = format!(
            "{}-rules-v{}.{ext}",
            ctx.settings.instance.domain.as_str(),
            current.number
        );
        Ok(HttpResponse::Ok()
            .content_type(mime)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .body(text))
    })
    .await
}

/// The pasted (or chosen) rule file replaces the whole rule set, as one new version. A file
/// that cannot be read is shown again with what is wrong.
async fn import(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let text = fields.get("file").to_string();
        let format = if text.trim_start().starts_with('{') {
            Format::Json
        } else {
            Format::Toml
        };
        let parsed = rules::parse_file(&text, format);
        let imported = match parsed {
            Ok(rules) => rules,
            Err(e) => {
                return rules_page(&ctx, &req, &console, text, Some(e.message().into())).await;
            }
        };
        let by = changer(&console);
        match ctx
            .db
            .write(move |conn| store::import(conn, imported, &by))
            .await
        {
            Ok(_) => Ok(done("/admin/rules", "imported")),
            Err(e) if e.kind() == ErrorKind::Unprocessable => {
                rules_page(&ctx, &req, &console, text, Some(e.message().into())).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}
