//! The project's own files as tests read them: the templates as JSON, and the sample events.

use serde_json::Value;
use std::process::Command;

use crate::*;

/// A template read as CloudFormation reads it (scripts/template_json.py in .venv-sam):
/// intrinsic tags as `{"Ref": ...}` / `{"Fn::...": ...}`; with `expand`, after the SAM
/// transform.
pub fn template_json(path: &str, expand: bool) -> Value {
    // Read once per process: each reading starts Python (and, expanded, the SAM translator).
    static READ: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<(String, bool), Value>>,
    > = std::sync::OnceLock::new();
    let cache = READ.get_or_init(Default::default);
    let key = (path.to_string(), expand);
    if let Some(v) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return v.clone();
    }
    let v = read_template_json(path, expand);
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, v.clone());
    v
}

fn read_template_json(path: &str, expand: bool) -> Value {
    let root = workspace_root();
    let python = root.join(".venv-sam/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-venv.sh --sam (the test command does)",
        python.display()
    );
    let mut cmd = Command::new(python);
    cmd.current_dir(&root).arg("scripts/template_json.py");
    if expand {
        cmd.arg("--expand");
    }
    let out = cmd.arg(path).output().expect("template_json.py runs");
    assert!(
        out.status.success(),
        "template_json.py {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// A sample event from `events/`.
pub fn event(name: &str) -> Value {
    let path = workspace_root().join("events").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}
