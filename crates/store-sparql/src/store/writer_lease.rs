//! One writer at a time over one engine, whatever process or machine it runs in: a lease kept
//! in the engine itself.
//!
//! Several writers filing members into the same event-stream page at once would each read the
//! same last page and overfill it. So every write (a batch, an import, a filing) first claims
//! the store. The protocol needs nothing from the engine but that one update is applied before
//! its answer arrives:
//!
//! 1. a writer adds its claim (an IRI of its own, with the time its lease runs to);
//! 2. it then reads every claim; when it sees none but its own, it writes;
//! 3. when it sees a live claim of another writer, it withdraws its own, waits a random
//!    moment and tries again.
//!
//! Two writers cannot both go ahead: each would have had to read before the other added its
//! claim, yet each adds before it reads. Two that see each other both withdraw; the random
//! waits part them. While it writes, a writer renews its lease; it removes its claim when done.
//! A claim whose lease has run out is removed by whoever sees it, and so is, at once, a claim
//! made on this host by a process that no longer runs: a writer killed mid-batch holds the store
//! up for at most one lease (on another host) and not at all on its own host.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use belfort_store::StoreError;
use belfort_vocab::belfort;
use chrono::{DateTime, Utc};
use oxrdf::Term;

use super::SparqlStore;

/// How long a claim stands without being renewed.
const LEASE: Duration = Duration::from_secs(60);
/// How often a working writer renews its claim.
const RENEW_EVERY: Duration = Duration::from_secs(15);
/// Shortest and longest pause before a waiting writer tries again.
const RETRY_PAUSE: (u64, u64) = (50, 500);

/// A claim on the store, as read from the engine.
struct Claim {
    iri: String,
    holder: String,
    until: Option<DateTime<Utc>>,
}

/// Who this process is, as written into its claims: `host process-id`.
pub(super) struct Claimant {
    host: Option<String>,
    pid: u32,
}

impl Claimant {
    pub(super) fn this_process() -> Self {
        let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .find_map(|path| std::fs::read_to_string(path).ok())
            .map(|name| name.trim().to_owned())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace));
        Self {
            host,
            pid: std::process::id(),
        }
    }

    fn label(&self) -> String {
        format!(
            "{} {}",
            self.host.as_deref().unwrap_or("unknown-host"),
            self.pid
        )
    }

    /// Whether `holder` names a process of this host that no longer runs. Only where the
    /// process table can be read (`/proc`); elsewhere a claim ends with its lease.
    fn outlived(&self, holder: &str) -> bool {
        let Some((host, pid)) = holder.split_once(' ') else {
            return false;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            return false;
        };
        self.host.as_deref() == Some(host)
            && pid != self.pid
            && std::path::Path::new("/proc/self/stat").exists()
            && !process_runs(pid)
    }
}

/// Whether process `pid` of this host runs: it has an entry in `/proc` and is not a zombie
/// (ended, waiting for its parent to collect its exit status).
fn process_runs(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (command) state …`; the command may itself hold parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_none_or(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// A random number: names a claim, and spreads the pauses of writers that met.
fn random_number() -> u64 {
    use std::hash::BuildHasher;
    // Each `RandomState` is keyed afresh from the process's random seed.
    std::hash::RandomState::new().hash_one((SystemTime::now(), std::process::id()))
}

/// The end of a lease from now, in milliseconds since the epoch: an integer reads back the
/// same from every engine, where date-time literals come back in each engine's own form.
fn lease_end() -> String {
    (Utc::now() + LEASE).timestamp_millis().to_string()
}

impl SparqlStore {
    fn lease_graph(&self) -> String {
        format!("{}writer", self.internal_prefix)
    }

    /// Runs `work` while this process holds the store's writer lease; waits for another
    /// writer's turn to end, at most the connection's `writer_wait`.
    pub(super) fn hold_writer<T>(
        &self,
        work: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _local = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let claim = self.claim()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let outcome = std::thread::scope(|scope| {
            let claim = &claim;
            scope.spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(RENEW_EVERY) {
                    // A renewal that fails is tried again at the next turn; the lease is four
                    // turns long.
                    let _ = self.renew(claim);
                }
            });
            let outcome = work();
            drop(stop);
            outcome
        });
        let released = self.withdraw(&claim);
        let value = outcome?;
        released?;
        Ok(value)
    }

    /// Claims the store: returns the claim's IRI once no other live claim stands.
    fn claim(&self) -> Result<String, StoreError> {
        let started = Instant::now();
        let label = oxrdf::Literal::new_simple_literal(self.claimant.label());
        let mut turn = 0u64;
        loop {
            let claim = format!("{}/{:016x}", self.lease_graph(), random_number());
            self.client.update(&format!(
                "INSERT DATA {{ GRAPH <{graph}> {{ <{claim}> {until} {at} ; {holder} {label} }} }}",
                graph = self.lease_graph(),
                until = belfort::WRITER_LEASE_UNTIL,
                at = lease_end(),
                holder = belfort::WRITER_HELD_BY,
            ))?;
            let blocking = match self.live_claim_besides(&claim) {
                Ok(blocking) => blocking,
                Err(error) => {
                    // Left standing, the claim would hold the others up for a whole lease.
                    let _ = self.withdraw(&claim);
                    return Err(error);
                }
            };
            let Some(other) = blocking else {
                return Ok(claim);
            };
            self.withdraw(&claim)?;
            if started.elapsed() >= self.client.connection().writer_wait {
                return Err(StoreError::WriterBusy {
                    holder: other.holder,
                    until: other
                        .until
                        .map_or_else(|| "?".to_owned(), |u| u.to_rfc3339()),
                    waited_seconds: started.elapsed().as_secs(),
                });
            }
            let (shortest, longest) = RETRY_PAUSE;
            let spread = (longest - shortest).min(shortest.saturating_mul(1 << turn.min(4)));
            let pause = shortest + random_number() % spread.max(1);
            std::thread::sleep(Duration::from_millis(pause));
            turn += 1;
        }
    }

    /// A live claim other than `mine`, after removing the lapsed ones and those of ended
    /// processes of this host.
    fn live_claim_besides(&self, mine: &str) -> Result<Option<Claim>, StoreError> {
        let mut blocking = None;
        for other in self.claims()?.into_iter().filter(|c| c.iri != mine) {
            let lapsed = other.until.is_none_or(|until| until < Utc::now());
            if lapsed || self.claimant.outlived(&other.holder) {
                self.withdraw(&other.iri)?;
            } else {
                blocking = Some(other);
            }
        }
        Ok(blocking)
    }

    fn claims(&self) -> Result<Vec<Claim>, StoreError> {
        let query = format!(
            "SELECT ?claim ?until ?holder WHERE {{ GRAPH <{}> {{ ?claim {} ?until OPTIONAL {{ ?claim {} ?holder }} }} }}",
            self.lease_graph(),
            belfort::WRITER_LEASE_UNTIL,
            belfort::WRITER_HELD_BY,
        );
        Ok(self
            .select(&query, None)?
            .rows
            .into_iter()
            .filter_map(|row| {
                let mut row = row.into_iter();
                let Some(Term::NamedNode(iri)) = row.next().flatten() else {
                    return None;
                };
                let until = match row.next().flatten() {
                    Some(Term::Literal(l)) => l
                        .value()
                        .parse::<i64>()
                        .ok()
                        .and_then(DateTime::<Utc>::from_timestamp_millis),
                    _ => None,
                };
                let holder = match row.next().flatten() {
                    Some(Term::Literal(l)) => l.value().to_owned(),
                    _ => String::new(),
                };
                Some(Claim {
                    iri: iri.into_string(),
                    holder,
                    until,
                })
            })
            .collect())
    }

    fn renew(&self, claim: &str) -> Result<(), StoreError> {
        self.client.update(&format!(
            "DELETE {{ GRAPH <{graph}> {{ <{claim}> {until} ?old }} }}
INSERT {{ GRAPH <{graph}> {{ <{claim}> {until} {at} }} }}
WHERE {{ GRAPH <{graph}> {{ <{claim}> {until} ?old }} }}",
            graph = self.lease_graph(),
            until = belfort::WRITER_LEASE_UNTIL,
            at = lease_end(),
        ))
    }

    fn withdraw(&self, claim: &str) -> Result<(), StoreError> {
        self.client.update(&format!(
            "DELETE WHERE {{ GRAPH <{}> {{ <{claim}> ?p ?o }} }}",
            self.lease_graph()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_claim_of_a_process_of_this_host_that_has_ended_is_outlived() {
        let me = Claimant {
            host: Some("h1".to_owned()),
            pid: std::process::id(),
        };
        let mut ended = std::process::Command::new("true")
            .spawn()
            .expect("`true` runs");
        let ended_pid = ended.id();
        ended.wait().expect("`true` ends");
        assert!(me.outlived(&format!("h1 {ended_pid}")));
        // Ended but not yet collected by its parent: a zombie holds nothing either.
        let mut zombie = std::process::Command::new("true")
            .spawn()
            .expect("`true` runs");
        let zombie_pid = zombie.id();
        let deadline = Instant::now() + Duration::from_secs(10);
        while process_runs(zombie_pid) {
            assert!(
                Instant::now() < deadline,
                "an ended process still counts as running"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(me.outlived(&format!("h1 {zombie_pid}")));
        zombie.wait().expect("`true` is collected");
        assert!(!me.outlived(&format!("h2 {ended_pid}")), "another host");
        assert!(
            !me.outlived(&format!("h1 {}", std::process::id())),
            "this process"
        );
        assert!(!me.outlived("h1 1"), "a process that runs");
        assert!(!me.outlived("h1 x"));
        assert!(!me.outlived(""));
        let nameless = Claimant {
            host: None,
            pid: me.pid,
        };
        assert!(!nameless.outlived(&format!("unknown-host {ended_pid}")));
    }
}
