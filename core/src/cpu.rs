//! CPU work (pricing ledgers, parsing uploads, building workbooks) off the
//! async worker threads: on tokio's blocking pool, and at most as many at
//! once as the machine has cores, so a burst of heavy requests queues here
//! instead of stalling `/healthz` and every member's sync.

use std::sync::OnceLock;
use tokio::sync::Semaphore;

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Semaphore::new(cores)
    })
}

/// Runs `work` on the blocking pool once a core is free; a panic in it
/// comes back as a panic here, as if it had run inline.
pub async fn run<T, F>(work: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // The semaphore is never closed, so acquiring cannot fail.
    let _permit = permits().acquire().await.ok();
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("blocking task cancelled: {e}"),
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn runs_off_the_async_thread_and_answers() {
        let here = std::thread::current().id();
        let (value, there) = super::run(|| (6 * 7, std::thread::current().id())).await;
        assert_eq!(value, 42);
        assert_ne!(here, there);
    }
}
