//! The CI examples in README.md work: every `sotecheck …` command of its `yaml` blocks is
//! run as written, in a folder holding the demo package as `hva08-2025`, and the reports it
//! names are written and read back.

use std::path::Path;
use std::process::Command;

/// The `sotecheck` commands of README's yaml blocks.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_yaml = false;
    for line in readme.lines() {
        match line.trim() {
            "```yaml" => in_yaml = true,
            "```" => in_yaml = false,
            l if in_yaml => {
                let l = l.trim_start_matches("- ").trim_start_matches("run: ").trim();
                if l.starts_with("sotecheck ") {
                    out.push(l.to_string());
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn readme_ci_commands_write_the_reports_they_promise() {
    let commands = readme_commands();
    assert!(commands.len() >= 2, "README has a GitLab and a GitHub example: {commands:?}");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_sotecheck")).parent().unwrap().to_path_buf();
    for (i, command) in commands.iter().enumerate() {
        let dir = std::env::temp_dir().join(format!("sotecheck-ci-{}-{i}", std::process::id()));
        let pkg = dir.join("hva08-2025");
        std::fs::create_dir_all(&pkg).unwrap();
        for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")).unwrap().flatten() {
            std::fs::copy(e.path(), pkg.join(e.file_name())).unwrap();
        }
        let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
        let out = Command::new("sh").args(["-c", command]).current_dir(&dir).env("PATH", path).output().expect("sh runs");
        assert_eq!(out.status.code(), Some(0), "{command}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("CONFORMANT"), "{command}: the console says the verdict");
        for (format, file) in command.split_whitespace().filter_map(|w| w.split_once('=')) {
            let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{command}: {file}: {e}"));
            match format {
                "junit" => assert!(junit_parser::from_reader(std::io::Cursor::new(text.as_bytes())).is_ok(), "{file}"),
                "json" => assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap()["packages"][0]["verdict"], "conformant"),
                other => panic!("{command}: a report format the test does not read: {other}"),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
