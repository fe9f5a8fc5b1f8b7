//! Markdown that operators write, as HTML that is safe to show: raw HTML
//! in the source is shown as text, and the rendered HTML is sanitised
//! (no scripts, event handlers, styles, or `javascript:` and other
//! non-web links), so an announcement can never run code in a reader's
//! browser.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, html};

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"));
    b
});

/// Renders `source` to sanitised HTML.
pub fn render(source: &str) -> String {
    let parser = Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES).map(|e| match e {
        // Raw HTML is not markup here: show it as the text it is.
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, parser);
    CLEANER.clean(&out).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_renders() {
        let h = render("# Hello\n\n**bold** and [a link](https://example.com/x)");
        assert!(h.contains("<h1>Hello</h1>"), "{h}");
        assert!(h.contains("<strong>bold</strong>"), "{h}");
        assert!(
            h.contains(r#"<a href="https://example.com/x" rel="noopener noreferrer nofollow">a link</a>"#),
            "{h}"
        );
    }

    #[test]
    fn malicious_markdown_is_inert() {
        let evil = "<script>alert(1)</script>\n\n[click](javascript:alert(2)) \
            <img src=x onerror=alert(3)> <a href=\"javascript:alert(4)\">x</a>\n\n\
            ![i](javascript:alert(5)) [d](data:text/html;base64,PHNjcmlwdD4=)\n\n<iframe src=//evil></iframe>";
        let h = render(evil);
        // Raw HTML is text (escaped), so every `<` left opens a real tag.
        for tag in h.split('<').skip(1).map(|t| t.split('>').next().unwrap_or_default()) {
            let name = tag.split([' ', '/']).find(|w| !w.is_empty()).unwrap_or_default();
            assert!(["p", "a", "img"].contains(&name), "<{tag}> in {h}");
            for bad in ["javascript:", "data:", "on"] {
                assert!(
                    !tag.split_whitespace().skip(1).any(|a| a.starts_with(bad)),
                    "<{tag}> in {h}"
                );
            }
            assert!(!tag.contains("javascript:") && !tag.contains("data:"), "<{tag}> in {h}");
        }
        // The raw HTML is visible as text.
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }
}
