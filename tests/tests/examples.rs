//! The lifecycle of every example through the real binary and a real emulator on
//! loopback: check clean, plan creates, apply, replan with no changes, a changed field
//! plans exactly one update, a removed pool plans exactly one delete, destroy leaves
//! nothing with the stack tag. Plans are compared with goldens in tests/golden/examples/.

use capz_tests::{
    Emulator, LOCAL_SUBSCRIPTION, assert_golden, remove_block, replace_once, repo_root, run_capz,
};
use std::path::Path;

/// One example and the edits the test makes to a copy of it.
struct Case {
    /// File name under examples/.
    file: &'static str,
    /// Its `stack "..."` name.
    stack: &'static str,
    /// A field edit that must plan as exactly one in-place update: (from, to).
    update: (&'static str, &'static str),
    /// The header of a pool block whose removal must plan exactly one delete.
    pool: &'static str,
}

const MANAGED: Case = Case {
    file: "managed-cluster.capz",
    stack: "capz-managed-aks",
    update: ("count           = user_nodes", "count           = 3"),
    pool: "pool agentpool1 {",
};

const PRIVATE: Case = Case {
    file: "private-cluster.capz",
    stack: "corp-private-aks",
    update: ("count    = 2", "count    = 4"),
    pool: "pool apps {",
};

const MANAGEMENT: Case = Case {
    file: "management-cluster.capz",
    stack: "capz-mgmt",
    update: (
        "autoscale = 1..3\n    subnet    = mgmt_net.nodes\n  }\n\n  #",
        "autoscale = 1..5\n    subnet    = mgmt_net.nodes\n  }\n\n  #",
    ),
    pool: "pool capi {",
};

const AKS_AAD: Case = Case {
    file: "capz-aks-aad.capz",
    stack: "capz-aks-aad",
    update: (
        "idle_timeout             = 30",
        "idle_timeout             = 60",
    ),
    pool: "pool user {",
};

const HUB_SPOKE: Case = Case {
    file: "hub-and-spoke.capz",
    stack: "corp-hub-spoke",
    update: ("count    = 3", "count    = 4"),
    pool: "pool apps {",
};

#[test]
fn management_cluster_lifecycle() {
    lifecycle(&MANAGEMENT);
}

#[test]
fn capz_aks_aad_lifecycle() {
    lifecycle(&AKS_AAD);
}

#[test]
fn hub_and_spoke_lifecycle() {
    lifecycle(&HUB_SPOKE);
}

#[test]
fn managed_cluster_lifecycle() {
    lifecycle(&MANAGED);
}

#[test]
fn private_cluster_lifecycle() {
    lifecycle(&PRIVATE);
}

/// Lines of a plan that announce an action on a resource (`+`, `~`, `-/+`, `-`), at the
/// first indentation level; the field lines under an update are indented further.
fn action_lines(plan: &str) -> Vec<String> {
    plan.lines()
        .filter(|l| l.len() - l.trim_start().len() < 5)
        .map(str::trim_start)
        .filter(|l| {
            l.starts_with("+ ")
                || l.starts_with("~ ")
                || l.starts_with("- ")
                || l.starts_with("-/+ ")
        })
        .map(str::to_string)
        .collect()
}

fn lifecycle(case: &Case) {
    let emu = Emulator::start();
    let work = tempfile::tempdir().expect("scratch working folder");
    let original = std::fs::read_to_string(repo_root().join("examples").join(case.file))
        .expect("read example");
    let program = work.path().join(case.file);
    let write = |text: &str| std::fs::write(&program, text).expect("write program copy");
    let golden = |name: &str| {
        repo_root()
            .join("tests/golden/examples")
            .join(case.file.trim_end_matches(".capz"))
            .join(name)
    };
    let capz = |args: &[&str]| run_capz(work.path(), Some(&emu.url), args);
    write(&original);

    // check: clean, nothing on stderr.
    let check = capz(&["check", case.file]).expect_code(0);
    assert_eq!(check.stderr, "", "check must be clean");

    // plan against an empty cloud: only creates.
    let plan = capz(&["plan", case.file, "--detailed-exitcode"]).expect_code(2);
    assert_golden(&golden("plan-create.txt"), &plan.stdout);
    let actions = action_lines(&plan.stdout);
    assert!(
        !actions.is_empty(),
        "plan shows no creates:\n{}",
        plan.stdout
    );
    assert!(
        actions.iter().all(|l| l.starts_with("+ ")),
        "plan against an empty cloud must only create:\n{}",
        plan.stdout
    );

    // apply, then a plan right after shows zero changes.
    let apply = capz(&["apply", case.file, "--auto-approve"]).expect_code(0);
    assert!(
        apply.stderr.is_empty() || !apply.stderr.contains("error"),
        "{}",
        apply.stderr
    );
    let noop = capz(&["plan", case.file, "--detailed-exitcode"]).expect_code(0);
    assert_golden(&golden("plan-noop.txt"), &noop.stdout);
    assert!(action_lines(&noop.stdout).is_empty(), "{}", noop.stdout);

    // a changed field in a copy of the program: exactly one update with old -> new.
    write(&replace_once(&original, case.update.0, case.update.1));
    let update = capz(&["plan", case.file, "--detailed-exitcode"]).expect_code(2);
    assert_golden(&golden("plan-update.txt"), &update.stdout);
    let actions = action_lines(&update.stdout);
    assert_eq!(
        actions.len(),
        1,
        "exactly one action expected:\n{}",
        update.stdout
    );
    assert!(actions[0].starts_with("~ "), "{}", update.stdout);
    assert!(
        update.stdout.contains(" -> "),
        "update shows old -> new:\n{}",
        update.stdout
    );
    capz(&["apply", case.file, "--auto-approve"]).expect_code(0);
    capz(&["plan", case.file, "--detailed-exitcode"]).expect_code(0);

    // removing a pool: exactly one delete.
    write(&remove_block(&original, case.pool));
    let prune = capz(&["plan", case.file, "--detailed-exitcode"]).expect_code(2);
    assert_golden(&golden("plan-delete-pool.txt"), &prune.stdout);
    let actions = action_lines(&prune.stdout);
    // The count edit is gone from this copy too, so the remaining pool's count is
    // back to the original value: filter to deletes and check there is exactly one.
    let deletes: Vec<_> = actions.iter().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(
        deletes.len(),
        1,
        "exactly one delete expected:\n{}",
        prune.stdout
    );
    capz(&["apply", case.file, "--auto-approve"]).expect_code(0);
    capz(&["plan", case.file, "--detailed-exitcode"]).expect_code(0);

    // destroy leaves nothing carrying the stack tag.
    write(&original);
    capz(&["destroy", case.file, "--auto-approve"]).expect_code(0);
    assert_nothing_tagged(&emu, case.stack);
}

/// No resource group, and no resource in any group, carries `capz-stack=<stack>`.
fn assert_nothing_tagged(emu: &Emulator, stack: &str) {
    let (status, groups) = emu.get_json(&format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourcegroups?api-version=2025-04-01"
    ));
    assert_eq!(status, 200, "list resource groups: {groups}");
    let tagged = |v: &serde_json::Value| v["tags"]["capz-stack"].as_str() == Some(stack);
    for g in groups["value"].as_array().cloned().unwrap_or_default() {
        assert!(!tagged(&g), "resource group still tagged: {g}");
        let name = g["name"].as_str().unwrap_or_default();
        let (_, resources) = emu.get_json(&format!(
            "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/{name}/resources?api-version=2025-04-01"
        ));
        for r in resources["value"].as_array().cloned().unwrap_or_default() {
            assert!(!tagged(&r), "resource still tagged: {r}");
        }
    }
}

/// The default target: capz starts the emulator in-process, with its state under
/// `.capz/` in the working folder, so plan, apply, plan again works across runs.
#[test]
fn embedded_emulator_persists_across_runs() {
    let work = tempfile::tempdir().expect("scratch working folder");
    std::fs::copy(
        repo_root().join("examples").join(MANAGED.file),
        work.path().join(MANAGED.file),
    )
    .expect("copy example");
    let capz = |args: &[&str]| run_capz(work.path(), None, args);
    capz(&["plan", MANAGED.file, "--detailed-exitcode"]).expect_code(2);
    capz(&["apply", MANAGED.file, "--auto-approve"]).expect_code(0);
    assert!(
        Path::new(&work.path().join(".capz")).is_dir(),
        "state folder .capz/ was not created"
    );
    let again = capz(&["plan", MANAGED.file, "--detailed-exitcode"]).expect_code(0);
    assert!(action_lines(&again.stdout).is_empty(), "{}", again.stdout);
    capz(&["destroy", MANAGED.file, "--auto-approve"]).expect_code(0);
    capz(&["plan", MANAGED.file, "--detailed-exitcode"]).expect_code(2);
}

/// Every program in examples/ checks clean (the lifecycle tests cover the issue-2 ones;
/// this catches any new example).
#[test]
fn every_example_checks_clean() {
    let dir = repo_root().join("examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("examples folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "capz") {
            let rel = path.strip_prefix(repo_root()).expect("inside repo");
            let run = run_capz(&repo_root(), None, &["check", &rel.to_string_lossy()]);
            assert_eq!(
                run.code,
                0,
                "{} does not check clean:\n{}",
                rel.display(),
                run.stderr
            );
            n += 1;
        }
    }
    assert!(n >= 2, "expected at least two examples, found {n}");
}
