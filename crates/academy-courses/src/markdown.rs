//! Markdown to sanitised HTML for lessons.

use pulldown_cmark::{Options, Parser, html};

/// Renders CommonMark (with tables, footnotes and strikethrough) and strips anything unsafe:
/// scripts, event handlers, raw HTML that is not plain formatting, `javascript:` links.
pub fn to_safe_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&rendered)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_markdown_and_strips_scripts() {
        let html = to_safe_html(
            "## Title\n\nSome **bold** text.<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n| a |\n|---|\n| b |\n",
        );
        assert!(html.contains("<h2>Title</h2>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(!html.contains("script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
