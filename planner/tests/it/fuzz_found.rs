//! What the fuzz run (`planner/tests/fuzz`) found, minimized: each input through the binary,
//! which must answer (an exit code of its own, never a panic) and say what it read.

use crate::util::{root, silo_plan};

/// `silo-plan ARGS` with `dump` written to `DIR/dump.sql` (`{dump}` in `args` stands for its path).
fn run(dump: &[u8], args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dump.sql");
    std::fs::write(&path, dump).expect("write");
    let p = path.display().to_string();
    let args: Vec<String> = args.iter().map(|a| a.replace("{dump}", &p)).collect();
    let o = silo_plan(root(), &args);
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

/// `silo-plan plan` of `dump` with silo `x` (origin: `a`, `b`) and silo `y` (`c`), then silo x's
/// `schema.sql` loaded into a fresh database: the foreign keys Postgres has on `b` there.
fn plan_and_load_x(dump: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("schema.sql"), dump).expect("write");
    std::fs::write(
        dir.path().join("silo-plan.toml"),
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"x\"\n\n[silos.x]\ntables = [\"a\", \"b\"]\n\n[silos.y]\ntables = [\"c\"]\n",
    )
    .expect("write");
    let out = dir.path().join("plan");
    crate::util::plan_files(dir.path(), &out);
    let c = crate::pg::Cluster::start();
    c.createdb("x");
    let l = c.psql_file("x", &out.join("silos/x/schema.sql"));
    let err = String::from_utf8_lossy(&l.stderr);
    assert!(
        l.status.success() && !err.contains("ERROR"),
        "loading silos/x/schema.sql: {err}\n{}",
        std::fs::read_to_string(out.join("silos/x/schema.sql")).unwrap_or_default()
    );
    c.psql(
        "x",
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = 'public.b'::regclass ORDER BY 1",
    )
    .lines()
    .map(str::to_string)
    .collect()
}

const TABLES: &str = "CREATE TABLE public.a (id integer PRIMARY KEY);
CREATE TABLE public.b (id integer PRIMARY KEY, a_id integer, c_id integer);
CREATE TABLE public.c (id integer PRIMARY KEY);
";

/// Seed 0x511091a7, input 9765 (minimized): a migration that drops a foreign key it added made
/// `plan` panic (index out of bounds in plan/schema.rs): the statements kept the keys' indexes
/// from before the drop, the last one past the end.
#[test]
fn a_dropped_foreign_key_before_the_last_one() {
    let fks = plan_and_load_x(&format!(
        "{TABLES}ALTER TABLE public.b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES public.a(id);
ALTER TABLE public.b ADD CONSTRAINT b_c_fk FOREIGN KEY (c_id) REFERENCES public.c(id);
ALTER TABLE public.b DROP CONSTRAINT b_a_fk;
"
    ));
    // b_a_fk is added and dropped as in the source; b_c_fk crosses to y and is left out.
    assert!(fks.is_empty(), "{fks:?}");
}

/// The same stale indexes without a panic were wrong in silence: each statement after the dropped
/// key was decided by the next key's placement, so the in-silo b_a_fk was left out of silo x and
/// the crossing b_c_fk was kept (and failed to load).
#[test]
fn a_dropped_foreign_key_moves_no_other_key() {
    let fks = plan_and_load_x(&format!(
        "{TABLES}ALTER TABLE public.b ADD CONSTRAINT b_old_fk FOREIGN KEY (a_id) REFERENCES public.a(id);
ALTER TABLE public.b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES public.a(id);
ALTER TABLE public.b ADD CONSTRAINT b_c_fk FOREIGN KEY (c_id) REFERENCES public.c(id);
ALTER TABLE public.b DROP CONSTRAINT b_old_fk;
ALTER TABLE public.b ADD CONSTRAINT b_self_fk FOREIGN KEY (a_id) REFERENCES public.b(id);
"
    ));
    assert_eq!(fks, ["b_a_fk", "b_self_fk"]);
}
