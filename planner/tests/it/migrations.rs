//! `plan --migrations TOOL` (issue 17, must-show 1): the real tools on Postgres.
//!
//! For every tool that installs here (dbmate from npm, Sqitch and ActiveRecord from Debian,
//! Django and Alembic from PyPI): `up` of a new silo's migrations on a fresh database gives the
//! catalog that psql gives applying `silos/<silo>/schema.sql` and `cascades/<silo>.sql` (phase 4,
//! provision), compared as pg_catalog rows, not text; on today's database the foreign-key break
//! up, down, up leaves `pg_constraint` without the cross-silo keys, then with every key as the
//! dump declares it, then without again; and an index the break builds with `CREATE INDEX
//! CONCURRENTLY` is built (Postgres refuses that statement inside a transaction block, so its
//! success shows the tool ran it outside one).
//!
//! golang-migrate, goose, Flyway and Atlas do not install here (Go modules and Java are not
//! reachable): their layouts are checked against their documentation in the snapshot and in
//! `layouts_follow_the_tools_documentation`, and the files they share with `sql` are the same
//! statements.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pg::Cluster;
use crate::util::root;

/// The tools whose real binaries run here.
#[derive(Debug, Clone, Copy)]
enum Tool {
    Dbmate,
    Sqitch,
    Django,
    Rails,
    Alembic,
}

const HINT: &str = "the migration tools: dbmate (npm, planner/tests/migration-tools, installed \
    by this test into target/migration-tools), sqitch and ruby-activerecord + ruby-pg (Debian), \
    django==5.2.19 and alembic==1.20.1 with psycopg (PyPI); `bash .ci/run` installs them all. \
    These tests never skip";

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {:?}: {e}; install {HINT}", cmd));
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// dbmate from target/migration-tools, installed from the pinned lock when missing.
fn dbmate() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let dir = target.join("migration-tools");
    let bin = dir.join("node_modules/.bin/dbmate");
    let pinned = root().join("planner/tests/migration-tools");
    let lock = std::fs::read(pinned.join("package-lock.json")).expect("the pinned npm lockfile");
    if !bin.exists() || std::fs::read(dir.join("package-lock.json")).ok() != Some(lock) {
        std::fs::create_dir_all(&dir).expect("creating target/migration-tools");
        for f in ["package.json", "package-lock.json"] {
            std::fs::copy(pinned.join(f), dir.join(f)).expect("copying the npm pin");
        }
        // `npm install`, not `npm ci`: the lock holds only this platform's dbmate binary.
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir),
            "npm install of dbmate",
        );
    }
    bin
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Dbmate => "dbmate",
            Tool::Sqitch => "sqitch",
            Tool::Django => "django",
            Tool::Rails => "rails",
            Tool::Alembic => "alembic",
        }
    }

    /// Its own bookkeeping: relations left out of the comparison (`schema.` for a schema).
    fn own(self) -> &'static [&'static str] {
        match self {
            Tool::Dbmate => &["public.schema_migrations"],
            Tool::Sqitch => &["sqitch."],
            Tool::Django => &["public.django_migrations"],
            Tool::Rails => &["public.schema_migrations", "public.ar_internal_metadata"],
            Tool::Alembic => &["public.alembic_version"],
        }
    }

    /// Applies every migration of `dir` (`migrations/<tool>/<database>`) to `db`.
    fn up(self, pg: &Cluster, dir: &Path, db: &str, scratch: &Path) {
        self.go(pg, dir, db, scratch, true)
    }

    /// Reverts the last migration applied.
    fn down_one(self, pg: &Cluster, dir: &Path, db: &str, scratch: &Path) {
        self.go(pg, dir, db, scratch, false)
    }

    fn go(self, pg: &Cluster, dir: &Path, db: &str, scratch: &Path, up: bool) {
        let what = format!("{} {} on {db}", self.name(), if up { "up" } else { "down" });
        let bin_dir = pg.bin("psql").parent().expect("bin dir").to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        match self {
            Tool::Dbmate => {
                let mut c = Command::new(dbmate());
                c.arg("--url")
                    .arg(format!("{}?sslmode=disable", pg.url(db)))
                    .arg("--migrations-dir")
                    .arg(dir)
                    .args(["--no-dump-schema", if up { "up" } else { "rollback" }]);
                run(&mut c, &what);
            }
            Tool::Sqitch => {
                let target = format!("db:pg://postgres@127.0.0.1:{}/{db}", pg.port());
                let mut c = Command::new("sqitch");
                c.current_dir(dir)
                    .env("PATH", &path)
                    .env("SQITCH_FULLNAME", "silo-plan test")
                    .env("SQITCH_EMAIL", "test@example.invalid")
                    .env("HOME", scratch);
                if up {
                    c.args(["deploy", "--verify", &target]);
                } else {
                    c.args(["revert", "-y", "--to", "@HEAD^", &target]);
                }
                run(&mut c, &what);
            }
            Tool::Django => {
                let app = std::fs::read_dir(dir)
                    .expect("django dir")
                    .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
                    .find(|n| n.starts_with("silo_plan_"))
                    .expect("the app package");
                std::fs::write(
                    scratch.join("silo_plan_test_settings.py"),
                    format!(
                        "SECRET_KEY = 'test'\nUSE_TZ = True\nINSTALLED_APPS = [{app:?}]\n\
                         DATABASES = {{'default': {{'ENGINE': 'django.db.backends.postgresql', \
                         'NAME': {db:?}, 'USER': 'postgres', 'HOST': '127.0.0.1', 'PORT': '{}'}}}}\n",
                        pg.port()
                    ),
                )
                .expect("settings");
                let mut c = Command::new("python3");
                c.env(
                    "PYTHONPATH",
                    format!("{}:{}", scratch.display(), dir.display()),
                )
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .env("DJANGO_SETTINGS_MODULE", "silo_plan_test_settings")
                .args(["-m", "django", "migrate", "-v0", &app]);
                if !up {
                    // Back to the migration before the last one.
                    let mut names: Vec<String> =
                        std::fs::read_dir(dir.join(&app).join("migrations"))
                            .expect("migrations")
                            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
                            .filter(|n| n.ends_with(".py") && n != "__init__.py")
                            .map(|n| n.trim_end_matches(".py").to_string())
                            .collect();
                    names.sort();
                    names.pop();
                    c.arg(names.pop().unwrap_or_else(|| "zero".into()));
                }
                run(&mut c, &what);
            }
            Tool::Rails => {
                let script = scratch.join("silo_plan_migrate.rb");
                std::fs::write(
                    &script,
                    "require \"active_record\"\n\
                     port, db, dir, action = ARGV\n\
                     ActiveRecord::Base.establish_connection(adapter: \"postgresql\", host: \"127.0.0.1\", \
                     port: port.to_i, username: \"postgres\", database: db)\n\
                     ctx = ActiveRecord::MigrationContext.new([dir], ActiveRecord::SchemaMigration)\n\
                     action == \"up\" ? ctx.migrate : ctx.rollback(1)\n",
                )
                .expect("script");
                let mut c = Command::new("ruby");
                c.arg(&script)
                    .arg(pg.port().to_string())
                    .arg(db)
                    .arg(dir)
                    .arg(if up { "up" } else { "down" });
                run(&mut c, &what);
            }
            Tool::Alembic => {
                let env = scratch.join("alembic_env");
                std::fs::create_dir_all(&env).expect("env dir");
                std::fs::write(
                    env.join("env.py"),
                    "from alembic import context\nfrom sqlalchemy import create_engine\n\n\
                     engine = create_engine(context.config.get_main_option('sqlalchemy.url'))\n\
                     with engine.connect() as conn:\n    \
                     context.configure(connection=conn, transaction_per_migration=True)\n    \
                     with context.begin_transaction():\n        context.run_migrations()\n",
                )
                .expect("env.py");
                let mut c = Command::new("python3");
                c.env("PYTHONDONTWRITEBYTECODE", "1")
                    .arg("-c")
                    .arg(
                        "import sys\nfrom alembic.config import Config\nfrom alembic import command\n\
                         env, versions, url, up = sys.argv[1:]\n\
                         cfg = Config()\ncfg.set_main_option('script_location', env)\n\
                         cfg.set_main_option('version_locations', versions)\n\
                         cfg.set_main_option('sqlalchemy.url', url)\n\
                         command.upgrade(cfg, 'heads') if up == 'up' else command.downgrade(cfg, '-1')\n",
                    )
                    .arg(&env)
                    .arg(dir.join("versions"))
                    .arg(format!(
                        "postgresql+psycopg://postgres@127.0.0.1:{}/{db}",
                        pg.port()
                    ))
                    .arg(if up { "up" } else { "down" });
                run(&mut c, &what);
            }
        }
    }
}

/// `silo-plan plan CONFIG --out OUT --migrations TOOL...`.
fn plan(config: &Path, out: &Path, tools: &[&str]) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_silo-plan"));
    c.current_dir(root())
        .arg("plan")
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg("--force");
    for t in tools {
        c.args(["--migrations", t]);
    }
    run(&mut c, "silo-plan plan");
}

/// The database's catalog as sorted lines: relations, columns, constraints, indexes,
/// triggers, functions (their definitions' md5), types, extensions; `own` relations (a tool's
/// bookkeeping) left out.
fn catalog(pg: &Cluster, db: &str, own: &[&str]) -> Vec<String> {
    let rows = pg.psql(
        db,
        "SET search_path TO pg_catalog;
         SELECT x FROM (
           SELECT 'rel ' || c.oid::regclass || ' ' || c.relkind::text AS x
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_to%'
           UNION ALL
           SELECT 'col ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                  || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attnum > 0 AND NOT a.attisdropped
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_to%'
           UNION ALL
           SELECT 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated
             FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
           UNION ALL
           SELECT 'idx ' || pg_get_indexdef(i.indexrelid) || ' ' || i.indisvalid
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_to%'
           UNION ALL
           SELECT 'trg ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
           UNION ALL
           SELECT 'fn ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind IN ('f', 'p')
           UNION ALL
           SELECT 'type ' || t.oid::regtype || ' ' || t.typtype::text || ' '
                  || coalesce((SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), '')
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_to%'
              AND t.typtype IN ('e', 'd') 
           UNION ALL
           SELECT 'ext ' || extname FROM pg_extension
           UNION ALL
           SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema'
         ) s ORDER BY x",
    );
    rows.lines()
        .filter(|l| {
            !own.iter().any(|o| {
                if let Some(schema) = o.strip_suffix('.') {
                    l.contains(&format!(" {schema}.")) || *l == format!("schema {schema}")
                } else {
                    l.contains(o)
                }
            })
        })
        .map(str::to_string)
        .collect()
}

/// The foreign keys of `db` (those of Sqitch's registry left out): table, name, definition,
/// validated.
fn foreign_keys(pg: &Cluster, db: &str) -> Vec<String> {
    pg.psql(
        db,
        "SET search_path TO pg_catalog;
         SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated
           FROM pg_constraint
          WHERE contype = 'f' AND connamespace::regnamespace::text <> 'sqitch' -- Sqitch's registry
          ORDER BY 1",
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// The tool on examples/saas: control's new database and today's database.
fn saas(tool: Tool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("plan");
    plan(&root().join("examples/saas"), &out, &[tool.name()]);
    let pg = Cluster::start();
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch");

    // Control's new database: the tool's `up` against psql applying what phase 4 applies, and
    // control's residency files (the fan-out to region's instances, the reservations it holds).
    pg.createdb("by_psql");
    for f in [
        "silos/control/schema.sql",
        "cascades/control.sql",
        "residency/fanout/control.sql",
        "residency/control.sql",
    ] {
        let o = pg.psql_file_stop("by_psql", &out.join(f));
        assert!(
            o.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    pg.createdb("by_tool");
    let dir = out.join(format!("migrations/{}/control", tool.name()));
    tool.up(&pg, &dir, "by_tool", &scratch);
    let want = catalog(&pg, "by_psql", tool.own());
    let have = catalog(&pg, "by_tool", tool.own());
    assert!(
        want.len() > 300,
        "the reference catalog is the whole silo: {}",
        want.len()
    );
    let missing: Vec<_> = want.iter().filter(|l| !have.contains(l)).collect();
    let extra: Vec<_> = have.iter().filter(|l| !want.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}: control's catalog differs from psql's\nmissing: {missing:#?}\nextra: {extra:#?}",
        tool.name()
    );
    // The last migration installs the reservations: its down drops them, up makes them again.
    let reservations =
        "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname LIKE 'reservation\\_%'";
    assert_eq!(pg.psql("by_tool", reservations).trim(), "4");
    tool.down_one(&pg, &dir, "by_tool", &scratch);
    assert_eq!(
        pg.psql("by_tool", reservations).trim(),
        "0",
        "{}",
        tool.name()
    );
    tool.up(&pg, &dir, "by_tool", &scratch);
    assert_eq!(catalog(&pg, "by_tool", tool.own()), have, "{}", tool.name());

    // Today's database: the dump, then the origin's migrations; the break is the last one.
    pg.createdb("origin");
    let o = pg.psql_file_stop("origin", &root().join("examples/saas/schema.sql"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let before = foreign_keys(&pg, "origin");
    let broken: Vec<String> = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(out.join("plan.json")).expect("plan.json"),
    )
    .expect("json")["fks"]["broken"]
        .as_array()
        .expect("broken keys")
        .iter()
        .map(|b| b["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(broken.len(), 21);
    let without: Vec<String> = before
        .iter()
        .filter(|l| !broken.iter().any(|n| l.split(' ').nth(1) == Some(n)))
        .cloned()
        .collect();
    assert_eq!(without.len(), before.len() - 21);
    let dir = out.join(format!("migrations/{}/origin", tool.name()));
    tool.up(&pg, &dir, "origin", &scratch);
    assert_eq!(
        foreign_keys(&pg, "origin"),
        without,
        "{}: after up",
        tool.name()
    );
    tool.down_one(&pg, &dir, "origin", &scratch);
    assert_eq!(
        foreign_keys(&pg, "origin"),
        before,
        "{}: after down",
        tool.name()
    );
    tool.up(&pg, &dir, "origin", &scratch);
    assert_eq!(
        foreign_keys(&pg, "origin"),
        without,
        "{}: after up again",
        tool.name()
    );
    // The cascades were installed before the break.
    assert_eq!(
        pg.psql(
            "origin",
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'silo_plan_tombstones'"
        )
        .trim(),
        "6"
    );
}

/// A cross-silo key without an index: the break builds one with `CREATE INDEX CONCURRENTLY`,
/// which Postgres refuses inside a transaction block; the tool's `up` builds it, valid.
fn concurrently(tool: Tool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("src");
    std::fs::write(
        src.join("schema.sql"),
        "CREATE TABLE public.users (id bigint NOT NULL PRIMARY KEY);\n\
         CREATE TABLE public.posts (id bigint NOT NULL PRIMARY KEY, user_id bigint);\n\
         ALTER TABLE ONLY public.posts ADD CONSTRAINT posts_user_id_fk FOREIGN KEY (user_id) \
         REFERENCES public.users(id) ON DELETE CASCADE;\n",
    )
    .expect("dump");
    std::fs::write(
        src.join("silo-plan.toml"),
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"posts\"\n\
         [silos.users]\ntables = [\"users\"]\n[silos.posts]\ntables = [\"posts\"]\n",
    )
    .expect("config");
    let out = tmp.path().join("plan");
    plan(&src, &out, &[tool.name()]);
    let pg = Cluster::start();
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch");
    pg.createdb("origin");
    let o = pg.psql_file_stop("origin", &src.join("schema.sql"));
    assert!(o.status.success());
    let dir = out.join(format!("migrations/{}/origin", tool.name()));
    tool.up(&pg, &dir, "origin", &scratch);
    assert_eq!(
        pg.psql(
            "origin",
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             WHERE i.indrelid = 'public.posts'::regclass AND NOT i.indisprimary"
        )
        .trim(),
        "t|CREATE INDEX silo_plan_posts_user_id_idx ON public.posts USING btree (user_id)"
    );
    assert!(foreign_keys(&pg, "origin").is_empty());
}

#[test]
fn dbmate_runs_the_saas_migrations() {
    saas(Tool::Dbmate);
}

#[test]
fn dbmate_builds_indexes_concurrently() {
    concurrently(Tool::Dbmate);
}

#[test]
fn sqitch_runs_the_saas_migrations() {
    saas(Tool::Sqitch);
}

#[test]
fn sqitch_builds_indexes_concurrently() {
    concurrently(Tool::Sqitch);
}

#[test]
fn django_runs_the_saas_migrations() {
    saas(Tool::Django);
}

#[test]
fn django_builds_indexes_concurrently() {
    concurrently(Tool::Django);
}

#[test]
fn rails_runs_the_saas_migrations() {
    saas(Tool::Rails);
}

#[test]
fn rails_builds_indexes_concurrently() {
    concurrently(Tool::Rails);
}

#[test]
fn alembic_runs_the_saas_migrations() {
    saas(Tool::Alembic);
}

#[test]
fn alembic_builds_indexes_concurrently() {
    concurrently(Tool::Alembic);
}

/// The files `--migrations` writes for examples/saas (every tool's list), and dbmate's files in
/// full: the layout each tool documents (golang-migrate's `NNNNNN_name.up.sql`/`.down.sql`,
/// goose's `-- +goose` annotations and `NO TRANSACTION`, Flyway's `V<n>__`/`U<n>__` with
/// `executeInTransaction=false` in a `.sql.conf`, Atlas's `-- atlas:txmode none` and
/// `atlas.sum`), reviewed here since those tools do not install on this machine.
#[test]
fn layouts_follow_the_tools_documentation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("plan");
    let all = [
        "sql",
        "dbmate",
        "golang-migrate",
        "goose",
        "flyway",
        "sqitch",
        "atlas",
        "django",
        "rails",
        "alembic",
    ];
    plan(&root().join("examples/saas"), &out, &all);
    let files = crate::util::read_tree(&out.join("migrations"));
    let list: Vec<&str> = files.keys().map(String::as_str).collect();
    insta::assert_snapshot!("migrations_files", list.join("\n"));
    let dbmate: String = files
        .iter()
        .filter(|(p, _)| p.starts_with("dbmate/origin/"))
        .map(|(p, c)| format!("==> {p} <==\n{c}"))
        .collect();
    insta::assert_snapshot!("migrations_dbmate_origin", dbmate);
    // Atlas: the sum as its algorithm gives it, over the directory's files.
    for db in ["origin", "control"] {
        let sqls: Vec<(String, String)> = files
            .iter()
            .filter_map(|(p, c)| {
                p.strip_prefix(&format!("atlas/{db}/"))
                    .filter(|n| n.ends_with(".sql"))
                    .map(|n| (n.to_string(), c.clone()))
            })
            .collect();
        assert_eq!(
            files[&format!("atlas/{db}/atlas.sum")],
            atlas_sum_oracle(&sqls)
        );
    }
    // Non-transactional steps are marked the way each tool reads it.
    let brk = |p: &str| files[p].as_str();
    assert!(
        brk("dbmate/origin/003_break_foreign_keys.sql").contains("-- migrate:up transaction:false")
    );
    assert!(brk("goose/origin/00003_break_foreign_keys.sql").contains("-- +goose NO TRANSACTION"));
    assert_eq!(
        brk("flyway/origin/V3__break_foreign_keys.sql.conf"),
        "executeInTransaction=false\n"
    );
    assert!(brk("atlas/origin/003_break_foreign_keys.sql").starts_with("-- atlas:txmode none\n\n"));
    assert!(
        brk("django/origin/silo_plan_origin/migrations/0003_break_foreign_keys.py")
            .contains("atomic = False")
    );
    assert!(
        brk("rails/origin/003_silo_plan_origin_break_foreign_keys.rb")
            .contains("disable_ddl_transaction!")
    );
    assert!(brk("alembic/origin/versions/003_break_foreign_keys.py").contains("autocommit_block()"));
}

/// Atlas's `NewHashFile` and `MarshalText`, written out independently of the renderer: a
/// running SHA-256 over (name, contents) of each file, base64; the first line over every
/// (name, hash).
fn atlas_sum_oracle(files: &[(String, String)]) -> String {
    let py = "import base64, hashlib, sys, json\n\
              files = json.load(sys.stdin)\n\
              h = hashlib.sha256(); lines = []\n\
              for n, c in files:\n    h.update(n.encode()); h.update(c.encode())\n    \
              lines.append((n, base64.b64encode(h.copy().digest()).decode()))\n\
              t = hashlib.sha256()\n\
              for n, x in lines:\n    t.update(n.encode()); t.update(x.encode())\n\
              sys.stdout.write('h1:' + base64.b64encode(t.digest()).decode() + '\\n' + ''.join(f'{n} h1:{x}\\n' for n, x in lines))\n";
    let mut child = Command::new("python3")
        .args(["-c", py])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(files).expect("json").as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python3 runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}
