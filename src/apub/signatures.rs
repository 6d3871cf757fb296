//! HTTP signature checks the federation library does not do for us: signed GETs (it checks
//! signatures only together with a body digest, which GETs do not carry) and the date window
//! of inbox POSTs.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use activitypub_federation::fetch::object_id::ObjectId;
use actix_web::HttpRequest;
use base64::Engine;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use url::Url;

use crate::apub::FedData;
use crate::apub::objects::ApubActor;
use crate::error::{Error, Result};

/// A signature (its `Date` or `created`) older than this is refused, as the library does.
pub const MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// How far ahead of our clock a sender's may be.
pub const MAX_CLOCK_AHEAD: Duration = Duration::from_secs(5 * 60);

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A parameter of the `Signature` header (`keyId`, `headers`, …).
fn param<'a>(signature: &'a str, name: &str) -> Option<&'a str> {
    signature.split(',').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

/// The actor a `keyId` belongs to (`…/users/bob#main-key` → `…/users/bob`). GoToSocial's keys
/// are a path of their own (`…/users/bob/main-key`, serving only a stub of the actor), so that
/// suffix is dropped too.
pub fn key_owner(signature: &str) -> Result<Url> {
    let key_id = param(signature, "keyId")
        .ok_or_else(|| Error::unauthorized("The signature has no keyId"))?;
    let mut url = Url::parse(key_id)
        .map_err(|_| Error::unauthorized("The signature's keyId is not a URL"))?;
    url.set_fragment(None);
    if let Some(owner) = url.path().strip_suffix("/main-key").map(String::from)
        && !owner.is_empty()
    {
        url.set_path(&owner);
    }
    Ok(url)
}

/// The key that signed an activity must be its actor's own (`keyId` names the actor's key):
/// a key of anyone else, even of the same department, proves nothing about what this actor
/// said. Checked before the actor is fetched; 403, as for any actor/object mismatch.
pub fn check_key_owner(signature: &str, actor: &Url) -> Result<()> {
    if key_owner(signature)? != *actor {
        return Err(Error::forbidden(
            "The signing key belongs to another actor than the activity's",
        ));
    }
    Ok(())
}

/// The request must be signed over its date (or `created`), and that date must be recent and
/// not ahead of our clock.
pub fn check_date(req: &HttpRequest) -> Result<()> {
    let signature = header(req, "signature")
        .ok_or_else(|| Error::unauthorized("This request must carry an HTTP signature"))?;
    let signed: Vec<&str> = param(signature, "headers")
        .unwrap_or("date")
        .split_whitespace()
        .collect();
    let now = SystemTime::now();
    let when = if signed.contains(&"date") {
        let date = header(req, "date")
            .ok_or_else(|| Error::unauthorized("The signed Date header is missing"))?;
        httpdate::parse_http_date(date)
            .map_err(|_| Error::unauthorized("The Date header is not an HTTP date"))?
    } else if signed.contains(&"(created)") {
        let created: u64 = param(signature, "created")
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| Error::unauthorized("The signature's created time is missing"))?;
        SystemTime::UNIX_EPOCH + Duration::from_secs(created)
    } else {
        return Err(Error::unauthorized(
            "The signature must cover the Date header or (created)",
        ));
    };
    if when > now + MAX_CLOCK_AHEAD {
        return Err(Error::unauthorized(
            "The request's date is in the future (check the sender's clock)",
        ));
    }
    if when + MAX_AGE < now {
        return Err(Error::unauthorized("The request's signature has expired"));
    }
    Ok(())
}

/// The signature must cover the request it came with: `(request-target)` (method and path) and
/// `host`, which must be this department, and on a POST also the body's `digest`. Otherwise a
/// signature captured from one request would open every other path for its lifetime.
pub fn check_coverage(req: &HttpRequest, signature: &str, our_domain: &str) -> Result<()> {
    let signed: Vec<String> = param(signature, "headers")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let mut required = vec!["(request-target)", "host"];
    if req.method() == actix_web::http::Method::POST {
        required.push("digest");
    }
    if let Some(missing) = required.iter().find(|h| !signed.iter().any(|s| s == *h)) {
        return Err(Error::unauthorized(format!(
            "The HTTP signature must cover {} (it does not cover {missing})",
            required.join(", ")
        )));
    }
    let host = header(req, "host").unwrap_or_default();
    if !host.eq_ignore_ascii_case(our_domain) {
        return Err(Error::unauthorized(
            "The request is signed for another host than this department",
        ));
    }
    Ok(())
}

/// Verify a signed GET and return the signing actor (fetched if unknown). Unsigned requests,
/// actors outside the policy, signatures that do not cover the request, and bad signatures
/// are refused.
pub async fn verify_get(req: &HttpRequest, data: &FedData) -> Result<ApubActor> {
    let signature = header(req, "signature").ok_or_else(|| {
        Error::unauthorized(
            "Signed fetch is required: sign this request as an actor of an allowed department",
        )
    })?;
    let owner = key_owner(signature)?;
    data.policy.check_url(&owner).await?;
    check_coverage(req, signature, data.settings.instance.domain.as_str())?;
    check_date(req)?;
    let actor: ApubActor = ObjectId::<ApubActor>::from(owner.clone())
        .dereference(data)
        .await?;
    if verify_with(req, signature, &actor.account.public_key_pem).is_ok() {
        return Ok(actor);
    }
    // The key may have been rotated since we stored it: fetch the actor again, once.
    let actor: ApubActor = ObjectId::<ApubActor>::from(owner)
        .dereference_forced(data)
        .await?;
    verify_with(req, signature, &actor.account.public_key_pem)?;
    Ok(actor)
}

/// Check the signature against `(request-target)` with the query, as the draft says, and, for
/// a request with a query, without it: Mastodon signs its GETs over the path only (so does
/// Fedify's verifier read them), e.g. when it pages through a collection (`?page=1`).
fn verify_with(req: &HttpRequest, signature: &str, public_key_pem: &str) -> Result<()> {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| req.path().to_string());
    let result = verify_target(req, signature, public_key_pem, &path_and_query);
    if result.is_err() && path_and_query != req.path() {
        return verify_target(req, signature, public_key_pem, req.path());
    }
    result
}

fn verify_target(
    req: &HttpRequest,
    signature: &str,
    public_key_pem: &str,
    target: &str,
) -> Result<()> {
    let mut headers = BTreeMap::new();
    for (name, value) in req.headers() {
        if let Ok(value) = value.to_str() {
            headers.insert(name.as_str().to_string(), value.to_string());
        }
    }
    if !headers.contains_key("host") {
        let host = req.connection_info().host().to_string();
        headers.insert("host".into(), host);
    }
    headers.insert("signature".into(), signature.to_string());
    let config = http_signature_normalization::Config::new().set_expiration(MAX_AGE);
    let unverified = config
        .begin_verify(req.method().as_str(), target, headers)
        .map_err(|e| Error::unauthorized(format!("The HTTP signature is invalid: {e}")))?;
    let key = RsaPublicKey::from_public_key_pem(public_key_pem)
        .map_err(|_| Error::unauthorized("The actor's public key cannot be read"))?;
    let valid = unverified.verify(|signature, signing_string| {
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature) else {
            return false;
        };
        key.verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signing_string.as_bytes()),
            &signature,
        )
        .is_ok()
    });
    if valid {
        Ok(())
    } else {
        Err(Error::unauthorized("The HTTP signature is invalid"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_owner_drops_the_fragment() {
        let sig = r#"keyId="https://sales.example/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="abc=""#;
        assert_eq!(
            key_owner(sig).unwrap().as_str(),
            "https://sales.example/users/bob"
        );
        assert_eq!(param(sig, "headers"), Some("(request-target) host date"));
    }

    #[test]
    fn key_owner_drops_gotosocials_main_key_path() {
        let sig = r#"keyId="https://gts.example/users/turtle/main-key",algorithm="hs2019",headers="(request-target) host date",signature="abc=""#;
        assert_eq!(
            key_owner(sig).unwrap().as_str(),
            "https://gts.example/users/turtle"
        );
    }
}
