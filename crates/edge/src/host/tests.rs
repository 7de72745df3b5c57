use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::*;
use crate::plugin::Health;

#[derive(Debug)]
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    fail_start: bool,
}

impl Recorder {
    fn note(&self, what: &str) {
        self.log
            .lock()
            .expect("test lock")
            .push(format!("{what} {}", self.name));
    }
}

#[async_trait]
impl Plugin for Recorder {
    fn name(&self) -> &str {
        self.name
    }
    async fn init(&mut self, section: &Value) -> Result<bool, PluginError> {
        self.note("init");
        Ok(!section.is_null())
    }
    async fn start(&mut self) -> Result<(), PluginError> {
        self.note("start");
        if self.fail_start {
            return Err(PluginError::Failed {
                plugin: self.name.into(),
                message: "boom".into(),
            });
        }
        Ok(())
    }
    async fn stop(&mut self) -> Result<(), PluginError> {
        self.note("stop");
        Ok(())
    }
    async fn health(&self) -> Health {
        let mut h = Health::default();
        h.check("alive", true, self.name);
        h
    }
}

fn host(fail_b: bool) -> (PluginHost, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut host = PluginHost::new();
    for (name, fail_start) in [("a", false), ("b", fail_b), ("c", false)] {
        host.register(Box::new(Recorder {
            name,
            log: Arc::clone(&log),
            fail_start,
        }));
    }
    (host, log)
}

fn file(text: &str) -> PluginsFile {
    PluginsFile::parse(Path::new("/x/plugins.yaml"), text, &|_| None).expect("parses")
}

#[tokio::test]
async fn starts_in_order_checks_enabled_plugins_and_stops_in_reverse() {
    let (mut host, log) = host(false);
    host.init(&file("a: {}\nb: {}\n")).await.expect("init");
    host.start().await.expect("start");
    let report = host.check(30).await;
    let names: Vec<&str> = report.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b"], "c has no section, so it is disabled");
    host.stop().await;
    assert_eq!(
        *log.lock().expect("lock"),
        [
            "init a", "init b", "init c", "start a", "start b", "stop b", "stop a"
        ]
    );
}

#[tokio::test]
async fn a_failed_start_stops_the_plugins_already_started() {
    let (mut host, log) = host(true);
    host.init(&file("a: {}\nb: {}\nc: {}\n"))
        .await
        .expect("init");
    let err = host.start().await.expect_err("b fails");
    assert_eq!(err.to_string(), "plugin b: boom");
    assert_eq!(
        *log.lock().expect("lock"),
        ["init a", "init b", "init c", "start a", "start b", "stop a"]
    );
}

#[tokio::test]
async fn a_section_no_plugin_claims_is_an_unknown_key() {
    let (mut host, _) = host(false);
    let err = host.init(&file("spiire: {}\n")).await.expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "/x/plugins.yaml: spiire: unknown key (expected one of: a, b, c, host)"
    );
}

#[tokio::test]
async fn run_writes_the_status_file_and_stops_on_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let status = dir.path().join("s.json");
    let text = format!("host:\n  statusFile: {}\na: {{}}\n", status.display());
    let f = file(&text);
    let (mut host, log) = host(false);
    host.init(&f).await.expect("init");
    host.start().await.expect("start");
    host.run(&f, tokio::time::sleep(std::time::Duration::from_millis(50)))
        .await
        .expect("run");
    let report = StatusReport::read(&status).expect("status written");
    assert!(report.healthy());
    assert_eq!(
        log.lock().expect("lock").last().map(String::as_str),
        Some("stop a")
    );
}
