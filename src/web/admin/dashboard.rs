//! `/admin`: the dashboard.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Nav, ok, on_page};
use crate::context::AppContext;
use crate::service::dashboard::{self, Overview};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(show));
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    nav: Nav,
    overview: Overview,
}

impl DashboardPage {
    /// How far behind a department's deliveries are, for people.
    fn behind(&self, secs: &i64) -> String {
        super::duration(*secs)
    }
}

async fn show(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    on_page(&ctx, &req, false, async |console| {
        let nav = console.nav(&ctx, "dashboard", &req).await?;
        let overview = ctx.db.read(dashboard::overview).await?;
        ok(&DashboardPage { nav, overview })
    })
    .await
}
