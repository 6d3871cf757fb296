//! Fetching accounts and posts of other departments on demand, for the service's use cases
//! (see `service::remote`, which decides what to fetch).

use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use url::Url;

use crate::apub::data;
use crate::apub::objects::{ApubActor, ApubNote};
use crate::context::AppContext;
use crate::db::models::Account;
use crate::error::Result;
use crate::service::remote::{Found, Remote};

#[async_trait::async_trait]
impl Remote for AppContext {
    async fn fetch_account(&self, user: &str, domain: &str) -> Result<Account> {
        let data = data(self)?;
        let actor: ApubActor = webfinger_resolve_actor(&format!("{user}@{domain}"), &data).await?;
        Ok(actor.account)
    }

    async fn fetch_url(&self, url: &Url) -> Result<Found> {
        let data = data(self)?;
        if let Ok(note) = ObjectId::<ApubNote>::from(url.clone())
            .dereference(&data)
            .await
        {
            return Ok(Found::Status(Box::new(note.status)));
        }
        let actor: ApubActor = ObjectId::<ApubActor>::from(url.clone())
            .dereference(&data)
            .await?;
        Ok(Found::Account(Box::new(actor.account)))
    }
}
