//! A real Virtuoso 7 engine for the tests: its own database in a temporary directory, on free
//! ports of 127.0.0.1, stopped when dropped. Needs `virtuoso-t` and `isql-vt` on the path
//! (Debian: `apt-get install virtuoso-opensource-7`; `.ci/run` installs it).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use belfort_store_sparql::{EngineConnection, EngineKind};

/// A running Virtuoso.
pub struct Virtuoso {
    child: Child,
    http_port: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

fn program(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed: apt-get install virtuoso-opensource-7 (.ci/run does)"
            )
        })
}

fn ini(dir: &Path, sql_port: u16, http_port: u16, parameters: &str) -> String {
    let d = dir.display();
    format!(
        "[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
MaxSortedTopRows = 10000000
NumberOfBuffers = 40000
MaxDirtyBuffers = 30000
DirsAllowed = .
{parameters}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
MaxClientConnections = 8
ServerThreads = 8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 400
"
    )
}

impl Virtuoso {
    /// Starts an empty engine and lets the anonymous SPARQL user update it.
    pub fn start() -> Self {
        Self::start_with("")
    }

    /// The same, with more lines for the engine's `[Parameters]`.
    pub fn start_with(parameters: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let sql_port = free_port();
        let http_port = free_port();
        let config = dir.path().join("virtuoso.ini");
        std::fs::write(&config, ini(dir.path(), sql_port, http_port, parameters))
            .expect("write virtuoso.ini");
        let log = std::fs::File::create(dir.path().join("stdout.log")).expect("log file");
        let child = Command::new(program("virtuoso-t"))
            .arg("+foreground")
            .arg("+configfile")
            .arg(&config)
            .current_dir(dir.path())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start virtuoso-t");
        let engine = Self {
            child,
            http_port,
            _dir: dir,
        };
        let started = Instant::now();
        let client = reqwest::blocking::Client::new();
        while client
            .get(format!("{}?query=ASK%7B%7D", engine.query_url()))
            .send()
            .map_or(true, |r| !r.status().is_success())
        {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "Virtuoso did not start within 90 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let granted = Command::new(program("isql-vt"))
            .arg(format!("127.0.0.1:{sql_port}"))
            .args(["dba", "dba"])
            .arg("exec=GRANT SPARQL_UPDATE TO \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);")
            .stdout(Stdio::null())
            .status()
            .expect("run isql-vt");
        assert!(granted.success(), "isql-vt could not grant SPARQL updates");
        engine
    }

    /// The SPARQL endpoint (query and update).
    pub fn query_url(&self) -> String {
        format!("http://127.0.0.1:{}/sparql", self.http_port)
    }

    /// The Graph Store protocol endpoint.
    pub fn graph_store_url(&self) -> String {
        format!("http://127.0.0.1:{}/sparql-graph-crud", self.http_port)
    }

    /// How Belfort reaches it.
    #[allow(dead_code, reason = "not every test binary connects from Rust")]
    pub fn connection(&self) -> EngineConnection {
        EngineConnection::new(
            &self.query_url(),
            &self.query_url(),
            &self.graph_store_url(),
        )
    }

    /// The rows of a SELECT sent straight to the engine, each row its values in the order of
    /// the answer's variables, `-` for an unbound one.
    #[allow(dead_code, reason = "not every test binary reads the engine directly")]
    pub fn select_rows(&self, query: &str) -> Vec<Vec<String>> {
        let answer: serde_json::Value = reqwest::blocking::Client::new()
            .post(self.query_url())
            .header("Accept", "application/sparql-results+json")
            .form(&[("query", query)])
            .send()
            .expect("the engine answers")
            .json()
            .expect("the engine answers in JSON");
        let variables: Vec<&str> = answer["head"]["vars"]
            .as_array()
            .expect("the answer names its variables")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        answer["results"]["bindings"]
            .as_array()
            .expect("the answer holds its rows")
            .iter()
            .map(|row| {
                variables
                    .iter()
                    .map(|v| row[*v]["value"].as_str().unwrap_or("-").to_owned())
                    .collect()
            })
            .collect()
    }

    /// The engine kind to tell Belfort.
    #[allow(dead_code, reason = "not every test binary connects from Rust")]
    pub fn kind(&self) -> EngineKind {
        EngineKind::Virtuoso
    }
}

impl Drop for Virtuoso {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
