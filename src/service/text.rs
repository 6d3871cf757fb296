//! Text and HTML, in one place.
//!
//! - What an employee typed becomes the HTML clients show ([`render`]): paragraphs and line
//!   breaks, links, @mentions and #hashtags — everything else escaped. Mastodon's markup, so
//!   every client styles it: `<span class="h-card"><a class="u-url mention">`,
//!   `<a class="mention hashtag" rel="tag">`.
//! - HTML becomes text again ([`plain_text`]) for filters, counting and content warnings.
//! - Every sanitizer configuration: HTML from other departments ([`sanitize_remote`]) and
//!   post HTML on our own pages ([`sanitize_for_page`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use linkify::{LinkFinder, LinkKind};
use regex::Regex;

/// Characters a link counts for, whatever its length (Mastodon's rule).
pub const CHARACTERS_PER_URL: usize = 23;

static MENTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(^|[^\w/@])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)(?:@([a-z0-9.-]+[a-z0-9](?::[0-9]+)?))?")
        .expect("valid mention regex")
});

static HASHTAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[^\w/#&)])#(\w*[\p{Alphabetic}_]\w*)").expect("valid hashtag regex")
});

/// A mention as typed: `@alice` or `@alice@sales.corp.example`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MentionRef {
    pub username: String,
    pub domain: Option<String>,
}

/// Where a resolved mention links to.
#[derive(Debug, Clone)]
pub struct MentionLink {
    pub url: String,
    /// Shown after the `@`: the username (Mastodon shows only the username in the link text).
    pub username: String,
}

/// The mentions and hashtags found in a text, in order of first appearance, without repeats.
#[derive(Debug, Default, PartialEq)]
pub struct Scan {
    pub mentions: Vec<MentionRef>,
    /// Hashtag names as typed (without `#`); compare lowercase.
    pub tags: Vec<String>,
}

fn links(text: &str) -> Vec<(usize, usize)> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    finder
        .links(text)
        .filter(|l| {
            let s = l.as_str();
            s.starts_with("http://") || s.starts_with("https://")
        })
        .map(|l| (l.start(), l.end()))
        .collect()
}

/// Find mentions and hashtags outside links.
pub fn scan(text: &str) -> Scan {
    let mut out = Scan::default();
    for segment in non_link_segments(text) {
        for cap in MENTION.captures_iter(segment) {
            let m = MentionRef {
                username: cap[2].to_lowercase(),
                domain: cap.get(3).map(|d| d.as_str().to_lowercase()),
            };
            if !out.mentions.contains(&m) {
                out.mentions.push(m);
            }
        }
        for cap in HASHTAG.captures_iter(segment) {
            let tag = cap[2].to_string();
            if !out.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
                out.tags.push(tag);
            }
        }
    }
    out
}

fn non_link_segments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut pos = 0;
    for (start, end) in links(text) {
        out.push(&text[pos..start]);
        pos = end;
    }
    out.push(&text[pos..]);
    out
}

/// `host[:port]` of a link, lowercase, without a trailing dot.
fn link_host(link: &str) -> Option<String> {
    let url = url::Url::parse(link).ok()?;
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The hosts the links in typed text point to (as [`render`] links them), each once.
pub fn link_hosts_in_text(text: &str) -> Vec<String> {
    let mut hosts: Vec<String> = links(text)
        .into_iter()
        .filter_map(|(start, end)| link_host(&text[start..end]))
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The hosts the links of (sanitized) HTML point to, each once: every `<a href>` but the
/// links of mentions and hashtags, which point to profiles and tag pages.
pub fn link_hosts_in_html(html: &str) -> Vec<String> {
    let mut hosts: Vec<String> = links_in_html(html)
        .iter()
        .filter_map(|link| link_host(link))
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The targets of the links of (sanitized) HTML, in order, each once: every `<a href>` but
/// the links of mentions and hashtags, which point to profiles and tag pages.
pub fn links_in_html(html: &str) -> Vec<String> {
    // ASCII lowercasing keeps every byte offset.
    let lower = html.to_ascii_lowercase();
    let mut links: Vec<String> = Vec::new();
    let mut pos = 0;
    while let Some(found) = lower[pos..].find("<a") {
        let start = pos + found;
        let Some(end) = lower[start..].find('>').map(|e| start + e) else {
            break;
        };
        pos = end + 1;
        let tag = &html[start..end];
        let tag_lower = &lower[start..end];
        if !tag_lower[2..].starts_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let class = attribute(tag, tag_lower, "class").unwrap_or_default();
        if class
            .split_whitespace()
            .any(|c| c == "mention" || c == "hashtag")
        {
            continue;
        }
        if let Some(href) = attribute(tag, tag_lower, "href") {
            let href = html_escape::decode_html_entities(href).trim().to_string();
            if !links.contains(&href) {
                links.push(href);
            }
        }
    }
    links
}

/// The value of attribute `name` in a start tag (quoted with `"` or `'`, or bare).
fn attribute<'a>(tag: &'a str, tag_lower: &str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = tag_lower[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let before_ok = tag_lower[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_whitespace());
        let rest = tag_lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_start = tag.len() - rest.len() + 1;
        let value = tag[value_start..].trim_start();
        let offset = tag.len() - value.len();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let inner = &tag[offset + 1..];
                &inner[..inner.find(q).unwrap_or(inner.len())]
            }
            _ => {
                &value[..value
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(value.len())]
            }
        });
    }
    None
}

/// Length as Mastodon counts it: characters, with each link counting as 23.
pub fn count_chars(text: &str) -> usize {
    let mut count = 0;
    let mut pos = 0;
    for (start, end) in links(text) {
        count += text[pos..start].chars().count() + CHARACTERS_PER_URL;
        pos = end;
    }
    count + text[pos..].chars().count()
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of HTML as a reader sees it: tags dropped (and what `script` and `style` hold,
/// and comments), paragraphs and line breaks kept as newlines, and every character reference
/// decoded once — named (`&amp;`, `&eacute;`) and numeric (`&#39;`, `&#x27;`); a
/// non-breaking space becomes a plain space, so keywords match across it.
///
/// It reads the markup as a flat sequence of tags, never as a tree, so its work is linear
/// however deeply the HTML nests (see [`sanitize_remote`]).
pub fn plain_text(html: &str) -> String {
    // ASCII lowercasing keeps every byte offset, so positions found in `lower` hold in `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut pos = 0;
    while let Some(found) = html[pos..].find('<') {
        let start = pos + found;
        out.push_str(&html[pos..start]);
        if lower[start..].starts_with("<!--") {
            pos = lower[start..]
                .find("-->")
                .map_or(html.len(), |end| start + end + 3);
            continue;
        }
        let Some(end) = html[start..].find('>').map(|end| start + end) else {
            pos = html.len();
            break;
        };
        let tag = lower[start + 1..end].trim();
        let name: &str = tag
            .split(|c: char| c.is_ascii_whitespace() || c == '/')
            .find(|part| !part.is_empty())
            .unwrap_or_default();
        if (name == "br" && !tag.starts_with('/')) || tag == "/p" {
            out.push('\n');
        }
        pos = end + 1;
        if !tag.starts_with('/') && matches!(name, "script" | "style") {
            let close = format!("</{name}");
            pos = match lower[pos..].find(&close) {
                Some(at) => lower[pos + at..]
                    .find('>')
                    .map_or(html.len(), |gt| pos + at + gt + 1),
                None => html.len(),
            };
        }
    }
    out.push_str(&html[pos..]);
    html_escape::decode_html_entities(&out).replace('\u{a0}', " ")
}

/// Render plain text as HTML. `mentions` maps resolved mentions to their links (unresolved
/// ones stay text); hashtags link to `{base}/tags/{name}`.
pub fn render(text: &str, base: &str, mentions: &HashMap<MentionRef, MentionLink>) -> String {
    let text = text.replace("\r\n", "\n");
    let base = base.trim_end_matches('/');
    let mut html = String::new();
    for paragraph in text
        .split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty())
    {
        html.push_str("<p>");
        for (i, line) in paragraph.split('\n').enumerate() {
            if i > 0 {
                html.push_str("<br>");
            }
            render_line(line, base, mentions, &mut html);
        }
        html.push_str("</p>");
    }
    html
}

fn render_line(
    line: &str,
    base: &str,
    mentions: &HashMap<MentionRef, MentionLink>,
    out: &mut String,
) {
    let mut pos = 0;
    for (start, end) in links(line) {
        render_words(&line[pos..start], base, mentions, out);
        let url = &line[start..end];
        let display = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(url);
        let scheme = &url[..url.len() - display.len()];
        out.push_str(&format!(
            "<a href=\"{href}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\"><span class=\"invisible\">{scheme}</span><span class=\"\">{shown}</span><span class=\"invisible\"></span></a>",
            href = escape(url),
            scheme = escape(scheme),
            shown = escape(display),
        ));
        pos = end;
    }
    render_words(&line[pos..], base, mentions, out);
}

/// Escape `text`, turning resolved mentions and hashtags into links.
fn render_words(
    text: &str,
    base: &str,
    mentions: &HashMap<MentionRef, MentionLink>,
    out: &mut String,
) {
    // Collect (start, end, replacement) for mentions and hashtags, then stitch.
    let mut spans: Vec<(usize, usize, String)> = Vec::new();
    for cap in MENTION.captures_iter(text) {
        let whole = cap.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
        let prefix_len = cap[1].len();
        let key = MentionRef {
            username: cap[2].to_lowercase(),
            domain: cap.get(3).map(|d| d.as_str().to_lowercase()),
        };
        if let Some(link) = mentions.get(&key) {
            spans.push((
                whole.0 + prefix_len,
                whole.1,
                format!(
                    "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    escape(&link.url),
                    escape(&link.username)
                ),
            ));
        }
    }
    for cap in HASHTAG.captures_iter(text) {
        let whole = cap.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
        let start = whole.0 + cap[1].len();
        if spans.iter().any(|(s, e, _)| start < *e && whole.1 > *s) {
            continue;
        }
        let tag = &cap[2];
        spans.push((
            start,
            whole.1,
            format!(
                "<a href=\"{base}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                escape(&tag.to_lowercase()),
                escape(tag)
            ),
        ));
    }
    spans.sort_by_key(|s| s.0);
    let mut pos = 0;
    for (start, end, replacement) in spans {
        if start < pos {
            continue;
        }
        out.push_str(&escape(&text[pos..start]));
        out.push_str(&replacement);
        pos = end;
    }
    out.push_str(&escape(&text[pos..]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_hosts_leave_out_mentions_and_hashtags() {
        let html = r#"<p><span class="h-card"><a href="https://sales.example/@bob" class="u-url mention">@<span>bob</span></a></span> see <a href="https://Files.WeTransfer.com/x?a=1&amp;b=2" rel="nofollow">this</a> and <a class="mention hashtag" href="https://eng.example/tags/x">#x</a> <a href='http://localhost:8002/y'>y</a></p>"#;
        assert_eq!(
            link_hosts_in_html(html),
            vec![
                "files.wetransfer.com".to_string(),
                "localhost:8002".to_string()
            ]
        );
        assert_eq!(
            link_hosts_in_text(
                "get it at https://wetransfer.com/abc or http://x.example./y #tag @bob"
            ),
            vec!["wetransfer.com".to_string(), "x.example".to_string()]
        );
        assert!(link_hosts_in_html("<abbr href=\"https://a.example\">a</abbr>").is_empty());
    }

    fn alice() -> HashMap<MentionRef, MentionLink> {
        let mut m = HashMap::new();
        m.insert(
            MentionRef {
                username: "alice".into(),
                domain: None,
            },
            MentionLink {
                url: "https://eng.example/@alice".into(),
                username: "alice".into(),
            },
        );
        m.insert(
            MentionRef {
                username: "bob".into(),
                domain: Some("sales.example".into()),
            },
            MentionLink {
                url: "https://sales.example/@bob".into(),
                username: "bob".into(),
            },
        );
        m
    }

    #[test]
    fn finds_mentions_and_tags_outside_links() {
        let s = scan(
            "Hi @Alice and @bob@Sales.Example! #Rust #rust #123 https://x.example/#anchor a@b.c",
        );
        assert_eq!(
            s.mentions,
            vec![
                MentionRef {
                    username: "alice".into(),
                    domain: None
                },
                MentionRef {
                    username: "bob".into(),
                    domain: Some("sales.example".into())
                },
            ]
        );
        assert_eq!(s.tags, vec!["Rust".to_string()]);
        assert_eq!(
            scan("@bob@localhost:8001 hi").mentions[0].domain.as_deref(),
            Some("localhost:8001")
        );
    }

    #[test]
    fn renders_escaped_html_with_links() {
        let html = render(
            "Hello @alice <b>&</b>\nsee https://docs.example/a?b=1&c=2 #Rust\n\n@nobody ok",
            "https://eng.example",
            &alice(),
        );
        assert_eq!(
            html,
            "<p>Hello <span class=\"h-card\" translate=\"no\"><a href=\"https://eng.example/@alice\" class=\"u-url mention\">@<span>alice</span></a></span> &lt;b&gt;&amp;&lt;/b&gt;<br>\
             see <a href=\"https://docs.example/a?b=1&amp;c=2\" target=\"_blank\" rel=\"nofollow noopener noreferrer\"><span class=\"invisible\">https://</span><span class=\"\">docs.example/a?b=1&amp;c=2</span><span class=\"invisible\"></span></a> \
             <a href=\"https://eng.example/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a></p><p>@nobody ok</p>"
        );
    }

    #[test]
    fn script_injection_is_escaped() {
        let html = render(
            "<script>alert('x')</script>\" onmouseover=",
            "https://e",
            &HashMap::new(),
        );
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;"));
    }

    #[test]
    fn html_becomes_text_with_its_line_breaks() {
        assert_eq!(
            plain_text(
                "<p>Tom &amp; Jerry<br>say <a href=\"x\">#<span>hi</span></a></p><p>bye</p>"
            ),
            "Tom & Jerry\nsay #hi\nbye\n"
        );
        assert_eq!(plain_text("a<BR/>b<br />c</P>"), "a\nb\nc\n");
        // `<bravo>` is not a line break, nor is a closing `</br>`'s absence one.
        assert_eq!(plain_text("a<bravo>b</bravo>"), "ab");
    }

    #[test]
    fn every_character_reference_is_decoded_once() {
        assert_eq!(plain_text("it&#39;s"), "it's");
        assert_eq!(plain_text("it&#x27;s &#X27;"), "it's '");
        assert_eq!(plain_text("&lt;b&gt; &quot;q&quot; &apos;"), "<b> \"q\" '");
        assert_eq!(plain_text("caf&eacute; &euro;5 &#x1F600;"), "café €5 😀");
        assert_eq!(plain_text("a&nbsp;b&#160;c"), "a b c");
        // Decoded once: what was escaped twice stays escaped once.
        assert_eq!(plain_text("&amp;lt;p&amp;gt; &amp;amp;"), "&lt;p&gt; &amp;");
        // Not a reference: left as it is.
        assert_eq!(plain_text("AT&T &unknown; & x"), "AT&T &unknown; & x");
    }

    #[test]
    fn scripts_styles_and_comments_are_not_text() {
        assert_eq!(
            plain_text("a<script type=x>alert('<p>')</script>b<STYLE>p{}</Style>c<!-- <p> -->d"),
            "abcd"
        );
        assert_eq!(plain_text("a<script>never closed"), "a");
        assert_eq!(plain_text("a<!-- never closed"), "a");
        assert_eq!(plain_text("a<b"), "a");
    }

    #[test]
    fn links_count_as_23_characters() {
        assert_eq!(count_chars("hé"), 2);
        assert_eq!(
            count_chars("see https://example.com/a/very/long/path/indeed/yes"),
            4 + 23
        );
    }
}

/// Deepest element nesting of remote HTML that is parsed as HTML; deeper is kept as text.
pub const MAX_REMOTE_HTML_DEPTH: usize = 100;

/// How deeply the elements of `html` nest, roughly as a parser would see it: a closing tag
/// closes up to the innermost open element of its name; void elements never open.
fn nesting_depth(html: &str) -> usize {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    let mut open: Vec<String> = Vec::new();
    let mut deepest = 0;
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let closing = rest.starts_with('/');
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        if closing {
            if let Some(i) = open.iter().rposition(|n| *n == name) {
                open.truncate(i);
            }
        } else if !VOID.contains(&name.as_str()) {
            let self_closing = rest.find('>').is_some_and(|end| rest[..end].ends_with('/'));
            if !self_closing {
                open.push(name);
                deepest = deepest.max(open.len());
                if deepest > MAX_REMOTE_HTML_DEPTH {
                    // Deep enough to decide; stopping keeps this scan linear.
                    break;
                }
            }
        }
    }
    deepest
}

/// Clean HTML from another server (post content, profile notes and fields) down to what
/// Mastodon keeps: paragraphs, line breaks, links, mentions and hashtags, simple formatting.
/// Scripts, styles, images, forms and event handlers are removed; links open safely.
pub fn sanitize_remote(html: &str) -> String {
    use std::collections::HashSet;
    if nesting_depth(html) > MAX_REMOTE_HTML_DEPTH {
        // The HTML parser's work grows with the square of the nesting: no post nests this
        // deep, so keep its text and drop the markup rather than spend minutes of CPU.
        let text = plain_text(html);
        return format!("<p>{}</p>", escape(text.trim()));
    }
    let tags: HashSet<&str> = [
        "p",
        "br",
        "a",
        "span",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
    ]
    .into_iter()
    .collect();
    let classes: HashSet<&str> = [
        "mention",
        "hashtag",
        "h-card",
        "u-url",
        "invisible",
        "ellipsis",
        "quote-inline",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .allowed_classes(
            [("a", classes.clone()), ("span", classes)]
                .into_iter()
                .collect(),
        )
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .clean(html)
        .to_string()
}

/// Post HTML on our own pages. It was made by [`render`] or [`sanitize_remote`], but it is
/// cleaned again before a page shows it: ammonia's defaults, keeping `class` for the styles
/// of mentions and hashtags.
pub fn sanitize_for_page(html: &str) -> String {
    ammonia::Builder::default()
        .add_generic_attributes(["class"])
        .clean(html)
        .to_string()
}

/// A text the department wrote in Markdown (the usage policy), as HTML for pages and clients:
/// CommonMark with tables and strikethrough, then cleaned by ammonia's defaults (raw HTML in
/// the Markdown keeps only what they allow; links get `rel="noopener noreferrer"`).
pub fn render_markdown(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(markdown, options));
    ammonia::Builder::default().clean(&out).to_string()
}

#[cfg(test)]
mod sanitize_tests {
    use super::{sanitize_for_page, sanitize_remote};

    #[test]
    fn markdown_becomes_clean_html() {
        let html = super::render_markdown(
            "# Our policy\n\nBe **kind**; see [the handbook](https://intranet.example/h).\n\n\
             - one\n- two\n\n<script>alert(1)</script><img src=x onerror=y()>",
        );
        assert!(html.contains("<h1>Our policy</h1>"), "{html}");
        assert!(html.contains("<strong>kind</strong>"), "{html}");
        assert!(
            html.contains(r#"href="https://intranet.example/h""#),
            "{html}"
        );
        assert!(html.contains("<li>one</li>"), "{html}");
        assert!(
            !html.contains("script") && !html.contains("onerror"),
            "{html}"
        );
    }

    #[test]
    fn pages_keep_classes_and_lose_scripts() {
        let html = sanitize_for_page(
            r#"<p><a href="https://x/@a" class="u-url mention" onclick="y()">@a</a><script>z()</script></p>"#,
        );
        assert!(html.contains(r#"class="u-url mention""#), "{html}");
        assert!(
            !html.contains("onclick") && !html.contains("script"),
            "{html}"
        );
    }

    #[test]
    fn remote_html_keeps_links_and_loses_scripts() {
        let out = sanitize_remote(
            r#"<p>Hi <a href="https://x/@a" class="u-url mention evil" onclick="steal()">@a</a><script>alert(1)</script><img src=x onerror=y></p><style>p{}</style><a href="javascript:alert(1)">j</a>"#,
        );
        assert!(out.contains(r#"class="u-url mention""#), "{out}");
        assert!(out.contains("https://x/@a"), "{out}");
        assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("img"));
        assert!(!out.contains("javascript"), "{out}");
        assert!(
            out.contains(r#"rel="nofollow noopener noreferrer""#),
            "{out}"
        );
    }

    /// Remote HTML nested far deeper than any post (a crafted Note from an allowed
    /// department) neither overflows a worker's stack nor costs the parser's quadratic time:
    /// beyond a depth its text is kept and its markup dropped. Run on a thread with a small
    /// stack so a recursive walk would fail here.
    #[test]
    fn deeply_nested_remote_html_does_not_overflow_the_stack() {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                for tag in ["span", "blockquote", "b", "div"] {
                    let open = format!("<{tag}>").repeat(100_000);
                    let html = format!("{open}x&lt;y{}", format!("</{tag}>").repeat(100_000));
                    let started = std::time::Instant::now();
                    let out = sanitize_remote(&html);
                    assert!(started.elapsed() < std::time::Duration::from_secs(5));
                    assert_eq!(out, "<p>x&lt;y</p>");
                    // Unclosed tags count too.
                    assert_eq!(sanitize_remote(&format!("{open}z")), "<p>z</p>");
                }
                // Ordinary posts are not affected: siblings do not nest, and void elements
                // or `<br/>` never open.
                let wide = "<p>a<br>b<br/></p>".repeat(10_000);
                assert!(sanitize_remote(&wide).matches("<br>").count() == 20_000);
                let nested = format!(
                    "{}q{}",
                    "<blockquote>".repeat(20),
                    "</blockquote>".repeat(20)
                );
                assert!(sanitize_remote(&nested).contains("<blockquote><blockquote>"));
            })
            .unwrap();
        handle.join().unwrap();
    }
}
