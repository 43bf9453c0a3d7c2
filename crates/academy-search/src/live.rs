//! The index the application serves from: the one of the loaded catalog, swapped atomically
//! when the content changes, so that a search sees the old content or the new, never half.

use std::{
    path::PathBuf,
    sync::{Arc, OnceLock},
};

use academy_courses::catalog::Catalog;
use anyhow::Context;
use arc_swap::ArcSwapOption;

use crate::SearchIndex;

/// The current search index, shared by all requests.
#[derive(Default)]
pub struct LiveIndex {
    current: ArcSwapOption<SearchIndex>,
    /// Where indexes are persisted; set by the first [`LiveIndex::load`].
    dir: OnceLock<PathBuf>,
}

impl LiveIndex {
    /// Opens (or builds) the index of `catalog` under `dir` and serves it.
    pub async fn load(&self, catalog: Arc<Catalog>, dir: PathBuf) -> anyhow::Result<()> {
        let dir = self.dir.get_or_init(|| dir).clone();
        let index = tokio::task::spawn_blocking(move || SearchIndex::open_or_build(&catalog, &dir))
            .await
            .context("the search index task failed")??;
        self.current.store(Some(Arc::new(index)));
        Ok(())
    }

    /// Makes the index follow `catalog`: opens or builds the index of its content version
    /// (unless it is already served) and swaps it in. Without a directory (no
    /// [`LiveIndex::load`] yet), the index is built in memory.
    pub async fn follow(&self, catalog: Arc<Catalog>) -> anyhow::Result<()> {
        let wanted = catalog.version.as_ref().map(|v| v.hash.clone());
        if self
            .current
            .load()
            .as_ref()
            .is_some_and(|index| index.version == wanted)
        {
            return Ok(());
        }
        let dir = self.dir.get().cloned();
        let index = tokio::task::spawn_blocking(move || match dir {
            Some(dir) => SearchIndex::open_or_build(&catalog, &dir),
            None => SearchIndex::build_in_memory(&catalog),
        })
        .await
        .context("the search index task failed")??;
        self.current.store(Some(Arc::new(index)));
        Ok(())
    }

    /// The index to answer one request from; `None` before the first load.
    pub fn current(&self) -> Option<Arc<SearchIndex>> {
        self.current.load_full()
    }
}
