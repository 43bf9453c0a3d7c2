//! Search benchmark: a generated corpus of lessons in the six UN languages (~2 KB each), indexed
//! by this crate and by SQLite FTS5 (the SQLite bundled with sqlx), and the same fixed query set
//! run against both, one query at a time, in one process.
//!
//! ```sh
//! cargo run --release -p academy-search --example search-bench -- --lessons 10200 --seconds 20
//! ```
//!
//! `--write-content DIR` only writes the corpus as a content folder (for `academy import`) and a
//! wrk Lua script of the queries; `crates/academy-search/bench.sh` uses it to load the API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::indexing_slicing
)]

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use academy_courses::{catalog::Catalog, content, import, vocab::Language};
use academy_search::{SearchIndex, SearchRequest, plain_text};
use academy_testing::{Backend, TestDb};
use clap::Parser;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

#[derive(Parser)]
struct Args {
    /// Lessons to generate, spread evenly over the six languages.
    #[arg(long, default_value_t = 10_200)]
    lessons: usize,
    /// Time budget per engine for the query loop (at least three rounds run).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Hits per query (both engines return this many, with snippets).
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Write the corpus and a wrk script of the queries into this folder, then stop.
    #[arg(long)]
    write_content: Option<PathBuf>,
}

/// The fixed query set: (language, query). Quotes make phrases; a query without a trailing
/// space has its last word matched as a prefix; some words are misspelt or inflected.
const QUERIES: &[(&str, &str)] = &[
    ("en", "universal periodic review "),
    ("en", "urgent appeal "),
    ("en", "\"special rapporteur\" "),
    ("en", "stakeholder submis"),
    ("en", "recommendations follow-up "),
    ("en", "reprisals against defenders "),
    ("en", "treaty body shadow report "),
    ("en", "recomendation "),
    ("fr", "examen périodique universel "),
    ("fr", "société civile "),
    ("fr", "recommandations acceptées "),
    ("fr", "défenseu"),
    ("es", "examen periódico universal "),
    ("es", "sociedad civil "),
    ("es", "recomendaciones "),
    ("es", "defensor"),
    ("ru", "правозащитникам "),
    ("ru", "срочное обращение "),
    ("ru", "специальный докладчик "),
    ("ru", "гражданского общества "),
    ("ar", "المدافعين "),
    ("ar", "نداء عاجل "),
    ("ar", "المقرر الخاص "),
    ("ar", "المجتمع المدني "),
    ("zh", "人权维护者 "),
    ("zh", "紧急呼吁 "),
    ("zh", "特别报告员 "),
    ("zh", "公民社会 "),
];

const ARABIC: &str = "المدافعون المدافعين حقوق الإنسان نداء عاجل النداءات العاجلة المقرر الخاص \
    المجتمع المدني الحكومة الدولة الدول الاستعراض الدوري الشامل مجلس الأمم المتحدة التوصيات \
    الانتقام الانتهاكات التعذيب الاحتجاز البلاغات الإجراءات الخاصة هيئات المعاهدات التقرير \
    التقارير الموازية المنظمات غير الحكومية جنيف الدورة الحوار التفاعلي الحماية السلامة الضحايا \
    الشهود المعلومات السرية اللجنة الولاية الزيارة القطرية المتابعة التنفيذ في من إلى على عن مع \
    هذا التي الذي هو هي كان يمكن يجب بعد قبل خلال حول أيضا كل بين";
const RUSSIAN: &str = "правозащитники правозащитников правозащитникам права человека срочное \
    обращение срочные обращения специальный докладчик специальные процедуры гражданское общество \
    гражданского общества правительство государство государства универсальный периодический обзор \
    совет ООН рекомендации рекомендаций репрессии нарушения пытки задержание сообщения договорные \
    органы доклад альтернативный доклад неправительственные организации Женева сессия \
    интерактивный диалог защита безопасность жертвы свидетели информация конфиденциально комитет \
    мандат визит в страну последующие меры выполнение в и на с по о для не что это как который \
    также все между после до во время может должен";
const CHINESE: &str = "人权维护者 人权 紧急呼吁 特别报告员 特别程序 公民社会 政府 国家 普遍定期审议 \
    理事会 联合国 建议 报复 侵权行为 酷刑 拘留 来文 条约机构 报告 影子报告 非政府组织 日内瓦 \
    会议 互动对话 保护 安全 受害者 证人 信息 保密 委员会 任务 国别访问 后续行动 执行 的 和 在 是 \
    了 与 对 为 有 向 也 都 之间 之后 之前 期间 可以 应该 如何 提交 发出 面临 风险 损害";

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A skewed pick: frequent words come first in the vocabulary.
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((u * u) * n as f64) as usize % n.max(1)
    }
}

/// Words of the shipped lessons in `language`, most frequent first.
fn harvested(language: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../courses");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for course in std::fs::read_dir(&root).unwrap().flatten() {
        let Ok(files) = std::fs::read_dir(course.path().join(language)) else {
            continue;
        };
        for file in files.flatten() {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            for word in text.split(|c: char| !c.is_alphanumeric() && c != '-') {
                if word.chars().count() >= 2 && !word.chars().all(|c| c.is_ascii_digit()) {
                    *counts.entry(word.to_owned()).or_default() += 1;
                }
            }
        }
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.1));
    words.into_iter().map(|(w, _)| w).collect()
}

fn vocabulary(language: &str) -> Vec<String> {
    match language {
        "ar" => ARABIC.split_whitespace().map(str::to_owned).collect(),
        "ru" => RUSSIAN.split_whitespace().map(str::to_owned).collect(),
        "zh" => CHINESE.split_whitespace().map(str::to_owned).collect(),
        other => harvested(other),
    }
}

fn sentence(rng: &mut Rng, words: &[String], language: &str) -> String {
    let n = 8 + rng.below(10);
    let picked: Vec<&str> = (0..n)
        .map(|_| words[rng.skewed(words.len())].as_str())
        .collect();
    match language {
        "zh" => format!("{}。", picked.concat()),
        _ => {
            let mut s = picked.join(" ");
            if let Some(first) = s.chars().next() {
                let upper: String = first.to_uppercase().collect();
                s.replace_range(..first.len_utf8(), &upper);
            }
            s.push('.');
            s
        }
    }
}

/// Writes the corpus as a content folder: per language, courses of 100 lessons.
fn write_corpus(dir: &Path, lessons: usize) {
    let languages = ["ar", "zh", "en", "fr", "es", "ru"];
    let per_language = lessons.div_ceil(languages.len());
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mechanisms = [
        "human-rights-council",
        "universal-periodic-review",
        "treaty-bodies",
        "special-procedures",
        "reprisals",
        "ohchr",
    ];
    for language in languages {
        let words = vocabulary(language);
        for course in 0..per_language.div_ceil(100) {
            let count = (per_language - course * 100).min(100);
            let slug = format!("bench-{language}-{course}");
            let folder = dir.join(&slug);
            std::fs::create_dir_all(folder.join(language)).unwrap();
            let mut toml = format!(
                "slug = \"{slug}\"\ndefault_language = \"{language}\"\nlevel = \"introductory\"\n\
                 estimated_minutes = {}\nvisibility = \"public\"\norder = {}\nmechanisms = [\"{}\", \"{}\"]\n\n\
                 [title]\n{language} = \"{}\"\n\n[summary]\n{language} = \"{}\"\n",
                count * 10,
                1000 + course,
                mechanisms[rng.below(3)],
                mechanisms[3 + rng.below(3)],
                sentence(&mut rng, &words, language).trim_end_matches(['.', '。']),
                sentence(&mut rng, &words, language),
            );
            for module in 0..count.div_ceil(10) {
                let lessons: Vec<String> = (module * 10..(module * 10 + 10).min(count))
                    .map(|l| format!("\"lesson-{l}\""))
                    .collect();
                let _ = write!(
                    toml,
                    "\n[[modules]]\nslug = \"module-{module}\"\ntitle = {{ {language} = \"{}\" }}\nlessons = [{}]\n",
                    sentence(&mut rng, &words, language).trim_end_matches(['.', '。']),
                    lessons.join(", ")
                );
            }
            std::fs::write(folder.join("course.toml"), toml).unwrap();
            for lesson in 0..count {
                let title_words = 3 + rng.below(4);
                let title: Vec<&str> = (0..title_words)
                    .map(|_| words[rng.skewed(words.len())].as_str())
                    .collect();
                let title = if language == "zh" {
                    title.concat()
                } else {
                    title.join(" ")
                };
                let mut body = String::new();
                while body.len() < 2_000 {
                    for _ in 0..3 {
                        body.push_str(&sentence(&mut rng, &words, language));
                        body.push(' ');
                    }
                    body.push_str("\n\n");
                }
                std::fs::write(
                    folder.join(language).join(format!("lesson-{lesson}.md")),
                    format!("+++\ntitle = \"{title}\"\nminutes = 10\n+++\n\n{body}"),
                )
                .unwrap();
            }
        }
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A wrk script that cycles through the query set on `/api/search`.
fn write_wrk_script(path: &Path) {
    let mut lua = String::from("local queries = {\n");
    for (language, query) in QUERIES {
        let _ = writeln!(
            lua,
            "  \"/api/search?lang={language}&q={}\",",
            percent_encode(query)
        );
    }
    lua.push_str(
        "}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", queries[(i % #queries) + 1])\nend\n",
    );
    std::fs::write(path, lua).unwrap();
}

/// The FTS5 form of a query: each word quoted (FTS5 syntax cannot be injected), quoted text
/// kept as a phrase, the last word as a prefix unless a space follows it; words are ANDed
/// (FTS5's default).
fn fts5_match(query: &str) -> String {
    let quote = |w: &str| format!("\"{}\"", w.replace('"', "\"\""));
    let mut parts = Vec::new();
    for (i, segment) in query.split('"').enumerate() {
        if i % 2 == 1 {
            if !segment.trim().is_empty() {
                parts.push(quote(segment.trim()));
            }
        } else {
            parts.extend(segment.split_whitespace().map(quote));
        }
    }
    let mut expression = parts.join(" ");
    if !query.ends_with(' ') && !query.ends_with('"') {
        expression.push('*');
    }
    expression
}

#[derive(Default)]
struct Timings {
    per_query: Vec<Vec<Duration>>,
    totals: Vec<u64>,
}

impl Timings {
    fn all(&self) -> Vec<Duration> {
        let mut all: Vec<Duration> = self.per_query.iter().flatten().copied().collect();
        all.sort();
        all
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(dir) = &args.write_content {
        std::fs::create_dir_all(dir)?;
        write_corpus(&dir.join("courses"), args.lessons);
        write_wrk_script(&dir.join("queries.lua"));
        println!(
            "wrote {} lessons and queries.lua to {}",
            args.lessons,
            dir.display()
        );
        return Ok(());
    }

    let work = tempfile::tempdir()?;
    let started = Instant::now();
    write_corpus(&work.path().join("courses"), args.lessons);
    let content = content::load_dir(&work.path().join("courses"))
        .map_err(|p| anyhow::anyhow!("the generated corpus is invalid: {:?}", p.0.first()))?;
    let lesson_count: usize = content
        .courses
        .iter()
        .flat_map(|c| &c.modules)
        .map(|m| m.lessons.len())
        .sum();
    let bytes: usize = content
        .courses
        .iter()
        .flat_map(|c| &c.modules)
        .flat_map(|m| &m.lessons)
        .flat_map(|l| l.translations.values())
        .map(|t| t.markdown.len())
        .sum();
    println!(
        "corpus: {lesson_count} lessons, {:.1} MB of Markdown, average {} bytes, generated in {:.1}s",
        bytes as f64 / 1e6,
        bytes / lesson_count.max(1),
        started.elapsed().as_secs_f64()
    );

    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    let started = Instant::now();
    import::import(&db.db, &content, |_, _, _| {}).await?;
    let catalog = Catalog::load(&db.db).await?;
    println!(
        "import and catalog load: {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // Index builds.
    let started = Instant::now();
    let index = SearchIndex::open_or_build(&catalog, &work.path().join("search"))?;
    let tantivy_build = started.elapsed();
    let started = Instant::now();
    let reopened = SearchIndex::open_or_build(&catalog, &work.path().join("search"))?;
    let tantivy_reopen = started.elapsed();
    drop(reopened);

    let conn = &db.db;
    let started = Instant::now();
    conn.execute_unprepared(
        "CREATE VIRTUAL TABLE lesson_fts USING fts5(title, body, lang UNINDEXED, \
         tokenize = 'porter unicode61 remove_diacritics 2')",
    )
    .await?;
    let txn = conn.begin().await?;
    for course in catalog.all_courses() {
        for lesson in &course.lessons {
            for (language, text) in &lesson.translations {
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "INSERT INTO lesson_fts (title, body, lang) VALUES (?, ?, ?)",
                    [
                        text.title.clone().into(),
                        plain_text(&text.markdown).into(),
                        language.as_str().into(),
                    ],
                ))
                .await?;
            }
        }
    }
    txn.commit().await?;
    let fts_build = started.elapsed();
    println!(
        "index build: this index {:.2}s ({} documents; reopening it {:.0} ms), FTS5 {:.2}s",
        tantivy_build.as_secs_f64(),
        index.document_count(),
        ms(tantivy_reopen),
        fts_build.as_secs_f64()
    );

    // Query loops, each bounded by the time budget.
    let budget = Duration::from_secs(args.seconds);
    let mut ours = Timings {
        per_query: vec![Vec::new(); QUERIES.len()],
        totals: vec![0; QUERIES.len()],
    };
    let loop_started = Instant::now();
    let mut rounds = 0;
    while rounds < 3 || loop_started.elapsed() < budget {
        for (i, (language, query)) in QUERIES.iter().enumerate() {
            let request = SearchRequest {
                text: query,
                language: Language::parse(language),
                limit: args.limit,
                ..SearchRequest::default()
            };
            let t = Instant::now();
            let results = index.search(&request)?;
            ours.per_query[i].push(t.elapsed());
            ours.totals[i] = results.total as u64;
        }
        rounds += 1;
    }
    let ours_wall = loop_started.elapsed();
    let ours_rounds = rounds;

    let mut fts = Timings {
        per_query: vec![Vec::new(); QUERIES.len()],
        totals: vec![0; QUERIES.len()],
    };
    let loop_started = Instant::now();
    let mut rounds = 0;
    while rounds < 3 || loop_started.elapsed() < budget {
        for (i, (language, query)) in QUERIES.iter().enumerate() {
            let expression = fts5_match(query);
            let t = Instant::now();
            let rows = conn
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "SELECT rowid, title, snippet(lesson_fts, 1, '<b>', '</b>', '…', 24) AS snippet, \
                     bm25(lesson_fts, 3.0, 1.0) AS score FROM lesson_fts \
                     WHERE lesson_fts MATCH ? AND lang = ? ORDER BY score LIMIT ?",
                    [
                        expression.clone().into(),
                        (*language).into(),
                        (args.limit as i64).into(),
                    ],
                ))
                .await?;
            let count = conn
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "SELECT count(*) AS n FROM lesson_fts WHERE lesson_fts MATCH ? AND lang = ?",
                    [expression.into(), (*language).into()],
                ))
                .await?
                .and_then(|row| row.try_get::<i64>("", "n").ok())
                .unwrap_or(0);
            fts.per_query[i].push(t.elapsed());
            fts.totals[i] = count.max(rows.len() as i64) as u64;
        }
        rounds += 1;
    }
    let fts_wall = loop_started.elapsed();
    let fts_rounds = rounds;

    let q = QUERIES.len() as f64;
    let (a, b) = (ours.all(), fts.all());
    println!();
    println!("| engine | queries/s | p50 ms | p99 ms | index build |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| academy-search (tantivy) | {:.0} | {:.3} | {:.3} | {:.2} s |",
        q * ours_rounds as f64 / ours_wall.as_secs_f64(),
        ms(percentile(&a, 0.5)),
        ms(percentile(&a, 0.99)),
        tantivy_build.as_secs_f64()
    );
    println!(
        "| SQLite FTS5 (porter unicode61) | {:.0} | {:.3} | {:.3} | {:.2} s |",
        q * fts_rounds as f64 / fts_wall.as_secs_f64(),
        ms(percentile(&b, 0.5)),
        ms(percentile(&b, 0.99)),
        fts_build.as_secs_f64()
    );
    println!();
    println!("| lang | query | ours p50 / p99 ms | FTS5 p50 / p99 ms | ours hits | FTS5 hits |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut faster = 0;
    for (i, (language, query)) in QUERIES.iter().enumerate() {
        let mut x = ours.per_query[i].clone();
        let mut y = fts.per_query[i].clone();
        x.sort();
        y.sort();
        if percentile(&x, 0.5) < percentile(&y, 0.5) {
            faster += 1;
        }
        println!(
            "| {language} | `{}` | {:.3} / {:.3} | {:.3} / {:.3} | {} | {} |",
            query.replace('|', "\\|"),
            ms(percentile(&x, 0.5)),
            ms(percentile(&x, 0.99)),
            ms(percentile(&y, 0.5)),
            ms(percentile(&y, 0.99)),
            ours.totals[i],
            fts.totals[i]
        );
    }
    println!();
    println!(
        "rounds: ours {ours_rounds}, FTS5 {fts_rounds}; ours faster at the median on {faster} of {} queries",
        QUERIES.len()
    );
    Ok(())
}
