//! What the fuzz run (`planner/tests/fuzz`) found, minimized: each input through the binary,
//! which must answer (an exit code of its own, never a panic) and say what it read.

use crate::util::root;

/// `silo-plan ARGS` with `dump` written to `DIR/dump.sql` (`{dump}` in `args` stands for its path).
fn run(dump: &[u8], args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dump.sql");
    std::fs::write(&path, dump).expect("write");
    let p = path.display().to_string();
    let args: Vec<String> = args.iter().map(|a| a.replace("{dump}", &p)).collect();
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .current_dir(root())
        .args(&args)
        .output()
        .expect("runs");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Seed 0x1, input 9780: a quoted name cut off by the end of the file, ending in a multi-byte
/// character (`ALTER TABLE "é`), panicked in the tokenizer (a slice inside the character).
#[test]
fn unterminated_quoted_name_ending_in_a_multibyte_character() {
    let (code, out, err) = run(
        "ALTER TABLE \"é".as_bytes(),
        &["inspect", "--schema", "{dump}"],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("warning[unparsed]: ALTER TABLE (public.é)"),
        "{out}\n{err}"
    );
}
