//! `capz repl` on a real terminal: tmux runs it against a local emulator after an apply,
//! keys are sent with `send-keys`, and the screen is read with `capture-pane`. Covers Tab
//! completion (a unique name, then a candidate list), the signature hint, a multi-line
//! input, history recall with the Up arrow (and the history file), `:live` of an applied
//! resource, Ctrl-C and Ctrl-D. Fails, naming it, when tmux is not installed (it never
//! skips; tests/run-all.sh installs tmux).

use capz_tests::{Emulator, capz_bin, repo_root, run_capz};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Type `text` literally (no key names).
    fn text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session, "-l", text])
            .status()
            .expect("tmux send-keys -l");
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-2000",
                "-t",
                &self.session,
            ])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen satisfies `pred`; panic with the screen after 20 s.
    #[track_caller]
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.session])
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

fn count(screen: &str, needle: &str) -> usize {
    screen.matches(needle).count()
}

#[test]
fn repl_on_a_terminal() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok(),
        "repl_on_a_terminal needs tmux, which is not installed: `apt-get install tmux` \
         (tests/run-all.sh installs it when run as root)"
    );
    let emulator = Emulator::start();
    run_capz(
        &repo_root(),
        Some(&emulator.url),
        &["apply", "examples/managed-cluster.capz", "--auto-approve"],
    )
    .expect_code(0);
    let scratch = tempfile::tempdir().expect("scratch");
    let history = scratch.path().join("history");
    let session = format!("capz-repl-{}", std::process::id());
    let t = Tmux {
        session: session.clone(),
    };
    let cmd = format!(
        "env NO_COLOR=1 CAPZ_ARM_ENDPOINT={} CAPZ_REPL_HISTORY={} CAPZ_EMULATOR_TIME_SCALE=0.0005 {} repl examples/managed-cluster.capz",
        emulator.url,
        history.display(),
        capz_bin().display()
    );
    let status = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "160",
            "-y",
            "50",
            "-c",
        ])
        .arg(repo_root())
        .arg(&cmd)
        .status()
        .expect("tmux new-session");
    assert!(status.success());
    t.wait("the prompt", |s| {
        s.contains("loaded examples/managed-cluster.capz") && s.contains("capz> ")
    });

    // Tab completes a unique name.
    t.text("cluster_na");
    t.keys(&["Tab"]);
    t.wait("completion of cluster_name", |s| {
        s.contains("capz> cluster_name")
    });
    t.keys(&["Enter"]);
    t.wait("the value", |s| s.contains("\"capz-managed-aks\" : string"));

    // Tab twice lists candidates with their kinds.
    t.text(":show aks.");
    t.keys(&["Tab"]);
    t.wait("the common prefix", |s| {
        s.contains("capz> :show aks.agentpool")
    });
    t.keys(&["Tab"]);
    t.wait("the candidate list", |s| {
        s.contains("aks.agentpool0  pool") && s.contains("aks.agentpool1  pool")
    });
    t.text("1");
    t.keys(&["Enter"]);
    t.wait(":show output", |s| s.contains("pool aks.agentpool1 in aks"));

    // The signature of a function shows as a hint after `name(`.
    t.text("cidrsubnet(");
    t.wait("the signature hint", |s| {
        s.contains("cidrsubnet(  cidrsubnet(prefix: cidr, newbits: int, netnum: int) -> cidr")
    });
    t.text("\"10.0.0.0/16\", 8, 2)");
    t.keys(&["Enter"]);
    t.wait("the cidr", |s| s.contains("\"10.0.2.0/24\" : cidr"));

    // History: Up recalls the last input.
    t.keys(&["Up"]);
    t.wait("the recalled line", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.contains("capz> cidrsubnet("))
            || count(s, "capz> cidrsubnet(") >= 2
    });
    t.keys(&["Enter"]);
    t.wait("the second result", |s| {
        count(s, "\"10.0.2.0/24\" : cidr") == 2
    });

    // Multi-line: Enter inside an open bracket continues the input.
    t.text("let xs = [");
    t.keys(&["Enter"]);
    t.text("1,");
    t.keys(&["Enter"]);
    t.text("2]");
    t.keys(&["Enter"]);
    t.wait("the multi-line let", |s| {
        s.contains("xs = [1, 2] : list<int>")
    });

    // Ctrl-C cancels the line being typed.
    t.text("this is not run");
    t.keys(&["C-c"]);
    t.text("xs");
    t.keys(&["Enter"]);
    t.wait("xs after Ctrl-C", |s| {
        s.contains("[1, 2] : list<int>\n") || count(s, "[1, 2] : list<int>") >= 2
    });

    // Live state of an applied resource.
    t.text(":live cluster_net");
    t.keys(&["Enter"]);
    let s = t.wait(":live", |s| {
        s.contains("read-only (set by ARM):") && s.contains("resource_guid")
    });
    assert!(
        s.contains("vnet cluster_net  (live in ARM at http://127.0.0.1:"),
        "{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.trim_start().starts_with("address_space")
                && l.ends_with("= [\"10.0.0.0/8\"]")),
        "{s}"
    );
    assert!(s.contains("provisioningState = \"Succeeded\""), "{s}");
    // The cancelled line stays on screen but was never evaluated (it would be an error).
    assert!(
        s.contains("capz> this is not run") && !s.contains("capz::"),
        "the Ctrl-C line was evaluated:\n{s}"
    );

    // Ctrl-D ends the session; the history file has the inputs.
    t.keys(&["C-d"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !t.alive(),
        "capz repl did not exit on Ctrl-D:\n{}",
        t.screen()
    );
    let saved = std::fs::read_to_string(&history).expect("history file");
    assert!(saved.contains("cluster_name"), "{saved}");
    assert!(saved.contains(":live cluster_net"), "{saved}");
}
