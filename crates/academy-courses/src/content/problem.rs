//! A problem found in content, reported as `path:line: message`.

use std::{fmt, path::PathBuf};

/// One thing wrong with a content file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file, as reached from the directory given to the loader.
    pub path: PathBuf,
    /// 1-based line number in that file.
    pub line: usize,
    /// What is wrong, for a person editing the file.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// Every problem found in a content directory, sorted by file and line.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the course content, first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
pub struct Problems(pub Vec<Problem>);

/// Collects problems for one file, turning byte offsets into line numbers.
pub(crate) struct FileProblems<'a> {
    pub path: PathBuf,
    source: &'a str,
    /// Added to every line: the lines of the file before `source` starts.
    line_offset: usize,
    pub found: &'a mut Vec<Problem>,
}

impl<'a> FileProblems<'a> {
    pub fn new(
        path: PathBuf,
        source: &'a str,
        line_offset: usize,
        found: &'a mut Vec<Problem>,
    ) -> Self {
        FileProblems {
            path,
            source,
            line_offset,
            found,
        }
    }

    /// The 1-based line of a byte offset into the source.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.source.len());
        self.line_offset
            + 1
            + self
                .source
                .bytes()
                .take(end)
                .filter(|b| *b == b'\n')
                .count()
    }

    /// Records a problem at a byte offset.
    pub fn at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.line_of(offset);
        self.at_line(line, message);
    }

    /// Records a problem at a known line.
    pub fn at_line(&mut self, line: usize, message: impl Into<String>) {
        self.found.push(Problem {
            path: self.path.clone(),
            line,
            message: message.into(),
        });
    }

    /// Records a TOML syntax or shape error.
    pub fn toml(&mut self, error: &toml::de::Error) {
        let offset = error.span().map_or(0, |span| span.start);
        let message = error.message().trim().replace('\n', " ");
        self.at(offset, message);
    }
}
