//! Recommendations computed once and shared by requests until the window moves (every hour) or the
//! data changes (a sync or demo load finishes).

use std::sync::Arc;

use tokio::sync::Mutex;

use super::recommendations::{all_evidence, window_end, Evidence};
use crate::settings::Settings;
use crate::store::services::Removed;
use crate::store::{Store, StoreResult};

/// What a cached result depends on: the window's end and the newest finished sync run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    window_end: i64,
    data_version: (Option<i64>, Option<i64>),
}

/// The evidence for every service, removed ones included (their Service pages still open; views
/// filter them with [`super::recommendations::listed`]), computed at most once per key. Concurrent requests that miss
/// wait for the one computing it rather than all computing it.
#[derive(Default)]
pub struct EvidenceCache {
    slot: Mutex<Option<(Key, Arc<Vec<Evidence>>)>>,
}

impl EvidenceCache {
    /// The evidence as of `now`, from the cache when it is current.
    pub async fn get(
        &self,
        store: &Store,
        settings: &Settings,
        now: i64,
    ) -> StoreResult<Arc<Vec<Evidence>>> {
        let key = Key {
            window_end: window_end(now),
            data_version: store.data_version().await?,
        };
        let mut slot = self.slot.lock().await;
        if let Some((k, v)) = slot.as_ref() {
            if *k == key {
                return Ok(v.clone());
            }
        }
        let fresh = Arc::new(all_evidence(store, settings, now, Removed::Show).await?);
        *slot = Some((key, fresh.clone()));
        Ok(fresh)
    }
}

/// What every stored read depends on: the newest finished sync run (a sync or demo load changes it).
type DataVersion = (Option<i64>, Option<i64>);

/// One value computed at most once per data version and key, shared by requests (the last one
/// computed is kept). Concurrent requests that miss wait for the one computing it.
pub struct VersionedSlot<K, V> {
    slot: Mutex<Option<(DataVersion, K, Arc<V>)>>,
}

impl<K, V> Default for VersionedSlot<K, V> {
    fn default() -> Self {
        Self {
            slot: Mutex::new(None),
        }
    }
}

impl<K: Clone, V> VersionedSlot<K, V> {
    /// The value kept and its key, if it was computed at the store's current data version
    /// (for a reader that can use a value computed for a wider key, and computes nothing).
    pub async fn current(&self, store: &Store) -> StoreResult<Option<(K, Arc<V>)>> {
        let version = store.data_version().await?;
        let slot = self.slot.lock().await;
        Ok(slot
            .as_ref()
            .filter(|(v, _, _)| *v == version)
            .map(|(_, k, value)| (k.clone(), value.clone())))
    }
}

impl<K: PartialEq, V> VersionedSlot<K, V> {
    /// The value for `key` at the store's current data version, computed by `compute` on a miss.
    pub async fn get_or_compute<F, Fut>(
        &self,
        store: &Store,
        key: K,
        compute: F,
    ) -> StoreResult<Arc<V>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = StoreResult<V>>,
    {
        let version = store.data_version().await?;
        let mut slot = self.slot.lock().await;
        if let Some((v, k, value)) = slot.as_ref() {
            if *v == version && *k == key {
                return Ok(value.clone());
            }
        }
        let value = Arc::new(compute().await?);
        *slot = Some((version, key, value.clone()));
        Ok(value)
    }
}

/// Up to `N` values computed at most once per data version and key, shared by requests: past `N`
/// the least recently used is dropped, and all of them when the data changes, so what it holds
/// stays bounded whatever keys requests ask for. Concurrent requests that miss wait for the one
/// computing.
pub struct VersionedMap<K, V, const N: usize> {
    slots: Mutex<Slots<K, V>>,
}

/// The values of one data version, most recently used first.
struct Slots<K, V> {
    version: Option<DataVersion>,
    entries: std::collections::VecDeque<(K, Arc<V>)>,
}

impl<K, V, const N: usize> Default for VersionedMap<K, V, N> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(Slots {
                version: None,
                entries: std::collections::VecDeque::with_capacity(N),
            }),
        }
    }
}

impl<K: PartialEq, V, const N: usize> VersionedMap<K, V, N> {
    /// The value for `key` at the store's current data version, computed by `compute` on a miss.
    pub async fn get_or_compute<F, Fut, E>(
        &self,
        store: &Store,
        key: K,
        compute: F,
    ) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
        E: From<crate::store::StoreError>,
    {
        let version = store.data_version().await?;
        let mut slots = self.slots.lock().await;
        if slots.version != Some(version) {
            slots.entries.clear();
            slots.version = Some(version);
        }
        if let Some(i) = slots.entries.iter().position(|(k, _)| *k == key) {
            let hit = slots.entries.remove(i).expect("position is in range");
            let value = hit.1.clone();
            slots.entries.push_front(hit);
            return Ok(value);
        }
        let value = Arc::new(compute().await?);
        slots.entries.truncate(N.saturating_sub(1));
        if N > 0 {
            slots.entries.push_front((key, value.clone()));
        }
        Ok(value)
    }

    /// How many values are kept now (at most `N`).
    pub async fn len(&self) -> usize {
        self.slots.lock().await.entries.len()
    }

    /// Whether nothing is kept.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }
}

/// Markup a page rendered from a cached value, kept beside that value: a page whose data is
/// cached renders it once, not on every request (a year of the Costs page's daily chart is
/// 3,700 SVG marks). Clones share the memo, and it is dropped with the value that holds it.
#[derive(Clone, Default)]
pub struct Rendered(Arc<std::sync::OnceLock<Arc<str>>>);

impl Rendered {
    /// The markup, rendered by `render` the first time it is asked for.
    pub fn get_or_render(&self, render: impl FnOnce() -> String) -> Arc<str> {
        self.0.get_or_init(|| render().into()).clone()
    }
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.0.get().map(|m| m.len());
        f.debug_struct("Rendered").field("bytes", &len).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::store::sync_runs::{RunTotals, RunTrigger};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        (dir, store)
    }

    /// Gets `key` through the map, counting computations in `computed`.
    async fn get(
        map: &VersionedMap<u32, u32, 2>,
        store: &Store,
        key: u32,
        computed: &AtomicUsize,
    ) -> u32 {
        let value = map
            .get_or_compute(store, key, || async {
                computed.fetch_add(1, Ordering::SeqCst);
                Ok::<_, crate::store::StoreError>(key * 10)
            })
            .await
            .unwrap();
        *value
    }

    #[test]
    fn rendered_markup_is_rendered_once_and_shared_by_clones() {
        let memo = Rendered::default();
        let copy = memo.clone();
        let renders = AtomicUsize::new(0);
        let render = || {
            renders.fetch_add(1, Ordering::SeqCst);
            "<p>once</p>".to_string()
        };
        assert_eq!(&*memo.get_or_render(render), "<p>once</p>");
        assert_eq!(&*copy.get_or_render(render), "<p>once</p>");
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        // A fresh memo (another cached value) renders its own.
        assert_eq!(&*Rendered::default().get_or_render(render), "<p>once</p>");
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn versioned_map_keeps_at_most_n_and_drops_the_least_recently_used() {
        let (_dir, store) = store().await;
        let map = VersionedMap::<u32, u32, 2>::default();
        let computed = AtomicUsize::new(0);
        assert_eq!(get(&map, &store, 1, &computed).await, 10);
        assert_eq!(get(&map, &store, 2, &computed).await, 20);
        assert_eq!(get(&map, &store, 1, &computed).await, 10); // hit: 1 is now the newest
        assert_eq!(computed.load(Ordering::SeqCst), 2);
        assert_eq!(get(&map, &store, 3, &computed).await, 30); // drops 2, not 1
        assert_eq!(map.len().await, 2);
        assert_eq!(get(&map, &store, 1, &computed).await, 10);
        assert_eq!(computed.load(Ordering::SeqCst), 3);
        assert_eq!(get(&map, &store, 2, &computed).await, 20);
        assert_eq!(computed.load(Ordering::SeqCst), 4);
        assert_eq!(map.len().await, 2);
    }

    #[tokio::test]
    async fn versioned_map_recomputes_after_the_data_changes() {
        let (_dir, store) = store().await;
        let map = VersionedMap::<u32, u32, 2>::default();
        let computed = AtomicUsize::new(0);
        get(&map, &store, 1, &computed).await;
        get(&map, &store, 2, &computed).await;
        let run = store.start_sync_run(RunTrigger::Cli, 1_000).await.unwrap();
        store
            .finish_sync_run(run, &RunTotals::default(), 1_060)
            .await
            .unwrap();
        get(&map, &store, 1, &computed).await;
        assert_eq!(computed.load(Ordering::SeqCst), 3);
        assert_eq!(map.len().await, 1, "the old version's values are dropped");
    }
}
