//! How the server process holds memory: glibc's malloc tuned so the arrays a request reads (a
//! year of one series at one minute is 525,600 points, 8 MB as times and values) go back to the
//! system when the request ends, instead of staying in the heaps of whichever thread freed them.

use std::time::Duration;

/// Blocks at least this large are mapped on their own and unmapped when freed. glibc starts at
/// 128 KiB but raises the threshold to the largest mapped block freed (up to 32 MiB), after which
/// every series array lands in a heap and stays there; a fixed value turns that off.
const MMAP_THRESHOLD_BYTES: i32 = 256 * 1024;

/// Heaps malloc may keep. Its default is eight per core, and each thread that allocates (the
/// runtime's workers, every pooled SQLite connection's thread) ends up with its own, each holding
/// on to what was freed in it.
const ARENA_MAX: i32 = 2;

/// How often free memory at the top and inside the heaps is handed back to the system.
pub const RELEASE_EVERY: Duration = Duration::from_secs(5);

/// Applies the settings above; false where the allocator is not glibc's (nothing to tune) or it
/// refused one.
pub fn tune_allocator() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes malloc's parameters; any value is accepted or refused.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
                && libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Returns the free pages of every malloc heap to the system; true when some were returned.
pub fn release_free_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only gives free memory back; it touches no live allocation.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Releases free memory every [`RELEASE_EVERY`] for as long as the runtime runs: a burst of
/// requests frees hundreds of megabytes in the middle of the heaps, which malloc keeps otherwise.
pub fn spawn_releaser() {
    tokio::spawn(async {
        let mut tick = tokio::time::interval(RELEASE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Walking the heaps takes a lock per heap: off the runtime's worker threads.
            let _ = tokio::task::spawn_blocking(release_free_memory).await;
        }
    });
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Whether glibc mapped the block at `p` on its own (the IS_MMAPPED bit of its chunk header,
    /// the word before the block), so freeing it unmaps it.
    fn mapped_alone(p: *const u8) -> bool {
        // SAFETY: every block glibc's malloc returns is preceded by its chunk's size word.
        unsafe { *(p as *const usize).sub(1) & 2 != 0 }
    }

    #[test]
    fn a_freed_series_array_is_unmapped_not_kept() {
        assert!(tune_allocator(), "glibc takes the settings");
        // Left to itself, glibc would now raise its threshold to 8 MiB and serve the next
        // megabyte arrays from a heap, where they stay after being freed.
        drop(vec![1u8; 8 << 20]);
        let year_of_values = vec![1u8; 1 << 20];
        assert!(mapped_alone(year_of_values.as_ptr()));
        let small = vec![1u8; 4 << 10];
        assert!(
            !mapped_alone(small.as_ptr()),
            "small blocks stay in the heaps"
        );
        release_free_memory();
    }
}
