//! Turning the catalog into index documents: every course (cohort-only ones too: a search
//! leaves out the courses its reader may not read), their lessons, and their quizzes'
//! questions and choices (never the answers, never the explanations, which give them away).

use academy_courses::{
    catalog::{Catalog, CourseEntry},
    vocab::Language,
};
use pulldown_cmark::{Event, Parser, TagEnd};
use tantivy::TantivyDocument;

use crate::schema::{Fields, language_id, mechanism_id};

/// Every document of `catalog`'s content.
pub fn documents<'a>(
    catalog: &'a Catalog,
    fields: &'a Fields,
) -> impl Iterator<Item = TantivyDocument> + 'a {
    catalog
        .all_courses()
        .iter()
        .flat_map(move |course| course_documents(course, fields))
}

/// What one document says, before it becomes a tantivy document.
struct Text<'a> {
    kind: &'static str,
    slug: &'a str,
    module: &'a str,
    language: Language,
    title: &'a str,
    body: String,
}

fn course_documents(course: &CourseEntry, fields: &Fields) -> Vec<TantivyDocument> {
    let mut texts = Vec::new();
    for (language, text) in &course.texts {
        texts.push(Text {
            kind: "course",
            slug: "",
            module: "",
            language: *language,
            title: &text.title,
            body: text.summary.clone(),
        });
    }
    for lesson in &course.lessons {
        let module = module_slug(course, lesson.module);
        for (language, text) in &lesson.translations {
            texts.push(Text {
                kind: "lesson",
                slug: &lesson.slug,
                module,
                language: *language,
                title: &text.title,
                body: plain_text(&text.markdown),
            });
        }
    }
    for quiz in &course.quizzes {
        let module = module_slug(course, quiz.module);
        for (language, text) in &quiz.translations {
            let mut body = String::new();
            for question in &text.questions {
                body.push_str(&question.prompt);
                body.push('\n');
                for choice in &question.choices {
                    body.push_str(&choice.text);
                    body.push('\n');
                }
            }
            texts.push(Text {
                kind: "quiz",
                slug: &quiz.slug,
                module,
                language: *language,
                title: &text.title,
                body,
            });
        }
    }
    texts
        .into_iter()
        .map(|text| document(course, fields, text))
        .collect()
}

fn module_slug(course: &CourseEntry, index: usize) -> &str {
    course.modules.get(index).map_or("", |m| m.slug.as_str())
}

fn document(course: &CourseEntry, fields: &Fields, text: Text<'_>) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.kind, text.kind);
    doc.add_text(fields.course, &course.slug);
    doc.add_text(fields.slug, text.slug);
    doc.add_text(fields.module, text.module);
    doc.add_text(fields.language, text.language.as_str());
    doc.add_u64(fields.language_id, language_id(text.language));
    for mechanism in &course.mechanisms {
        doc.add_text(fields.mechanism, mechanism.as_str());
        doc.add_u64(fields.mechanism_id, mechanism_id(*mechanism));
    }
    doc.add_text(fields.level, course.level.as_str());
    let course_title = course.text(text.language).map_or("", |t| t.title.as_str());
    doc.add_text(fields.course_title, course_title);
    let module_title = course
        .modules
        .iter()
        .find(|m| m.slug == text.module)
        .map_or("", |m| m.title(text.language, course.default_language));
    doc.add_text(
        fields.context(text.language),
        format!("{course_title}\n{module_title}"),
    );
    doc.add_text(fields.title(text.language), text.title);
    doc.add_text(fields.body(text.language), text.body);
    doc
}

/// The readable text of a Markdown document: no markup, one line per block.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock,
            ) => out.push('\n'),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_plain_readable_text() {
        let text = plain_text(
            "## The **UPR**\n\nSee [the guide](https://example.org) and `code`.\n\n- one\n- two",
        );
        assert_eq!(text, "The UPR\nSee the guide and code.\none\ntwo\n");
    }
}
