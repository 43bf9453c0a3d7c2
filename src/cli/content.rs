//! `academy check` and `academy import`: validating course content and loading it.

use std::{io::IsTerminal, path::Path, process::ExitCode};

use academy_courses::{
    content::{self, lint},
    import::{self, ImportError},
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{Config, app::open_database};

/// Validates `dir`: every problem as `path:line: message` (exit 1), then warnings (advice that
/// does not stop an import).
pub fn check(dir: &Path) -> ExitCode {
    match content::load_dir(dir) {
        Ok(set) => {
            let lessons: usize = set
                .courses
                .iter()
                .flat_map(|c| &c.modules)
                .map(|m| m.lessons.len())
                .sum();
            let warnings = lint::warnings(dir, &set);
            for warning in &warnings {
                println!("{warning}");
            }
            println!(
                "{}: {} courses, {lessons} lessons, all valid{}",
                dir.display(),
                set.courses.len(),
                match warnings.len() {
                    0 => String::new(),
                    n => format!(" ({n} warning(s))"),
                }
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems.0 {
                println!("{problem}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Validates `dir` and imports it in one transaction, with a progress bar on a terminal.
pub async fn import(config: &Config, dir: &Path) -> anyhow::Result<ExitCode> {
    let db = open_database(config).await?;
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} courses {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let outcome = import::import_dir(&db, dir, |done, total, slug| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(slug.to_owned());
    })
    .await;
    bar.finish_and_clear();
    let report = match outcome {
        Ok(report) => report,
        Err(ImportError::Invalid(problems)) => {
            for problem in &problems.0 {
                println!("{problem}");
            }
            eprintln!("nothing imported: fix the problems above first");
            return Ok(ExitCode::FAILURE);
        }
        Err(ImportError::Other(e)) => return Err(e),
    };
    if report.changed {
        println!(
            "imported content version {}: {} course(s) written, {} retired",
            report.short_version(),
            report.written.len(),
            report.retired.len()
        );
    } else {
        println!(
            "content unchanged (version {}): nothing written",
            report.short_version()
        );
    }
    Ok(ExitCode::SUCCESS)
}
