//! The employee pages' texts: Fluent catalogues in `frontend/locales/<language>/*.ftl`,
//! compiled into the binary, English (`en`) the fallback. A page carries the [`Texts`] of
//! its request (the browser's `Accept-Language`, negotiated against the languages the
//! binary has), and templates and handlers look messages up by id: `{{ t.get("nav-home") }}`,
//! `{{ t.with("poll-voters", "count", poll.voters) }}`. Plurals and word order belong to the
//! catalogue (Fluent selectors), not to the code. What a lookup returns is plain text: askama
//! escapes it like any other value.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./frontend/locales",
        fallback_language: "en",
        // Without this every argument gets invisible isolation marks (U+2068, U+2069) around
        // it; our pages are one direction per language, and copied text stays clean.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The language every message exists in.
const FALLBACK: &str = "en";

/// The languages the binary has, in a fixed order (the fallback's entry first).
static AVAILABLE: LazyLock<Vec<&'static LanguageIdentifier>> = LazyLock::new(|| {
    let mut all: Vec<&'static LanguageIdentifier> = LOCALES.locales().collect();
    all.sort_by_key(|l| (l.to_string() != FALLBACK, l.to_string()));
    all
});

/// The texts of one page, in the language chosen for its request.
#[derive(Clone, Copy, Debug)]
pub struct Texts {
    lang: &'static LanguageIdentifier,
}

/// A value a message shows or selects on (`$count`, `$name`): a number or a text.
pub trait Arg {
    fn value(&self) -> FluentValue<'static>;
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            fn value(&self) -> FluentValue<'static> {
                FluentValue::from(*self)
            }
        }
    )*};
}
number_args!(i32, i64, u32, usize);

impl Arg for str {
    fn value(&self) -> FluentValue<'static> {
        FluentValue::from(self.to_string())
    }
}

impl Arg for String {
    fn value(&self) -> FluentValue<'static> {
        self.as_str().value()
    }
}

impl<T: Arg + ?Sized> Arg for &T {
    fn value(&self) -> FluentValue<'static> {
        (**self).value()
    }
}

type Args = HashMap<Cow<'static, str>, FluentValue<'static>>;

impl Texts {
    /// English, the fallback (for what no request chose, and tests).
    pub fn fallback() -> Texts {
        Texts {
            lang: AVAILABLE
                .iter()
                .copied()
                .find(|l| l.to_string() == FALLBACK)
                .unwrap_or(LOCALES.fallback()),
        }
    }

    /// The texts for a browser that sent `accept_language`.
    pub fn for_accept_language(accept_language: &str) -> Texts {
        negotiate(accept_language, &AVAILABLE)
            .map(|lang| Texts { lang })
            .unwrap_or_else(Texts::fallback)
    }

    /// The texts for a request, by its `Accept-Language`.
    pub fn of(req: &HttpRequest) -> Texts {
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Texts::for_accept_language)
            .unwrap_or_else(Texts::fallback)
    }

    /// The language's tag, for `<html lang>`.
    pub fn lang(&self) -> String {
        self.lang.to_string()
    }

    /// The message `id`.
    pub fn get(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with one argument.
    pub fn with(&self, id: &str, name: &'static str, value: impl Arg) -> String {
        self.format(id, Some(&Args::from([(name.into(), value.value())])))
    }

    /// The message `id` with two arguments.
    pub fn with2(
        &self,
        id: &str,
        name: &'static str,
        value: impl Arg,
        name2: &'static str,
        value2: impl Arg,
    ) -> String {
        let args = Args::from([(name.into(), value.value()), (name2.into(), value2.value())]);
        self.format(id, Some(&args))
    }

    fn format(&self, id: &str, args: Option<&Args>) -> String {
        LOCALES
            .try_lookup_complete(self.lang, id, args)
            .unwrap_or_else(|| {
                // The catalogue test keeps this from happening; a page still shows something.
                tracing::warn!(id, lang = %self.lang, "no such message in the catalogue");
                id.to_string()
            })
    }
}

/// `Texts` as a handler's argument: chosen from the request's `Accept-Language`.
impl FromRequest for Texts {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Texts, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Texts::of(req)))
    }
}

/// The language of `available` a browser's `Accept-Language` asks for first: by quality
/// (`q=`), an exact tag, else the same language in another region or script (`de-CH` takes
/// `de`, `pt` takes `pt-BR`). `None` when it asks for none of them.
pub fn negotiate<'a>(
    accept_language: &str,
    available: &[&'a LanguageIdentifier],
) -> Option<&'a LanguageIdentifier> {
    let mut asked: Vec<(f32, LanguageIdentifier)> = accept_language
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let quality = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if tag == "*" || quality <= 0.0 {
                return None;
            }
            Some((quality, tag.parse::<LanguageIdentifier>().ok()?))
        })
        .collect();
    // Stable: equal qualities keep the browser's order.
    asked.sort_by(|a, b| b.0.total_cmp(&a.0));
    asked.iter().find_map(|(_, wanted)| {
        available
            .iter()
            .find(|l| **l == wanted)
            .or_else(|| available.iter().find(|l| l.language == wanted.language))
            .copied()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use fluent_templates::fluent_bundle::{FluentBundle, FluentResource};

    fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_under(&path, ext));
            } else if path.extension().is_some_and(|e| e == ext) {
                found.push(path);
            }
        }
        found.sort();
        found
    }

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The message ids the employee pages look up: `t.get("…")`, `t.with("…", …)` … in the
    /// templates and in `src/web` (the admin console is not translated yet). Lookups always
    /// name their message literally, so this finds them all.
    fn ids_used() -> BTreeSet<(String, String)> {
        let lookup = regex::Regex::new(r#"\bt\s*\.(?:get|with|with2)\(\s*"([^"]*)""#)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut sources = files_under(&root().join("frontend/templates"), "html");
        sources.extend(files_under(&root().join("src/web"), "rs"));
        let mut used = BTreeSet::new();
        for file in sources {
            if file.components().any(|c| c.as_os_str() == "admin") || file.ends_with("i18n.rs") {
                continue;
            }
            let text = read(&file);
            for found in lookup.captures_iter(&text) {
                used.insert((found[1].to_string(), file.display().to_string()));
            }
        }
        used
    }

    /// One language's catalogue as a bundle, and the ids its files define. Every file must
    /// parse without errors and define no id twice (the loader would refuse it).
    fn catalogue(lang: &str) -> (FluentBundle<FluentResource>, BTreeSet<String>) {
        let files = files_under(&root().join("frontend/locales").join(lang), "ftl");
        assert!(!files.is_empty(), "no .ftl files for {lang}");
        let mut bundle = FluentBundle::new(vec![]);
        let mut ids = BTreeSet::new();
        let definition =
            regex::Regex::new(r"(?m)^([a-z][a-z0-9-]*)\s*=").unwrap_or_else(|e| panic!("{e}"));
        for file in files {
            let text = read(&file);
            ids.extend(definition.captures_iter(&text).map(|c| c[1].to_string()));
            let resource = FluentResource::try_new(text).unwrap_or_else(|(_, errors)| {
                panic!("{} does not parse: {errors:?}", file.display())
            });
            if let Err(errors) = bundle.add_resource(resource) {
                panic!("{}: {errors:?}", file.display());
            }
        }
        (bundle, ids)
    }

    #[test]
    fn every_message_used_is_in_the_english_catalogue() {
        let (bundle, defined) = catalogue(FALLBACK);
        let used = ids_used();
        assert!(
            used.len() > 100,
            "the scan found too few lookups: {}",
            used.len()
        );
        for (id, file) in &used {
            assert!(
                bundle.has_message(id),
                "{file} uses {id:?}, which en/*.ftl lacks"
            );
        }
        let used: BTreeSet<&String> = used.iter().map(|(id, _)| id).collect();
        let unused: Vec<&String> = defined.iter().filter(|id| !used.contains(id)).collect();
        assert!(unused.is_empty(), "messages no page uses: {unused:?}");
    }

    #[test]
    fn every_catalogue_parses() {
        for dir in std::fs::read_dir(root().join("frontend/locales"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let lang = dir.file_name().to_string_lossy().to_string();
            assert!(
                lang.parse::<LanguageIdentifier>().is_ok(),
                "{lang} is not a language tag"
            );
            catalogue(&lang);
        }
    }

    #[test]
    fn arguments_and_plurals_come_from_the_catalogue() {
        let t = Texts::fallback();
        assert_eq!(t.lang(), "en");
        assert_eq!(t.get("nav-home"), "Home");
        assert_eq!(t.with("poll-voters", "count", 1), "1 person voted");
        assert_eq!(t.with("poll-voters", "count", 3_i64), "3 people voted");
        // No isolation marks around arguments.
        let who = String::from("Ada");
        assert_eq!(t.with("post-title", "name", &who), "Post by Ada");
    }

    fn ids(tags: &[&str]) -> Vec<LanguageIdentifier> {
        tags.iter().filter_map(|t| t.parse().ok()).collect()
    }

    #[test]
    fn the_browser_language_is_negotiated() {
        let owned = ids(&["en", "de", "fr-CA", "pt-BR"]);
        let available: Vec<&LanguageIdentifier> = owned.iter().collect();
        let chosen = |header: &str| negotiate(header, &available).map(|l| l.to_string());
        assert_eq!(chosen("de"), Some("de".into()));
        assert_eq!(chosen("de-CH, en;q=0.5"), Some("de".into()));
        assert_eq!(chosen("fr"), Some("fr-CA".into()));
        assert_eq!(chosen("pt-br"), Some("pt-BR".into()));
        // Quality orders the wishes, not their place in the header.
        assert_eq!(chosen("en;q=0.4, de;q=0.9"), Some("de".into()));
        assert_eq!(chosen("it, de;q=0.2"), Some("de".into()));
        assert_eq!(chosen("de;q=0, en"), Some("en".into()));
        assert_eq!(chosen("it, ja"), None);
        assert_eq!(chosen("*"), None);
        assert_eq!(chosen(""), None);
        assert_eq!(chosen("not a language!!, en"), Some("en".into()));
    }

    #[test]
    fn a_language_the_binary_lacks_falls_back_to_english() {
        assert_eq!(Texts::for_accept_language("de-DE, de;q=0.9").lang(), "en");
        assert_eq!(Texts::for_accept_language("de").get("nav-home"), "Home");
        assert_eq!(Texts::for_accept_language("en-GB").lang(), "en");
        let req = actix_web::test::TestRequest::default()
            .insert_header(("Accept-Language", "fr-FR, fr;q=0.9"))
            .to_http_request();
        assert_eq!(Texts::of(&req).get("nav-home"), "Home");
    }
}
