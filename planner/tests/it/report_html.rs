//! report.html in headless Chromium (issue 18, must-show 2), driven through the DevTools
//! protocol: the page of examples/saas and of a 1,000-table synthetic dump loads with no
//! console message, no exception and no network request (every request the page makes is a
//! `Network.requestWillBeSent` event of its target; the browser's own background traffic is
//! not the page's), shows the plan's counts, and a click of the mouse on a table (an
//! `Input.dispatchMouseEvent` at the node's position) lists that table's cascade closure as
//! `silo-plan explain` walks it. A table named `</script>` does not break the page.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it); fails with an install hint without it.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::{analysis, root};

#[path = "../../benches/synth.rs"]
mod synth;

/// A headless Chromium and a DevTools connection to one page of it.
struct Browser {
    child: Child,
    ws: tungstenite::WebSocket<TcpStream>,
    session: String,
    next: u64,
    /// Every event of the page's session so far.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> PathBuf {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "headless Chromium is needed to test report.html: `apt-get install chromium` \
         (Debian; `.ci/run` installs it)"
    );
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                // Tests run as root, where Chromium's sandbox cannot start.
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--remote-debugging-port=0",
                "--window-size=1400,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID", then keep reading
        // stderr so that Chromium never blocks on a full pipe.
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut url = None;
        for line in lines.by_ref() {
            let line = line.expect("stderr");
            if let Some(u) = line.split("DevTools listening on ").nth(1) {
                url = Some(u.trim().to_string());
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let url = url.expect("Chromium printed its DevTools address");
        let addr = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .expect("host:port")
            .to_string();
        let stream = TcpStream::connect(&addr).expect("connect to DevTools");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let (ws, _) = tungstenite::client(url.as_str(), stream).expect("websocket");
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next: 0,
            events: Vec::new(),
            _profile: profile,
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().expect("targetId").to_string();
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        b.session = attached["sessionId"]
            .as_str()
            .expect("sessionId")
            .to_string();
        for domain in ["Network", "Runtime", "Log", "Page"] {
            b.call(&format!("{domain}.enable"), json!({}));
        }
        b
    }

    /// Sends a command (to the page, once attached) and returns its result, keeping the
    /// events that arrive meanwhile.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(tungstenite::Message::text(msg.to_string()))
            .expect("send");
        loop {
            let v = self.read();
            if v["id"] == json!(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method}: {e}");
                }
                return v["result"].clone();
            }
        }
    }

    fn read(&mut self) -> Value {
        loop {
            match self.ws.read().expect("DevTools message") {
                tungstenite::Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON");
                    if v.get("method").is_some() && v["sessionId"] == json!(self.session) {
                        self.events.push(v.clone());
                    }
                    return v;
                }
                tungstenite::Message::Close(_) => panic!("DevTools closed"),
                _ => {}
            }
        }
    }

    /// Opens `url` and waits for its load event and for the script's first drawing.
    fn open(&mut self, url: &str) {
        self.events.clear();
        self.call("Page.navigate", json!({"url": url}));
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut dialogs = 0;
        while !self
            .events
            .iter()
            .any(|e| e["method"] == "Page.loadEventFired")
        {
            assert!(
                Instant::now() < deadline,
                "{url} did not load: {:?}",
                self.complaints(url)
            );
            self.read();
            // A dialog (`alert()` of an injected script) holds the page until dismissed: it
            // is dismissed here and reported by `complaints`.
            let open = self
                .events
                .iter()
                .filter(|e| e["method"] == "Page.javascriptDialogOpening")
                .count();
            while dialogs < open {
                dialogs += 1;
                self.call("Page.handleJavaScriptDialog", json!({"accept": false}));
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// A click of the mouse at the centre of the element `selector` finds (scrolled into view
    /// first).
    fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); e.scrollIntoView({{block: 'center', inline: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
            sel = json!(selector)
        ));
        let (x, y) = (at[0].as_f64().expect("x"), at[1].as_f64().expect("y"));
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// What the page did that it must not: console messages, dialogs, exceptions, log entries
    /// of level warning or error (a request the page's policy refused is one), and requests of any URL
    /// but the page's own file.
    fn complaints(&self, page: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled" => {
                    out.push(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Page.javascriptDialogOpening" => out.push(format!("dialog: {}", p["message"])),
                "Runtime.exceptionThrown" => {
                    out.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Log.entryAdded"
                    if matches!(p["entry"]["level"].as_str(), Some("warning" | "error")) =>
                {
                    out.push(format!("log: {}", p["entry"]))
                }
                "Network.requestWillBeSent" => {
                    let url = p["request"]["url"].as_str().unwrap_or("");
                    if url.split('?').next() != page.split('?').next() {
                        out.push(format!("request: {url}"));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// `silo-plan plan CONFIG --out DIR` (with `extra` arguments); the output directory.
fn plan(config: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let o = assert_cmd::Command::cargo_bin("silo-plan")
        .expect("binary")
        .arg("plan")
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out.join("report.html")
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// The number of crossing keys the silo view counts on its edges.
const SILO_EDGE_SUM: &str = "(() => { document.getElementById('tab-silos').click(); \
     return [...document.querySelectorAll('text.count')].reduce((n, t) => n + Number(t.dataset.count || 0), 0); })()";

/// The steps of the closure the details panel lists.
const CLOSURE_STEPS_SHOWN: &str = "document.querySelectorAll('#closure li.step').length";

/// Loads `html`, checks the header's counts against the plan of `config`, the silo view's
/// edge counts against the crossings, and that a click on `table` lists its closure.
fn check_page(b: &mut Browser, html: &Path, config: &Path, table: &str) {
    let a = analysis(config);
    let findings = a.check(silo_plan::check::CheckOptions::default());
    let pin = a.input();
    let p = silo_plan::plan::build(&pin, &findings);
    let url = file_url(html);
    b.open(&url);
    let counts = b.eval(
        "['n-tables', 'n-silos', 'n-crossings', 'n-findings'].map(id => Number(document.getElementById(id).textContent))",
    );
    let groups = p.silos.len()
        + usize::from(
            a.asg
                .tables
                .values()
                .any(|d| d.placement == silo_plan::assign::Placement::Unassigned),
        );
    assert_eq!(
        counts,
        json!([
            a.asg.tables.len(),
            groups,
            p.crossings.len(),
            p.findings.len()
        ]),
        "{url}"
    );
    assert_eq!(b.eval(SILO_EDGE_SUM), json!(p.crossings.len()), "{url}");
    // A real click, in the tables view.
    b.eval("document.getElementById('tab-tables').click()");
    let q = match table.split_once('.') {
        Some((s, t)) => silo_plan::catalog::QName::new(s, t),
        None => panic!("{table}: schema.table"),
    };
    let (hops, _) =
        silo_plan::closure::closure_limited(&a.input(), &q, silo_plan::plan::CLOSURE_STEPS);
    assert!(!hops.is_empty(), "{table} has a closure to show");
    assert_eq!(
        b.eval(CLOSURE_STEPS_SHOWN),
        json!(0),
        "nothing selected yet"
    );
    b.click(&format!("g.table[data-name=\"{table}\"] rect"));
    assert_eq!(
        b.eval("document.querySelector('#details h2').textContent"),
        json!(table),
        "{url}"
    );
    assert_eq!(b.eval(CLOSURE_STEPS_SHOWN), json!(hops.len()), "{url}");
    // The first step is the first hop, its child table and its crossing mark.
    let first = &a.cat.foreign_keys[hops[0].fk];
    assert_eq!(
        b.eval("document.querySelector('#closure li.step').dataset.table"),
        json!(first.table.to_string())
    );
    let complaints = b.complaints(&url);
    assert!(complaints.is_empty(), "{url}:\n{}", complaints.join("\n"));

    // `?select=` opens the page with the table clicked (same handler).
    let url = format!("{url}?select={table}");
    b.open(&url);
    assert_eq!(b.eval(CLOSURE_STEPS_SHOWN), json!(hops.len()), "{url}");
    let complaints = b.complaints(&url);
    assert!(complaints.is_empty(), "{url}:\n{}", complaints.join("\n"));
}

#[test]
fn report_html_in_chromium() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = Browser::start();

    // examples/saas.
    let saas = root().join("examples/saas/silo-plan.toml");
    let html = plan(&saas, &dir.path().join("saas"), &[]);
    check_page(&mut b, &html, &saas, "public.auth_user");

    // A 1,000-table synthetic dump in three silos.
    let synth_dir = dir.path().join("synth");
    std::fs::create_dir_all(&synth_dir).expect("mkdir");
    std::fs::write(
        synth_dir.join("schema.sql"),
        synth::generate(1000, synth::SEED),
    )
    .expect("write dump");
    std::fs::write(
        synth_dir.join("silo-plan.toml"),
        "version = 1\nschema = [\"schema.sql\"]\norigin = \"core\"\n\n[defaults]\non_delete = \"cascade\"\nunassigned = \"warn\"\n\n\
         [silos.accounts]\ntables = [\"t_000*\", \"t_001*\", \"t_002*\"]\n\n\
         [silos.core]\ntables = [\"t_003*\", \"t_004*\", \"t_005*\", \"t_006*\"]\n\n\
         [silos.events]\ntables = [\"t_007*\", \"t_008*\", \"t_009*\"]\n",
    )
    .expect("write config");
    let config = synth_dir.join("silo-plan.toml");
    let html = plan(
        &config,
        &dir.path().join("synth-plan"),
        &["--allow-findings"],
    );
    let a = analysis(&config);
    assert_eq!(a.asg.tables.len(), 1000);
    // The table whose closure is longest (ties: the first by name).
    let busiest = a
        .asg
        .tables
        .keys()
        .max_by_key(|q| {
            let n = silo_plan::closure::closure(&a.input(), q).len();
            (n, std::cmp::Reverse((*q).clone()))
        })
        .expect("tables")
        .to_string();
    check_page(&mut b, &html, &config, &busiest);
    // At 1,000 tables the page opens on the silo view.
    b.open(&file_url(&html));
    assert_eq!(
        b.eval("document.getElementById('tab-silos').getAttribute('aria-pressed')"),
        json!("true")
    );
}

/// A dump whose table names would end the page's `<script>` element or inject markup: the
/// page still loads cleanly and shows every name as it is.
#[test]
fn report_html_survives_hostile_table_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let names = [
        "</script><script>document.title='pwned'</script>",
        "<!--",
        "<img src=x onerror=alert(1)>",
        "a&amp;b",
        "\u{2028}line",
    ];
    let mut sql = String::from("CREATE TABLE public.parent (id integer PRIMARY KEY);\n");
    for n in names {
        sql.push_str(&format!(
            "CREATE TABLE public.{} (id integer PRIMARY KEY, parent_id integer REFERENCES public.parent(id) ON DELETE CASCADE);\n",
            silo_plan::ident::ident(n)
        ));
    }
    std::fs::write(dir.path().join("schema.sql"), sql).expect("dump");
    std::fs::write(
        dir.path().join("silo-plan.toml"),
        "version = 1\nschema = [\"schema.sql\"]\n\n[silos.a]\ntables = [\"parent\"]\n\n[silos.b]\ntables = [\"*\"]\n",
    )
    .expect("config");
    let config = dir.path().join("silo-plan.toml");
    let html = plan(&config, &dir.path().join("plan"), &[]);
    let mut b = Browser::start();
    check_page(&mut b, &html, &config, "public.parent");
    let url = file_url(&html);
    b.open(&url);
    assert_eq!(b.eval("document.title"), json!("Silo plan: silo-plan.toml"));
    let shown = b.eval("[...document.querySelectorAll('g.table')].map(g => g.dataset.name)");
    for n in names {
        assert!(
            shown.as_array().expect("names").contains(&json!(format!(
                "public.{}",
                silo_plan::untrusted::escape(n)
            ))),
            "{n:?} not shown: {shown}"
        );
    }
    assert!(b.complaints(&url).is_empty(), "{:?}", b.complaints(&url));
    let text = std::fs::read_to_string(&html).expect("report.html");
    assert_eq!(
        text.matches("</script>").count(),
        2,
        "only the page's own end tags"
    );
}

/// The checks see what they look for: a page that logs, throws or fetches is reported.
#[test]
fn the_page_checks_see_console_messages_and_requests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><script>console.error('boom'); \
         fetch('http://127.0.0.1:9/x').catch(() => {});</script></body></html>",
    )
    .expect("page");
    let mut b = Browser::start();
    let url = file_url(&page);
    b.open(&url);
    let c = b.complaints(&url);
    assert!(c.iter().any(|m| m.starts_with("console.")), "{c:?}");
    assert!(
        c.iter().any(|m| m == "request: http://127.0.0.1:9/x"),
        "{c:?}"
    );
}
