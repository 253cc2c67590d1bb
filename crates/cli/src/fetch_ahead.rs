//! Fetching ahead: the feeds of a harvest are fetched on several threads, with a cap per host,
//! while their ingest stays one at a time and in configuration order (the store takes one
//! batch at a time, and the order of batches decides the event-stream pages).

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, PoisonError};

use crate::config::HarvestSettings;

/// Counts the fetches under way per host and makes a fetch wait while any of its hosts is at
/// the cap.
struct HostSlots {
    per_host: usize,
    busy: Mutex<HashMap<String, usize>>,
    freed: Condvar,
}

impl HostSlots {
    fn new(per_host: usize) -> Self {
        Self {
            per_host: per_host.max(1),
            busy: Mutex::new(HashMap::new()),
            freed: Condvar::new(),
        }
    }

    /// Waits until every one of `hosts` has a free slot, then takes one on each (all at once,
    /// so two fetches that share hosts never hold part of what the other needs).
    fn take<'a>(&'a self, hosts: &BTreeSet<String>) -> HostsTaken<'a> {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        while hosts
            .iter()
            .any(|h| busy.get(h).copied().unwrap_or(0) >= self.per_host)
        {
            busy = self
                .freed
                .wait(busy)
                .unwrap_or_else(PoisonError::into_inner);
        }
        for host in hosts {
            *busy.entry(host.clone()).or_default() += 1;
        }
        HostsTaken {
            slots: self,
            hosts: hosts.clone(),
        }
    }
}

/// Slots held on some hosts; given back when dropped.
struct HostsTaken<'a> {
    slots: &'a HostSlots,
    hosts: BTreeSet<String>,
}

impl Drop for HostsTaken<'_> {
    fn drop(&mut self) {
        let mut busy = self
            .slots
            .busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for host in &self.hosts {
            if let Some(n) = busy.get_mut(host) {
                *n = n.saturating_sub(1);
            }
        }
        self.slots.freed.notify_all();
    }
}

/// The host a location is fetched from: its URL's host, or one name for every local file.
pub fn host_of(location: &str) -> String {
    url::Url::parse(location)
        .ok()
        .filter(|u| u.scheme() != "file")
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_else(|| "local files".to_owned())
}

/// Runs `fetch` on every item, on up to `settings.parallel_fetches` threads and at most
/// `settings.fetches_per_host` at once on any host (`hosts_of` names an item's hosts), and
/// hands each result to `ingest` in the items' order, as soon as it and every earlier one
/// are in (`None` for a fetch that panicked). At most `parallel_fetches` results wait for
/// their turn, so memory stays bounded by the window, not by the harvest.
pub fn fetch_ahead<T, R>(
    items: &[T],
    settings: HarvestSettings,
    hosts_of: impl Fn(&T) -> BTreeSet<String> + Sync,
    fetch: impl Fn(&T) -> R + Sync,
    mut ingest: impl FnMut(&T, Option<R>),
) where
    T: Sync,
    R: Send,
{
    if items.is_empty() {
        return;
    }
    let window = settings.parallel_fetches.clamp(1, items.len());
    let slots = HostSlots::new(settings.fetches_per_host);
    let (jobs, job_queue) = mpsc::channel::<usize>();
    let job_queue = Mutex::new(job_queue);
    let (done, finished) = mpsc::channel::<(usize, Option<R>)>();
    std::thread::scope(|scope| {
        for _ in 0..window {
            let done = done.clone();
            let (job_queue, slots, hosts_of, fetch) = (&job_queue, &slots, &hosts_of, &fetch);
            scope.spawn(move || {
                loop {
                    let next = job_queue
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .recv();
                    let Ok(index) = next else { break };
                    let Some(item) = items.get(index) else { break };
                    // A panic is answered like any other result, or the ingest would wait for it.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let _taken = slots.take(&hosts_of(item));
                        fetch(item)
                    }))
                    .ok();
                    if done.send((index, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        for index in 0..window {
            // The workers outlive this loop; a send cannot fail here.
            let _ = jobs.send(index);
        }
        let mut waiting: HashMap<usize, Option<R>> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let result = loop {
                if let Some(result) = waiting.remove(&index) {
                    break Some(result);
                }
                match finished.recv() {
                    Ok((done_index, result)) => {
                        waiting.insert(done_index, result);
                    }
                    // Every worker is gone (one panicked): nothing more will come.
                    Err(_) => break None,
                }
            };
            let Some(result) = result else { break };
            if index + window < items.len() {
                let _ = jobs.send(index + window);
            }
            ingest(item, result);
        }
        drop(jobs);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Tracks how many fetches run at once, per host and in all.
    #[derive(Default)]
    struct Concurrency {
        now: Mutex<HashMap<String, usize>>,
        most_per_host: AtomicUsize,
        in_all: AtomicUsize,
        most_in_all: AtomicUsize,
    }

    fn run(items: &[(usize, &str)], settings: HarvestSettings) -> (Vec<usize>, Concurrency) {
        let seen = Concurrency::default();
        let mut order = Vec::new();
        fetch_ahead(
            items,
            settings,
            |(_, host)| BTreeSet::from([(*host).to_owned()]),
            |(n, host)| {
                let here = {
                    let mut now = seen.now.lock().unwrap();
                    let here = now.entry((*host).to_owned()).or_default();
                    *here += 1;
                    *here
                };
                seen.most_per_host.fetch_max(here, Ordering::SeqCst);
                let all = seen.in_all.fetch_add(1, Ordering::SeqCst) + 1;
                seen.most_in_all.fetch_max(all, Ordering::SeqCst);
                // Later items finish first, so results arrive out of order.
                std::thread::sleep(Duration::from_millis(40 - 3 * (*n as u64 % 10)));
                seen.in_all.fetch_sub(1, Ordering::SeqCst);
                *seen.now.lock().unwrap().get_mut(*host).unwrap() -= 1;
                *n * 10
            },
            |(n, _), result| {
                assert_eq!(result, Some(n * 10));
                order.push(*n);
            },
        );
        (order, seen)
    }

    #[test]
    fn results_are_ingested_in_order_and_hosts_are_never_asked_more_than_the_cap() {
        let items: Vec<(usize, &str)> = (0..12)
            .map(|n| (n, if n % 3 == 0 { "a.example" } else { "b.example" }))
            .collect();
        let settings = HarvestSettings {
            parallel_fetches: 4,
            fetches_per_host: 2,
        };
        let (order, seen) = run(&items, settings);
        assert_eq!(order, (0..12).collect::<Vec<_>>());
        assert!(seen.most_per_host.load(Ordering::SeqCst) <= 2);
        assert!(seen.most_in_all.load(Ordering::SeqCst) <= 4);
        // Two hosts with two slots each: the fetches did overlap.
        assert!(seen.most_in_all.load(Ordering::SeqCst) >= 2);
    }

    #[test]
    fn one_slot_per_host_makes_one_host_sequential() {
        let items: Vec<(usize, &str)> = (0..5).map(|n| (n, "one.example")).collect();
        let settings = HarvestSettings {
            parallel_fetches: 4,
            fetches_per_host: 1,
        };
        let (order, seen) = run(&items, settings);
        assert_eq!(order, (0..5).collect::<Vec<_>>());
        assert_eq!(seen.most_per_host.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn hosts_are_named_from_urls_and_local_files_share_one() {
        assert_eq!(host_of("https://Data.Stad.Gent/api?x=1"), "data.stad.gent");
        assert_eq!(host_of("http://127.0.0.1:8080/p"), "127.0.0.1");
        assert_eq!(host_of("fixtures/telraam.json"), "local files");
        assert_eq!(host_of("file:///tmp/x.json"), "local files");
    }

    #[test]
    fn a_fetch_that_panics_is_reported_and_the_others_still_ingested() {
        let items = [0, 1, 2, 3];
        let mut got = Vec::new();
        fetch_ahead(
            &items,
            HarvestSettings::default(),
            |_| BTreeSet::from(["h".to_owned()]),
            |n| {
                assert_ne!(*n, 1, "planted failure");
                *n
            },
            |n, result| got.push((*n, result)),
        );
        assert_eq!(
            got,
            vec![(0, Some(0)), (1, None), (2, Some(2)), (3, Some(3))]
        );
    }
}
