//! Walks a content directory, parses every file and checks the references between them.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use super::{
    ContentSet, Course, Lesson, Module, Problem, Problems, Quiz,
    course_file::{self, CourseFile},
    lesson_file::{self, LessonFile},
    problem::FileProblems,
    quiz_file::{self, QuizFile},
};
use crate::{hash::sha256_hex, vocab::Language};

/// The files of one language folder of a course.
#[derive(Default)]
struct LanguageFiles {
    lessons: BTreeMap<String, LessonFile>,
    quizzes: BTreeMap<String, QuizFile>,
    /// Files found, by slug, with their kind (`false` lesson, `true` quiz), to spot strays.
    present: BTreeMap<(bool, String), PathBuf>,
}

fn problem(found: &mut Vec<Problem>, path: &Path, line: usize, message: impl Into<String>) {
    found.push(Problem {
        path: path.to_owned(),
        line,
        message: message.into(),
    });
}

fn sorted_entries(dir: &Path, found: &mut Vec<Problem>) -> Vec<PathBuf> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            paths.sort();
            paths
        }
        Err(e) => {
            problem(found, dir, 1, format!("cannot read directory: {e}"));
            Vec::new()
        }
    }
}

fn read(path: &Path, found: &mut Vec<Problem>) -> Option<String> {
    fs::read_to_string(path)
        .map_err(|e| problem(found, path, 1, format!("cannot read file: {e}")))
        .ok()
}

/// Reads and validates every course under `root` (one folder per course). On success the whole
/// set is returned; otherwise every problem found, sorted by file and line.
pub fn load_dir(root: &Path) -> Result<ContentSet, Problems> {
    let mut found = Vec::new();
    let mut courses = Vec::new();
    if !root.is_dir() {
        problem(&mut found, root, 1, "not a directory of courses");
        return Err(Problems(found));
    }
    for dir in sorted_entries(root, &mut found) {
        if dir.is_dir()
            && let Some(course) = load_course(&dir, &mut found)
        {
            courses.push(course);
        }
    }
    if courses.is_empty() && found.is_empty() {
        problem(&mut found, root, 1, "no course folders found");
    }
    if !found.is_empty() {
        found.sort();
        return Err(Problems(found));
    }
    courses.sort_by(|a, b| (a.order, &a.slug).cmp(&(b.order, &b.slug)));
    let hash = sha256_hex(
        courses
            .iter()
            .flat_map(|c| [c.slug.as_str().as_bytes(), c.hash.as_bytes()]),
    );
    Ok(ContentSet { courses, hash })
}

fn load_course(dir: &Path, found: &mut Vec<Problem>) -> Option<Course> {
    let folder_name = dir.file_name()?.to_string_lossy().into_owned();
    let meta_path = dir.join("course.toml");
    if !meta_path.is_file() {
        problem(
            found,
            &meta_path,
            1,
            "missing course.toml: every course folder needs one",
        );
        return None;
    }
    let meta_source = read(&meta_path, found)?;
    let mut hashed: Vec<(String, Vec<u8>)> =
        vec![("course.toml".into(), meta_source.clone().into_bytes())];
    let meta = {
        let mut p = FileProblems::new(meta_path.clone(), &meta_source, 0, found);
        course_file::parse(&mut p, &meta_source, &folder_name)
    };

    let mut languages: BTreeMap<Language, LanguageFiles> = BTreeMap::new();
    for entry in sorted_entries(dir, found) {
        let name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if entry.is_dir() {
            match Language::parse(&name) {
                Some(language) => {
                    let files = load_language(&entry, &name, found, &mut hashed);
                    languages.insert(language, files);
                }
                None => problem(
                    found,
                    &entry,
                    1,
                    format!(
                        "unknown language folder `{name}` (expected one of {})",
                        Language::expected()
                    ),
                ),
            }
        } else if name != "course.toml" && name != "README.md" {
            problem(
                found,
                &entry,
                1,
                "unexpected file: a course folder holds course.toml and language folders",
            );
        }
    }
    let meta = meta?;
    assemble(dir, &meta_path, meta, languages, hashed, found)
}

fn load_language(
    dir: &Path,
    language: &str,
    found: &mut Vec<Problem>,
    hashed: &mut Vec<(String, Vec<u8>)>,
) -> LanguageFiles {
    let mut files = LanguageFiles::default();
    for path in sorted_entries(dir, found) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (slug, is_quiz) = if let Some(slug) = name.strip_suffix(".quiz.toml") {
            (slug.to_owned(), true)
        } else if let Some(slug) = name.strip_suffix(".md") {
            (slug.to_owned(), false)
        } else {
            problem(
                found,
                &path,
                1,
                "unexpected file: a language folder holds lessons (*.md) and quizzes (*.quiz.toml)",
            );
            continue;
        };
        let Some(source) = read(&path, found) else {
            continue;
        };
        hashed.push((format!("{language}/{name}"), source.clone().into_bytes()));
        files.present.insert((is_quiz, slug.clone()), path.clone());
        if is_quiz {
            let mut p = FileProblems::new(path, &source, 0, found);
            if let Some(quiz) = quiz_file::parse(&mut p, &source) {
                files.quizzes.insert(slug, quiz);
            }
        } else if let Some(lesson) = lesson_file::parse(path, &source, found) {
            files.lessons.insert(slug, lesson);
        }
    }
    files
}

/// Checks a translated quiz against the default language's: same questions, kinds, choices and
/// answers, same pass mark.
fn check_translation(
    path: &Path,
    original: &QuizFile,
    translated: &QuizFile,
    found: &mut Vec<Problem>,
) {
    if translated.max_attempts != original.max_attempts {
        problem(
            found,
            path,
            translated.pass_mark_line,
            "max_attempts differs from the default language's".to_owned(),
        );
    }
    if translated.pass_mark != original.pass_mark {
        problem(
            found,
            path,
            translated.pass_mark_line,
            format!(
                "pass_mark {} differs from the default language's {}",
                translated.pass_mark, original.pass_mark
            ),
        );
    }
    let count = original.questions.len().max(translated.questions.len());
    for index in 0..count {
        let line = translated
            .lines
            .get(index)
            .or(translated.lines.last())
            .copied()
            .unwrap_or(1);
        match (
            original.questions.get(index),
            translated.questions.get(index),
        ) {
            (Some(o), Some(t)) if o != t => problem(
                found,
                path,
                line,
                format!(
                    "question `{}` does not match question {} of the default language (`{}`): ids, kinds and correct answers must be the same",
                    t.id,
                    index + 1,
                    o.id
                ),
            ),
            (Some(o), Some(_)) => {
                let choice_ids = |q: &QuizFile| {
                    q.text
                        .questions
                        .get(index)
                        .map(|question| {
                            question
                                .choices
                                .iter()
                                .map(|c| c.id.clone())
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default()
                };
                if choice_ids(original) != choice_ids(translated) {
                    problem(
                        found,
                        path,
                        line,
                        format!(
                            "question `{}` has other choice ids than in the default language",
                            o.id
                        ),
                    );
                }
            }
            (Some(o), None) => problem(
                found,
                path,
                line,
                format!("question `{}` of the default language is missing", o.id),
            ),
            (None, Some(t)) => problem(
                found,
                path,
                line,
                format!("question `{}` is not in the default language", t.id),
            ),
            (None, None) => {}
        }
    }
}

/// Takes a lesson's or a quiz's parsed files out of every language folder: the default
/// language's (a missing one is a broken reference, reported at its line of course.toml) and
/// each translation's.
fn take_files<T>(
    languages: &mut BTreeMap<Language, LanguageFiles>,
    default: Language,
    (slug, line, is_quiz): (&crate::vocab::Slug, usize, bool),
    take: &mut impl FnMut(&mut LanguageFiles) -> Option<T>,
    meta_path: &Path,
    found: &mut Vec<Problem>,
) -> Option<(T, Vec<(Language, T)>)> {
    let key = (is_quiz, slug.to_string());
    let (what, file) = if is_quiz {
        ("quiz", format!("{slug}.quiz.toml"))
    } else {
        ("lesson", format!("{slug}.md"))
    };
    if !languages.get(&default)?.present.contains_key(&key) {
        problem(
            found,
            meta_path,
            line,
            format!("{what} `{slug}` has no file {default}/{file}"),
        );
        return None;
    }
    // A course offered in a language has every lesson and quiz in it: no silent fallback.
    for (language, files) in languages.iter() {
        if *language != default && !files.present.contains_key(&key) {
            problem(
                found,
                meta_path,
                line,
                format!(
                    "{what} `{slug}` has no `{language}` translation ({language}/{file}): a \
                     course offered in a language has every lesson and quiz in it"
                ),
            );
        }
    }
    let default_files = languages.get_mut(&default)?;
    // Present but unparsable: its own problem is already recorded.
    let original = take(default_files)?;
    let others = languages
        .iter_mut()
        .filter(|(language, _)| **language != default)
        .filter_map(|(language, files)| take(files).map(|t| (*language, t)))
        .collect();
    Some((original, others))
}

fn assemble(
    dir: &Path,
    meta_path: &Path,
    meta: CourseFile,
    mut languages: BTreeMap<Language, LanguageFiles>,
    mut hashed: Vec<(String, Vec<u8>)>,
    found: &mut Vec<Problem>,
) -> Option<Course> {
    let before = found.len();
    let default = meta.default_language;
    for language in meta.title.keys() {
        if !languages.contains_key(language) {
            problem(
                found,
                meta_path,
                1,
                format!("the course has a title in `{language}` but no `{language}/` folder"),
            );
        }
    }
    for language in languages.keys() {
        if !meta.title.contains_key(language) {
            problem(
                found,
                &dir.join(language.as_str()),
                1,
                format!(
                    "folder `{language}/` has no course title in `{language}`: add it to [title], [summary] and the module titles"
                ),
            );
        }
    }
    let listed: BTreeSet<(bool, String)> = meta
        .modules
        .iter()
        .flat_map(|m| {
            let lessons = m.lessons.iter().map(|(s, _)| (false, s.to_string()));
            lessons.chain(m.quizzes.iter().map(|(s, _)| (true, s.to_string())))
        })
        .collect();
    for files in languages.values() {
        for (key, path) in &files.present {
            if !listed.contains(key) {
                let what = if key.0 { "quiz" } else { "lesson" };
                problem(
                    found,
                    path,
                    1,
                    format!(
                        "{what} `{}` is not listed in any module of course.toml",
                        key.1
                    ),
                );
            }
        }
    }

    let mut modules = Vec::new();
    for module in &meta.modules {
        let mut lessons = Vec::new();
        for (slug, line) in &module.lessons {
            let mut take = |f: &mut LanguageFiles| f.lessons.remove(slug.as_str());
            let Some((original, others)) = take_files(
                &mut languages,
                default,
                (slug, *line, false),
                &mut take,
                meta_path,
                found,
            ) else {
                continue;
            };
            let mut translations = BTreeMap::from([(default, original.text)]);
            translations.extend(
                others
                    .into_iter()
                    .map(|(language, lesson)| (language, lesson.text)),
            );
            lessons.push(Lesson {
                slug: slug.clone(),
                minutes: original.minutes,
                translations,
            });
        }
        let mut quizzes = Vec::new();
        for (slug, line) in &module.quizzes {
            let mut take = |f: &mut LanguageFiles| f.quizzes.remove(slug.as_str());
            let Some((original, others)) = take_files(
                &mut languages,
                default,
                (slug, *line, true),
                &mut take,
                meta_path,
                found,
            ) else {
                continue;
            };
            let mut translations = BTreeMap::new();
            for (language, quiz) in others {
                let path = dir
                    .join(language.as_str())
                    .join(format!("{slug}.quiz.toml"));
                check_translation(&path, &original, &quiz, found);
                translations.insert(language, quiz.text);
            }
            translations.insert(default, original.text);
            quizzes.push(Quiz {
                slug: slug.clone(),
                pass_mark: original.pass_mark,
                max_attempts: original.max_attempts,
                questions: original.questions,
                translations,
            });
        }
        modules.push(Module {
            slug: module.slug.clone(),
            title: module.title.clone(),
            lessons,
            quizzes,
        });
    }
    if found.len() > before {
        return None;
    }
    hashed.sort();
    let hash = sha256_hex(
        hashed
            .iter()
            .flat_map(|(name, bytes)| [name.as_bytes(), b"\0".as_slice(), bytes.as_slice()]),
    );
    Some(Course {
        slug: meta.slug,
        default_language: meta.default_language,
        level: meta.level,
        estimated_minutes: meta.estimated_minutes,
        visibility: meta.visibility,
        order: meta.order,
        mechanisms: meta.mechanisms,
        title: meta.title,
        summary: meta.summary,
        modules,
        hash,
    })
}
