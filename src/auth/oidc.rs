//! The OpenID Connect relying party, on the `openidconnect` crate: discovery, the
//! authorization request (code flow with PKCE, `state` and `nonce`), the code exchange, ID token
//! verification (signature from the JWKS with key rotation, `iss`, `aud`, `azp`, `exp`, `iat`,
//! `nonce`), userinfo, RP-initiated logout URLs and back-channel logout tokens.
//!
//! HTTP goes through the application's reqwest client (redirects off), so the crate's own
//! reqwest is not built. Nothing here touches the database: `service::sso` holds the rules.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AsyncHttpClient, AuthorizationCode, Client, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    HttpClientError, HttpRequest, HttpResponse, IdToken, IdTokenFields, IdTokenVerifier, IssuerUrl,
    JsonWebTokenType, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl,
    RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse, SubjectIdentifier,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::config::OidcSettings;
use crate::error::{Error, ErrorKind, Result};

/// Every claim of a verified token, by name (standard and provider-specific ones alike).
pub type Claims = Map<String, Value>;

/// The event a back-channel logout token must carry.
const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How far the provider's clock may be ahead of ours.
const CLOCK_SKEW_SECS: i64 = 120;
/// ID tokens issued longer ago than this are refused (they are used at once).
const MAX_ID_TOKEN_AGE_SECS: i64 = 10 * 60;
/// Largest response accepted from the provider.
const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;
/// The JWKS is fetched again for an unknown key at most this often (a forged `kid` must not
/// make us hammer the provider).
const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(10);
/// Discovery is retried at most this often after a failure.
const DISCOVERY_RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// Provider-specific claims: everything the standard claims do not name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub other: Map<String, Value>,
}
impl AdditionalClaims for ExtraClaims {}

/// Claims of a back-channel logout token beyond the ID token's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LogoutClaims {
    pub sid: Option<String>,
    pub jti: Option<String>,
    pub events: Option<Map<String, Value>>,
}
impl AdditionalClaims for LogoutClaims {}

type GsIdToken<AC> =
    IdToken<AC, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
type GsTokenResponse = StandardTokenResponse<
    IdTokenFields<
        ExtraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
type GsClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    GsTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Sends the crate's requests with our reqwest client.
#[derive(Clone)]
pub struct HttpClient(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for HttpClient {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(Box::new)?;
            if response
                .content_length()
                .is_some_and(|n| n > MAX_RESPONSE_BYTES)
            {
                return Err(HttpClientError::Other("response too large".into()));
            }
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?;
            if body.len() as u64 > MAX_RESPONSE_BYTES {
                return Err(HttpClientError::Other("response too large".into()));
            }
            builder.body(body.to_vec()).map_err(HttpClientError::Http)
        })
    }
}

/// What discovery found, and the keys currently trusted.
struct Provider {
    metadata: ProviderMetadataWithLogout,
    jwks: CoreJsonWebKeySet,
}

/// A sign-in sent to the provider: where the browser goes and what must come back.
pub struct AuthorizationStart {
    pub url: Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A verified back-channel logout request.
#[derive(Debug, Clone)]
pub struct LogoutToken {
    pub subject: String,
    pub sid: Option<String>,
    pub jti: String,
    pub expires_at: chrono::NaiveDateTime,
}

/// The relying party for one configured provider; shared by all requests.
pub struct OidcClient {
    settings: OidcSettings,
    redirect_uri: RedirectUrl,
    http: HttpClient,
    provider: tokio::sync::RwLock<Option<Arc<Provider>>>,
    last_discovery_failure: Mutex<Option<(Instant, String)>>,
    last_jwks_refresh: Mutex<Option<Instant>>,
}

impl OidcClient {
    /// `base_url` is the instance's public origin; the redirect URI is
    /// `<base_url>/auth/oidc/callback`.
    pub fn new(settings: &OidcSettings, base_url: &Url) -> Result<OidcClient> {
        let redirect = format!(
            "{}/auth/oidc/callback",
            base_url.as_str().trim_end_matches('/')
        );
        let redirect_uri = RedirectUrl::new(redirect).map_err(Error::internal)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("Groundswell/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::internal)?;
        Ok(OidcClient {
            settings: settings.clone(),
            redirect_uri,
            http: HttpClient(http),
            provider: tokio::sync::RwLock::new(None),
            last_discovery_failure: Mutex::new(None),
            last_jwks_refresh: Mutex::new(None),
        })
    }

    pub fn issuer(&self) -> &str {
        self.settings.issuer.trim()
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// Discovery document and keys, fetched once and kept. A failure is reported as an
    /// `Unavailable` error whose message says what went wrong (shown on the sign-in page).
    async fn provider(&self) -> Result<Arc<Provider>> {
        if let Some(p) = self.provider.read().await.as_ref() {
            return Ok(p.clone());
        }
        let mut slot = self.provider.write().await;
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        if let Ok(guard) = self.last_discovery_failure.lock()
            && let Some((at, message)) = guard.as_ref()
            && at.elapsed() < DISCOVERY_RETRY_INTERVAL
        {
            return Err(unavailable(message.clone()));
        }
        match self.discover().await {
            Ok(p) => {
                let p = Arc::new(p);
                *slot = Some(p.clone());
                tracing::info!(issuer = self.issuer(), "OpenID provider discovered");
                Ok(p)
            }
            Err(message) => {
                tracing::warn!(issuer = self.issuer(), error = %message, "OpenID discovery failed");
                if let Ok(mut guard) = self.last_discovery_failure.lock() {
                    *guard = Some((Instant::now(), message.clone()));
                }
                Err(unavailable(message))
            }
        }
    }

    async fn discover(&self) -> std::result::Result<Provider, String> {
        let issuer = IssuerUrl::new(self.issuer().to_string())
            .map_err(|e| format!("`{}` is not a URL: {e}", self.issuer()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                format!(
                    "cannot read {}/.well-known/openid-configuration: {}",
                    self.issuer().trim_end_matches('/'),
                    describe(&e)
                )
            })?;
        let jwks = metadata.jwks().clone();
        Ok(Provider { metadata, jwks })
    }

    /// Check at start that the provider answers; logs and returns the problem if not.
    pub async fn check(&self) -> std::result::Result<(), String> {
        self.provider()
            .await
            .map(|_| ())
            .map_err(|e| e.message().to_string())
    }

    fn client(&self, provider: &Provider) -> GsClient {
        Client::from_provider_metadata(
            provider.metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect_uri.clone())
    }

    /// Where to send the browser to sign in. `force_login` asks the provider to ask again.
    pub async fn start(&self, force_login: bool) -> Result<AuthorizationStart> {
        let provider = self.provider().await?;
        let client = self.client(&provider);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if force_login {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = request.url();
        Ok(AuthorizationStart {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchange the code and return the verified claims of the ID token, completed from the
    /// userinfo endpoint when claims the mapping needs are missing.
    #[tracing::instrument(skip_all)]
    pub async fn finish(&self, code: &str, pkce_verifier: &str, nonce: &str) -> Result<Claims> {
        let provider = self.provider().await?;
        let client = self.client(&provider);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(Error::internal)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(resp) => Error::new(
                    ErrorKind::Unauthorized,
                    "Your identity provider refused the sign-in (the code was not accepted). \
                     Please sign in again.",
                )
                .with_cause(anyhow::anyhow!("token endpoint: {resp:?}")),
                other => unavailable(format!(
                    "the identity provider's token endpoint failed: {}",
                    describe(&other)
                )),
            })?;
        let id_token = response
            .extra_fields()
            .id_token()
            .ok_or_else(|| refused("the provider sent no ID token"))?
            .to_string();
        let expected = Nonce::new(nonce.to_string());
        let mut claims = self
            .verify_with_rotation::<ExtraClaims, _>(&id_token, &[], |claims| {
                nonce_matches(claims, &expected)
            })
            .await?;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if self.needs_userinfo(&claims) && client.user_info_url().is_some() {
            let userinfo = self
                .userinfo(&client, response.access_token().clone(), &subject)
                .await?;
            for (k, v) in userinfo {
                claims.entry(k).or_insert(v);
            }
        }
        Ok(claims)
    }

    fn needs_userinfo(&self, claims: &Claims) -> bool {
        let s = &self.settings;
        [
            &s.username_claim,
            &s.display_name_claim,
            &s.email_claim,
            &s.department_claim,
            &s.groups_claim,
        ]
        .iter()
        .any(|name| !name.is_empty() && !claims.contains_key(name.as_str()))
    }

    async fn userinfo(
        &self,
        client: &GsClient,
        access_token: AccessToken,
        subject: &str,
    ) -> Result<Claims> {
        let request = client
            .user_info(
                access_token,
                Some(SubjectIdentifier::new(subject.to_string())),
            )
            .map_err(Error::internal)?;
        let info: openidconnect::UserInfoClaims<ExtraClaims, CoreGenderClaim> = request
            .request_async(&self.http)
            .await
            .map_err(|e| unavailable(format!("the userinfo endpoint failed: {}", describe(&e))))?;
        to_claims(&info)
    }

    /// Verify a JWT issued by the provider for us, fetching the JWKS again once when it is
    /// signed by a key we do not know yet (key rotation). `extra_types` are JOSE `typ` values
    /// allowed besides the plain JWT ones.
    async fn verify_with_rotation<AC, N>(
        &self,
        jwt: &str,
        extra_types: &[&str],
        check: N,
    ) -> Result<Claims>
    where
        AC: AdditionalClaims + Clone,
        N: Fn(&openidconnect::IdTokenClaims<AC, CoreGenderClaim>) -> Result<(), String>,
    {
        let token: GsIdToken<AC> = jwt.parse().map_err(|e| {
            refused("the token is not a valid JWT").with_cause(anyhow::Error::new(e))
        })?;
        let provider = self.provider().await?;
        match self.verify_once(&provider, &token, extra_types, &check) {
            Err(VerifyError::UnknownKey) => {
                let provider = self.refresh_jwks(&provider).await?;
                match self.verify_once(&provider, &token, extra_types, &check) {
                    Ok(claims) => Ok(claims),
                    Err(e) => Err(e.into_error()),
                }
            }
            Ok(claims) => Ok(claims),
            Err(e) => Err(e.into_error()),
        }
    }

    fn verify_once<AC, N>(
        &self,
        provider: &Provider,
        token: &GsIdToken<AC>,
        extra_types: &[&str],
        check: &N,
    ) -> std::result::Result<Claims, VerifyError>
    where
        AC: AdditionalClaims + Clone,
        N: Fn(&openidconnect::IdTokenClaims<AC, CoreGenderClaim>) -> Result<(), String>,
    {
        use openidconnect::{ClaimsVerificationError, SignatureVerificationError};
        let client_id = self.settings.client_id.clone();
        let mut types = vec![
            JsonWebTokenType::new("JWT".into()),
            JsonWebTokenType::new("application/jwt".into()),
        ];
        types.extend(
            extra_types
                .iter()
                .map(|t| JsonWebTokenType::new(t.to_string())),
        );
        let types: Vec<_> = types.iter().filter_map(|t| t.normalize().ok()).collect();
        // Only asymmetric signatures: never `none`, and no HMAC with the client secret.
        let algs = provider
            .metadata
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|a| {
                !matches!(
                    a,
                    CoreJwsSigningAlgorithm::None
                        | CoreJwsSigningAlgorithm::HmacSha256
                        | CoreJwsSigningAlgorithm::HmacSha384
                        | CoreJwsSigningAlgorithm::HmacSha512
                )
            })
            .cloned()
            .collect::<Vec<_>>();
        let verifier: IdTokenVerifier<'_, CoreJsonWebKey> = IdTokenVerifier::new_public_client(
            ClientId::new(client_id.clone()),
            provider.metadata.issuer().clone(),
            provider.jwks.clone(),
        )
        .set_allowed_algs(if algs.is_empty() {
            vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]
        } else {
            algs
        })
        .set_allowed_jose_types(types)
        .set_time_fn(|| Utc::now() - chrono::Duration::seconds(CLOCK_SKEW_SECS))
        .set_issue_time_verifier_fn(|iat| {
            let now = Utc::now();
            if iat > now + chrono::Duration::seconds(CLOCK_SKEW_SECS) {
                Err(format!("issued in the future ({iat})"))
            } else if iat < now - chrono::Duration::seconds(MAX_ID_TOKEN_AGE_SECS) {
                Err(format!("issued too long ago ({iat})"))
            } else {
                Ok(())
            }
        });
        let claims = token
            .claims(&verifier, |_: Option<&Nonce>| Ok(()))
            .map_err(|e| match e {
                ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                ) => VerifyError::UnknownKey,
                other => VerifyError::Invalid(other.to_string()),
            })?;
        check(claims).map_err(VerifyError::Invalid)?;
        // azp: with several audiences it must be present; when present it must be us.
        let audiences = claims.audiences();
        match claims.authorized_party() {
            Some(azp) if **azp != client_id => {
                return Err(VerifyError::Invalid(format!(
                    "authorized party `{}` is not this client",
                    **azp
                )));
            }
            None if audiences.len() > 1 => {
                return Err(VerifyError::Invalid(
                    "several audiences but no authorized party (azp)".into(),
                ));
            }
            _ => {}
        }
        to_claims(claims).map_err(|e| VerifyError::Invalid(e.to_string()))
    }

    async fn refresh_jwks(&self, current: &Arc<Provider>) -> Result<Arc<Provider>> {
        let allowed = match self.last_jwks_refresh.lock() {
            Ok(mut last) => {
                let ok = last.is_none_or(|at| at.elapsed() >= JWKS_REFRESH_INTERVAL);
                if ok {
                    *last = Some(Instant::now());
                }
                ok
            }
            Err(_) => false,
        };
        if !allowed {
            return Ok(current.clone());
        }
        let jwks = CoreJsonWebKeySet::fetch_async(current.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| {
                unavailable(format!(
                    "cannot fetch the provider's keys: {}",
                    describe(&e)
                ))
            })?;
        tracing::info!(
            issuer = self.issuer(),
            keys = jwks.keys().len(),
            "provider keys refreshed"
        );
        let fresh = Arc::new(Provider {
            metadata: current.metadata.clone(),
            jwks,
        });
        *self.provider.write().await = Some(fresh.clone());
        Ok(fresh)
    }

    /// Verify a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6).
    #[tracing::instrument(skip_all)]
    pub async fn verify_logout_token(&self, jwt: &str) -> Result<LogoutToken> {
        let claims = self
            .verify_with_rotation::<LogoutClaims, _>(jwt, &["logout+jwt"], |claims| {
                let extra = claims.additional_claims();
                if claims.nonce().is_some() {
                    return Err("a logout token must not contain a nonce".into());
                }
                let has_event = extra.events.as_ref().is_some_and(|e| {
                    e.get(BACKCHANNEL_LOGOUT_EVENT)
                        .is_some_and(Value::is_object)
                });
                if !has_event {
                    return Err("the back-channel logout event is missing".into());
                }
                if extra.jti.as_deref().is_none_or(str::is_empty) {
                    return Err("the jti claim is missing".into());
                }
                Ok(())
            })
            .await?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(String::from);
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_i64)
            .and_then(|exp| chrono::DateTime::from_timestamp(exp, 0))
            .map(|t| t.naive_utc())
            .unwrap_or_else(|| Utc::now().naive_utc() + chrono::Duration::minutes(10));
        Ok(LogoutToken {
            subject: text("sub").ok_or_else(|| refused("the logout token names no subject"))?,
            sid: text("sid"),
            jti: text("jti").unwrap_or_default(),
            expires_at,
        })
    }

    /// The provider's end-session URL for RP-initiated logout, if it has one.
    pub async fn end_session_url(&self, post_logout_redirect: &str) -> Option<Url> {
        let provider = self.provider().await.ok()?;
        let endpoint = provider
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.settings.client_id.clone()));
        if let Ok(uri) = PostLogoutRedirectUrl::new(post_logout_redirect.to_string()) {
            request = request.set_post_logout_redirect_uri(uri);
        }
        Some(request.http_get_url())
    }
}

enum VerifyError {
    UnknownKey,
    Invalid(String),
}

impl VerifyError {
    fn into_error(self) -> Error {
        match self {
            VerifyError::UnknownKey => {
                refused("it is signed with a key the provider does not publish")
            }
            VerifyError::Invalid(why) => refused(&why),
        }
    }
}

fn nonce_matches<AC: AdditionalClaims>(
    claims: &openidconnect::IdTokenClaims<AC, CoreGenderClaim>,
    expected: &Nonce,
) -> Result<(), String> {
    use openidconnect::NonceVerifier;
    expected.verify(claims.nonce())
}

fn to_claims(value: &impl Serialize) -> Result<Claims> {
    match serde_json::to_value(value).map_err(Error::internal)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::internal(anyhow::anyhow!("claims are not an object"))),
    }
}

/// The provider's token could not be verified: the client sees a plain sentence, the reason
/// goes to the log.
fn refused(why: &str) -> Error {
    tracing::warn!(reason = why, "OpenID token refused");
    Error::new(
        ErrorKind::Unauthorized,
        "The sign-in response from your identity provider could not be verified. Please sign in again.",
    )
    .with_cause(anyhow::anyhow!("{why}"))
}

/// The provider cannot be used; the message names the problem (it holds no secret).
fn unavailable(message: String) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("The company sign-in is unavailable: {message}."),
    )
}

/// An error and its causes on one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
