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

/// Values computed at most once per data version and key, the `capacity` most recently used
/// kept (a page whose query the user picks must not keep one result per query ever asked).
/// Requests that miss compute one at a time, so concurrent misses of one key compute it once.
pub struct VersionedMap<K, V> {
    capacity: usize,
    slot: Mutex<MapEntries<K, V>>,
}

/// The data version the entries were computed at, and the entries, most recently used last.
type MapEntries<K, V> = (Option<DataVersion>, Vec<(K, Arc<V>)>);

impl<K, V> VersionedMap<K, V> {
    /// An empty map keeping at most `capacity` values.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            slot: Mutex::new((None, Vec::new())),
        }
    }
}

impl<K: PartialEq, V> VersionedMap<K, V> {
    /// The value for `key` at the store's current data version, computed by `compute` on a miss
    /// (a failed computation is not kept).
    pub async fn get_or_try_compute<F, Fut, E>(
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
        let mut slot = self.slot.lock().await;
        if slot.0 != Some(version) {
            *slot = (Some(version), Vec::new());
        }
        let entries = &mut slot.1;
        if let Some(i) = entries.iter().position(|(k, _)| *k == key) {
            // Most recently used last.
            let entry = entries.remove(i);
            let value = entry.1.clone();
            entries.push(entry);
            return Ok(value);
        }
        let value = Arc::new(compute().await?);
        if entries.len() >= self.capacity {
            entries.remove(0);
        }
        entries.push((key, value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_versioned_map_keeps_its_most_recent_values_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        let map: VersionedMap<u32, u32> = VersionedMap::new(2);
        let computed = AtomicUsize::new(0);
        let get = |k: u32| {
            let (map, store, computed) = (&map, &store, &computed);
            async move {
                map.get_or_try_compute(store, k, || async {
                    computed.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, crate::store::StoreError>(k * 10)
                })
                .await
                .unwrap()
            }
        };
        assert_eq!(*get(1).await, 10);
        assert_eq!(*get(1).await, 10);
        assert_eq!(
            computed.load(Ordering::SeqCst),
            1,
            "the second came from the map"
        );
        get(2).await;
        get(1).await; // 1 is now the most recent: 2 goes when 3 comes
        get(3).await;
        assert_eq!(computed.load(Ordering::SeqCst), 3);
        get(1).await;
        assert_eq!(computed.load(Ordering::SeqCst), 3, "1 was kept");
        get(2).await;
        assert_eq!(
            computed.load(Ordering::SeqCst),
            4,
            "2 was dropped: two kept at most"
        );
    }
}
