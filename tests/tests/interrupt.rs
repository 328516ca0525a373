//! Ctrl-C during `capz apply`, through the real binary and a real emulator on loopback.
//! The first SIGINT stops starting operations, waits for the running one, and reports what
//! was not started; a second SIGINT stops waiting, reports the running operation as
//! abandoned and exits 130. Either way, the next apply converges.

use capz_tests::{Emulator, capz, repo_root, run_capz};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

const MANAGED: &str = "managed-cluster.capz";

fn sigint(child: &Child) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -INT failed");
}

/// Start `capz apply` one operation at a time; when a progress line contains `at`, run
/// `on_line`; return (exit code, stdout, stderr).
fn apply_interrupted(
    dir: &std::path::Path,
    emu: &Emulator,
    at: &str,
    on_line: impl Fn(&Child),
) -> (i32, String, String) {
    let mut child = capz()
        .current_dir(dir)
        .env("CAPZ_ARM_ENDPOINT", &emu.url)
        .args(["apply", MANAGED, "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capz apply");
    let stdout = child.stdout.take().expect("stdout");
    let mut out = String::new();
    let mut fired = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read stdout");
        out.push_str(&line);
        out.push('\n');
        if !fired && line.contains(at) {
            fired = true;
            on_line(&child);
        }
    }
    let output = child.wait_with_output().expect("wait for capz");
    assert!(fired, "never saw {at:?} in\n{out}");
    (
        output.status.code().unwrap_or(-1),
        out,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn ctrl_c_waits_for_running_operations_and_a_second_one_abandons_them() {
    // Operations slow enough to interrupt: a vnet takes about a second, a cluster 12 s.
    let emu = Emulator::start_with(&["--time-scale", "0.05"]);
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("examples").join(MANAGED),
        work.path().join(MANAGED),
    )
    .unwrap();

    // One Ctrl-C while the vnet is being created: it finishes, nothing else starts.
    let (code, out, err) =
        apply_interrupted(work.path(), &emu, "vnet cluster_net: creating", sigint);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("Interrupt received"), "{err}");
    assert!(out.contains("vnet cluster_net: created after"), "{out}");
    assert!(
        out.contains("subnet cluster_net.nodes: not started creating (interrupted)"),
        "{out}"
    );
    assert!(
        out.contains("Apply interrupted: 2 succeeded, 0 failed, 2 not started."),
        "{out}"
    );

    // Two while the cluster is being created: capz stops waiting and says so.
    let (code, out, err) = apply_interrupted(work.path(), &emu, "cluster aks: creating", |c| {
        sigint(c);
        std::thread::sleep(std::time::Duration::from_millis(300));
        sigint(c);
    });
    assert_eq!(code, 130, "{out}\n{err}");
    assert!(
        out.contains("cluster aks: abandoned while creating (ARM may still be running it)"),
        "{out}"
    );
    assert!(out.contains("1 abandoned while running"), "{out}");

    // ARM carried the cluster on: apply waits for it and converges.
    run_capz(
        work.path(),
        Some(&emu.url),
        &["apply", MANAGED, "--auto-approve"],
    )
    .expect_code(0);
    let last = run_capz(
        work.path(),
        Some(&emu.url),
        &["plan", MANAGED, "--detailed-exitcode"],
    )
    .expect_code(0);
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
}
