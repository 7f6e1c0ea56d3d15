//! docs/quickstart.md runs as written: its block of commands, one by one in one shell, each
//! ending with the exit code the page says (its `exit N` note, else 0); the stand-ins it
//! starts are stopped whatever happens. The one line not run as written is the CLI's build:
//! the test command has built the same code (its binary is put first on PATH instead).

use std::process::Command;

#[test]
fn the_quick_start_runs_as_written() {
    let root = testkit::workspace_root();
    let page = std::fs::read_to_string(root.join("docs/quickstart.md")).unwrap();
    let block = page
        .split("<!-- quickstart:")
        .nth(1)
        .and_then(|b| b.split("```sh\n").nth(1))
        .and_then(|b| b.split("\n```").next())
        .expect("docs/quickstart.md has its block of commands");
    let bin_dir = testkit::cli_bin().parent().unwrap().display().to_string();
    // A folder of its own for the stand-ins' state, not the operator's .local: the page's
    // `.local/` is read as it.
    let dir = std::env::temp_dir().join(format!("macie-guard-quickstart-{}", std::process::id()));
    let dir_text = dir.display().to_string();
    let mut script =
        String::from("set -u\ntrap 'scripts/local-stack.sh stop > /dev/null 2>&1' EXIT\n");
    let mut expected = Vec::new();
    for line in block.lines() {
        let (command, note) = line.split_once(" #").unwrap_or((line, ""));
        let command = command.trim();
        if command.is_empty() {
            continue;
        }
        let command = if command.starts_with("cargo build") {
            format!("export PATH=\"{bin_dir}:$PATH\"")
        } else {
            command.replace(".local/", &format!("{dir_text}/"))
        };
        let code: i32 = note
            .split("exit ")
            .nth(1)
            .and_then(|n| n.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        expected.push((command.clone(), code));
        script.push_str(&format!(
            "echo '::: {}'\n{command}\necho \"::: exit $?\"\n",
            command.replace('\'', "")
        ));
    }
    assert!(expected.len() >= 6, "{expected:?}");
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &script])
        .current_dir(&root)
        .env("MACIE_GUARD_LOCAL_DIR", &dir);
    // As on an operator's machine: no stand-in of the tests' own in the environment.
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_ENDPOINT_URL") || k.starts_with("MACIE_GUARD_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let err = String::from_utf8_lossy(&out.stderr);
    let codes: Vec<i32> = text
        .lines()
        .filter_map(|l| l.strip_prefix("::: exit "))
        .map(|c| c.trim().parse().unwrap())
        .collect();
    let want: Vec<i32> = expected.iter().map(|(_, c)| *c).collect();
    assert_eq!(codes, want, "{expected:?}\n{text}\n{err}");
    // What the page says one sees.
    assert!(text.contains("nightly-pii-scan"), "{text}");
    // Each job's ARN, as the README's tag command takes it.
    assert!(
        text.contains("job ARN: arn:aws:macie2:us-east-1:123456789012:classification-job/<JOB ID>"),
        "{text}"
    );
    assert!(text.contains("dry"), "{text}");
    assert!(
        text.contains("EXPORT_CONFIG_MISSING") && text.contains("Fix:"),
        "{text}"
    );
    assert!(text.contains("stopped"), "{text}");
    assert!(!dir.exists(), "stop removes its folder");
}
