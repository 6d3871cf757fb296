use serde::Serialize;

use crate::db::models::Application;

/// <https://docs.joinmastodon.org/entities/Application/>
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationEntity {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub scopes: Vec<String>,
    /// Deprecated by Mastodon 4.3 but still read by older clients: the URIs joined by `\n`.
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    /// Deprecated by Mastodon 4.3 (the instance's `configuration.vapid.public_key` replaces
    /// it) but still read by older apps: the Web Push server key.
    pub vapid_key: String,
}

/// The app as its owner sees it; `client_secret` only right after registration.
pub fn application_from_row(
    app: &Application,
    client_secret: Option<String>,
    vapid_key: &str,
) -> ApplicationEntity {
    let uris: Vec<String> = app
        .redirect_uri_list()
        .into_iter()
        .map(String::from)
        .collect();
    ApplicationEntity {
        id: app.id.to_string(),
        name: app.name.clone(),
        website: app.website.clone(),
        scopes: app.scopes.split_whitespace().map(String::from).collect(),
        redirect_uri: uris.join("\n"),
        redirect_uris: uris,
        client_id: Some(app.client_id.clone()),
        client_secret_expires_at: client_secret.as_ref().map(|_| 0),
        client_secret,
        vapid_key: vapid_key.to_string(),
    }
}
