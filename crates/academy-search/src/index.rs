//! Building, persisting and reopening the index of one content version.
//!
//! An index is built from the catalog into `<search_dir>/<content-hash>-s<schema>/`, written to a
//! temporary folder first and renamed into place once complete, so a crash never leaves a half
//! index that a later start would trust. A start finds the folder of the current version and
//! reopens it; any other version's folder is removed.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use academy_courses::catalog::Catalog;
use anyhow::Context;
use tantivy::{
    Index, IndexSettings, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    merge_policy::NoMergePolicy, store::Compressor,
};

use crate::{
    analysis,
    documents::documents,
    schema::{Fields, SCHEMA_VERSION},
    suggest::Suggestions,
};

/// Memory budget of the index writer.
const WRITER_BUDGET_BYTES: usize = 128 * 1024 * 1024;

/// A temporary build folder this old was left by a crash.
const STALE_BUILD: std::time::Duration = std::time::Duration::from_secs(3600);

/// Written last into a finished index folder.
const COMPLETE_MARKER: &str = "academy-complete";

/// A searchable, immutable index of one content version. Cheap to share behind an `Arc`.
pub struct SearchIndex {
    /// The content version indexed; `None` for an empty catalog.
    pub version: Option<String>,
    pub(crate) searcher: Searcher,
    pub(crate) fields: Fields,
    pub(crate) suggestions: Suggestions,
    /// The courses indexed, by slug, with their id and visibility (to leave out what a reader
    /// may not read).
    pub(crate) courses:
        std::collections::BTreeMap<String, (i32, academy_courses::vocab::Visibility)>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("version", &self.version)
            .field("documents", &self.searcher.num_docs())
            .finish()
    }
}

impl SearchIndex {
    /// The index of `catalog`'s content version: reopened from `search_dir` when it was built
    /// before, built (and persisted there) otherwise. An empty catalog is indexed in memory.
    /// Blocking: call it from a blocking task.
    pub fn open_or_build(catalog: &Catalog, search_dir: &Path) -> anyhow::Result<SearchIndex> {
        remove_interrupted_builds(search_dir);
        let Some(version) = catalog.version.as_ref().map(|v| v.hash.clone()) else {
            return Self::build_in_memory(catalog);
        };
        if let Err(e) = std::fs::create_dir_all(search_dir) {
            // A node without a writable data directory still serves search, from memory.
            tracing::warn!(error = %e, "the search directory cannot be created: indexing in memory");
            return Self::build_in_memory(catalog);
        }
        let dir = search_dir.join(format!("{version}-s{SCHEMA_VERSION}"));
        let index = if dir.join(COMPLETE_MARKER).is_file() {
            match open(&dir) {
                Ok(index) => index,
                Err(e) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "the persisted search index is unreadable: rebuilding it"
                    );
                    std::fs::remove_dir_all(&dir)
                        .with_context(|| format!("removing {}", dir.display()))?;
                    build_into(catalog, search_dir, &dir)?
                }
            }
        } else {
            if dir.exists() {
                // Left over by a crash before the marker was written: never trust it.
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("removing {}", dir.display()))?;
            }
            build_into(catalog, search_dir, &dir)?
        };
        remove_other_versions(search_dir, &dir);
        Self::from_index(index, Some(version), catalog)
    }

    /// Builds the index of `catalog` in memory (tests, benchmarks, empty catalogs).
    pub fn build_in_memory(catalog: &Catalog) -> anyhow::Result<SearchIndex> {
        let (schema, fields) = Fields::schema();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_ram()
            .context("creating an index in memory")?;
        analysis::register(&index);
        write(&index, &fields, catalog)?;
        let version = catalog.version.as_ref().map(|v| v.hash.clone());
        Self::from_index(index, version, catalog)
    }

    fn from_index(
        index: Index,
        version: Option<String>,
        catalog: &Catalog,
    ) -> anyhow::Result<SearchIndex> {
        let (_, fields) = Fields::schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("opening a search index reader")?;
        Ok(SearchIndex {
            version,
            searcher: reader.searcher(),
            fields,
            suggestions: Suggestions::from_catalog(catalog),
            courses: catalog
                .all_courses()
                .iter()
                .map(|c| (c.slug.clone(), (c.id, c.visibility)))
                .collect(),
        })
    }

    /// Whether `reader` may read the indexed course `slug`.
    pub(crate) fn readable(&self, slug: &str, reader: &academy_courses::catalog::Reader) -> bool {
        use academy_courses::{catalog::Reader, vocab::Visibility};
        match (self.courses.get(slug), reader) {
            (None, _) => false,
            (Some((_, Visibility::Public)), _) | (Some(_), Reader::Organiser) => true,
            (Some((id, Visibility::Cohort)), Reader::Participant(ids)) => ids.contains(id),
            (Some((_, Visibility::Cohort)), Reader::Anyone) => false,
        }
    }

    /// The indexed courses `reader` may not read.
    pub(crate) fn hidden(&self, reader: &academy_courses::catalog::Reader) -> Vec<&str> {
        self.courses
            .keys()
            .filter(|slug| !self.readable(slug, reader))
            .map(String::as_str)
            .collect()
    }

    /// How many documents (course, lesson and quiz texts in one language each) are indexed.
    pub fn document_count(&self) -> u64 {
        self.searcher.num_docs()
    }
}

fn open(dir: &Path) -> anyhow::Result<Index> {
    let index =
        Index::open_in_dir(dir).with_context(|| format!("opening the index {}", dir.display()))?;
    let (schema, _) = Fields::schema();
    anyhow::ensure!(
        index.schema() == schema,
        "the index in {} has another schema",
        dir.display()
    );
    analysis::register(&index);
    Ok(index)
}

/// Builds into a temporary folder beside `dir`, then renames it into place.
fn build_into(catalog: &Catalog, search_dir: &Path, dir: &Path) -> anyhow::Result<Index> {
    let started = Instant::now();
    let temporary = search_dir.join(format!(
        ".building-{}-{:x}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    let (schema, fields) = Fields::schema();
    let index = Index::builder()
        .schema(schema)
        .settings(settings())
        .create_in_dir(&temporary)
        .with_context(|| format!("creating an index in {}", temporary.display()))?;
    analysis::register(&index);
    let count = write(&index, &fields, catalog)?;
    std::fs::write(temporary.join(COMPLETE_MARKER), b"")
        .with_context(|| format!("finishing {}", temporary.display()))?;
    drop(index);
    if let Err(e) = std::fs::rename(&temporary, dir) {
        // Another process may have finished the same version first: use theirs.
        let _ = std::fs::remove_dir_all(&temporary);
        if !dir.join(COMPLETE_MARKER).is_file() {
            return Err(e).with_context(|| format!("moving the index into {}", dir.display()));
        }
    }
    tracing::info!(
        documents = count,
        millis = started.elapsed().as_millis() as u64,
        "search index built"
    );
    open(dir)
}

/// Index settings: the document store is not compressed. Each hit reads its stored fields, and
/// decompressing a 16 KB block per hit cost more than the rest of reading the hits; the texts
/// are small (26 MB of stored text for the benchmark's 10,200 lessons, read through the page
/// cache).
fn settings() -> IndexSettings {
    IndexSettings {
        docstore_compression: Compressor::None,
        ..IndexSettings::default()
    }
}

/// A few bits that differ between processes and calls, to name temporary folders.
fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn write(index: &Index, fields: &Fields, catalog: &Catalog) -> anyhow::Result<u64> {
    let mut writer: IndexWriter<TantivyDocument> = index
        .writer(WRITER_BUDGET_BYTES)
        .context("opening the index writer")?;
    // No merges in the background: the segments are merged into one below.
    writer.set_merge_policy(Box::new(NoMergePolicy));
    let mut count = 0;
    for doc in documents(catalog, fields) {
        writer
            .add_document(doc)
            .context("adding a document to the index")?;
        count += 1;
    }
    writer.commit().context("committing the index")?;
    // One segment: every search sets up its scorers (and walks the term dictionary for typo and
    // prefix matches) once per segment, so fewer segments make every search cheaper.
    let segments = index
        .searchable_segment_ids()
        .context("listing the index segments")?;
    if segments.len() > 1
        && let Err(e) = writer.merge(&segments).wait()
    {
        // Still a complete index, only slower to search.
        tracing::warn!(error = %e, "the search index segments could not be merged");
    }
    writer
        .wait_merging_threads()
        .context("finishing the index merges")?;
    Ok(count)
}

/// Removes the temporary folders of builds whose process is gone (killed while building):
/// `.building-<pid>-…` where no process `<pid>` runs. Where running processes cannot be listed
/// (no `/proc`), such folders are removed an hour later by [`remove_other_versions`].
fn remove_interrupted_builds(search_dir: &Path) {
    let processes = Path::new("/proc");
    if !processes.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(search_dir) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        let pid = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(".building-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if pid != std::process::id()
            && !processes.join(pid.to_string()).exists()
            && let Err(e) = std::fs::remove_dir_all(&path)
        {
            tracing::warn!(error = %e, "could not remove an interrupted search index build");
        }
    }
}

/// Removes index folders of other versions (best effort: a failure only costs disk space).
fn remove_other_versions(search_dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(search_dir) else {
        return;
    };
    let stale: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p != keep && p.is_dir())
        .filter(|p| {
            // Leave folders that other processes may still be building alone; those older than
            // an hour were left by a crash.
            let building = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".building-"));
            let recent = || {
                std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_none_or(|age| age < STALE_BUILD)
            };
            !building || !recent()
        })
        .collect();
    for path in stale {
        if let Err(e) = std::fs::remove_dir_all(&path) {
            tracing::warn!(error = %e, "could not remove an old search index");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn builds_whose_process_is_gone_are_removed_at_start() {
        let search_dir = tempfile::tempdir().unwrap();
        let dead = search_dir.path().join(".building-999999999-1f");
        let ours = search_dir
            .path()
            .join(format!(".building-{}-2e", std::process::id()));
        let index = search_dir.path().join("abc-s1");
        for dir in [&dead, &ours, &index] {
            std::fs::create_dir_all(dir).unwrap();
        }
        remove_interrupted_builds(search_dir.path());
        assert!(!dead.exists(), "the killed build is removed");
        assert!(ours.exists(), "a build of a running process is left alone");
        assert!(index.exists(), "indexes are not touched");
    }
}
