//! A hostile local user against a real agent (issue 10, item 1): a Workload API connection made
//! by one process is used by another after the connecting process exec'd a setuid-root binary
//! or exited and had its pid handed to a root process. Either way the caller must get nothing.
//!
//! Run as root (as CI does), the attacker drops to uid 65534. The pid-reuse test needs root to
//! steer the next pid (`/proc/sys/kernel/ns_last_pid`): like every root-only test it is
//! `#[ignore]`d, named `..._as_root`, and run by `scripts/test` when it runs as root (always in
//! CI).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use spire_proto::workload::X509svidRequest;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::support::{Env, NODE_ID, my_uid, runtime, spiffe_id_of, with_header, workload_client};

const ATTACKER_SCRIPT: &str = include_str!("hostile_attacker.py");
const ROOT_ID: &str = "spiffe://example.org/root-workload";
const ATTACKER_ID: &str = "spiffe://example.org/attacker";
/// The unprivileged user the attacker runs as when the test runs as root.
const NOBODY: u32 = 65534;

/// The attacker's uid: nobody under root (CI), else the test's own user (an exec of a
/// setuid-root binary still raises it to euid 0).
fn attacker_uid() -> u32 {
    if my_uid() == 0 { NOBODY } else { my_uid() }
}

/// An agent with one entry for root (uid 0) and one for the attacker's uid; the temp dir is
/// made traversable so the attacker reaches the agent socket.
fn env_with_root_and_attacker_entries() -> Env {
    let mut env = Env::start_server();
    let token = env.join_token(NODE_ID);
    env.create_entry(NODE_ID, ROOT_ID, 0, &[]);
    env.create_entry(NODE_ID, ATTACKER_ID, attacker_uid(), &[]);
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o711))
        .expect("chmod the test dir");
    env.start_agent(Some(&token));
    env.wait_for_fetched_id(ROOT_ID, Duration::from_secs(40));
    env
}

struct Attacker {
    child: Child,
    /// Kept open: the exec'd passwd waits on it.
    _stdin: ChildStdin,
    pid: i32,
    relay: PathBuf,
}

impl Attacker {
    /// Starts the attacker in `mode` (see hostile_attacker.py) and waits until its relay is
    /// ready.
    fn start(env: &Env, mode: &str) -> Attacker {
        let dir = env.dir.path().join(format!("attacker-{mode}"));
        std::fs::create_dir(&dir).expect("attacker dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let script = dir.join("attacker.py");
        std::fs::write(&script, ATTACKER_SCRIPT).expect("write attacker script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let relay = dir.join("relay.sock");
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(&script)
            .arg(mode)
            .arg(&env.agent_socket)
            .arg(&relay)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if my_uid() == 0 {
            cmd.uid(NOBODY).gid(NOBODY);
        }
        let mut child = cmd.spawn().expect("start /usr/bin/python3 (the attacker)");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let mut pid = None;
        for line in lines.by_ref() {
            let line = line.expect("attacker output");
            if let Some(p) = line.strip_prefix("pid ") {
                pid = Some(p.trim().parse().expect("attacker pid"));
            }
            if line.contains("relay ready") {
                break;
            }
        }
        let pid = pid.expect("the attacker printed its pid and readiness");
        // Keep draining stdout (passwd prompts there) so nothing blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Attacker {
            child,
            _stdin: stdin,
            pid,
            relay,
        }
    }
}

impl Drop for Attacker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// FetchX509SVID over the attacker's relayed connection: the SPIFFE IDs received, or the
/// status that refused the call.
fn fetch_through(relay: &Path) -> Result<Vec<String>, tonic::Status> {
    runtime().block_on(async {
        let mut client = workload_client(relay).await;
        let mut stream = client
            .fetch_x509svid(with_header(X509svidRequest {}))
            .await?
            .into_inner();
        let first = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .map_err(|_| tonic::Status::deadline_exceeded("no answer within 30 s"))?
            .ok_or_else(|| tonic::Status::unknown("the stream ended without a message"))??;
        Ok(first
            .svids
            .iter()
            .map(|svid| spiffe_id_of(&svid.x509_svid))
            .collect())
    })
}

fn assert_refused(outcome: Result<Vec<String>, tonic::Status>, env: &Env) {
    match outcome {
        Ok(ids) => panic!(
            "the hostile caller received SVIDs {ids:?}\nagent log:\n{}",
            env.agent_log()
        ),
        Err(status) => {
            assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
            assert!(
                status
                    .message()
                    .starts_with("could not verify existence of the original caller"),
                "{status:?}"
            );
        }
    }
}

#[test]
fn connection_relayed_by_the_connecting_process_gets_its_own_identity() {
    // The control: the same relay, the connecting process unchanged. The relay works, so the
    // refusals below come from the agent.
    let env = env_with_root_and_attacker_entries();
    let attacker = Attacker::start(&env, "stay");
    let ids = fetch_through(&attacker.relay).expect("the honest caller gets its SVID");
    assert_eq!(ids, vec![ATTACKER_ID.to_owned()]);
}

#[test]
fn exec_of_a_setuid_binary_after_connecting_gets_nothing() {
    let env = env_with_root_and_attacker_entries();
    let attacker = Attacker::start(&env, "exec");
    let status = std::fs::read_to_string(format!("/proc/{}/status", attacker.pid))
        .expect("the connecting process runs passwd");
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0")),
        "the connecting process should now run as euid 0:\n{status}"
    );
    assert_refused(fetch_through(&attacker.relay), &env);
}

#[test]
#[ignore = "needs root to steer pids through /proc/sys/kernel/ns_last_pid; scripts/test runs it as root"]
fn pid_reused_by_a_root_process_gets_nothing_as_root() {
    assert_eq!(my_uid(), 0, "this test must run as root");
    let env = env_with_root_and_attacker_entries();
    let mut attacker = Attacker::start(&env, "exit");
    // Reap the connecting process so its pid is free, then hand the pid to a root process.
    let exited = attacker.child.wait().expect("the connecting process exits");
    assert!(exited.success(), "{exited:?}");
    let victim = spawn_root_process_with_pid(attacker.pid);
    let outcome = fetch_through(&attacker.relay);
    drop(victim);
    assert_refused(outcome, &env);
}

/// A root `sleep` whose pid is `pid`, steering the kernel's next pid; retried while other
/// processes race for it.
fn spawn_root_process_with_pid(pid: i32) -> KillOnDrop {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut last = std::fs::OpenOptions::new()
            .write(true)
            .open("/proc/sys/kernel/ns_last_pid")
            .expect("open /proc/sys/kernel/ns_last_pid (root in the initial pid namespace)");
        write!(last, "{}", pid - 1).expect("write ns_last_pid");
        drop(last);
        let child = Command::new("sleep")
            .arg("120")
            .spawn()
            .expect("spawn sleep");
        let got = i32::try_from(child.id()).expect("pid fits i32");
        let child = KillOnDrop(child);
        if got == pid {
            return child;
        }
        assert!(
            Instant::now() < deadline,
            "could not get pid {pid} for a root process (last got {got})"
        );
    }
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
