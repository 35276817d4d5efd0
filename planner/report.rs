//! Rendering findings: rustc-like text, JSON, SARIF 2.1.0 and GitHub workflow commands.
//!
//! This is the only module that decides how a [`Finding`] looks. It returns a `String`; the
//! binary decides where it goes and whether the terminal gets colour. What every code means is
//! documented once, in `docs/codes.md`; SARIF rule descriptions are taken from that file.
//!
//! ```
//! use silo_plan::findings::{Code, Finding, Location, Severity};
//! use silo_plan::report::{render, ReportFormat, Sources};
//! use silo_plan::source::SourceFile;
//!
//! let dump = [SourceFile::new("schema.sql", "CREATE TABLE public.t (id int);\n".to_string())];
//! let finding = Finding {
//!     reference: None,
//!     code: Code::UnassignedTable,
//!     severity: Severity::Error,
//!     message: "table `public.t` is in no silo".to_string(),
//!     location: Some(Location { file: "schema.sql".to_string(), line: 1, column: Some(14) }),
//!     related: vec![],
//!     help: None,
//!     object: "public.t".to_string(),
//! };
//! let text = render(&[finding], &Sources::new(&dump), ReportFormat::Text, false);
//! assert!(text.starts_with("error[SP001]: table `public.t` is in no silo\n --> schema.sql:1:14"));
//! assert!(text.ends_with("1 error, 0 warnings, 0 notes\n"));
//! ```

use std::collections::BTreeMap;

use annotate_snippets::{
    normalize_untrusted_str, AnnotationKind, Group, Level, Origin, Renderer, Snippet,
};
use serde::Serialize;

use crate::findings::{Code, Finding, Location, Severity};
use crate::source::SourceFile;
use crate::untrusted;

/// How findings are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum ReportFormat {
    /// rustc-like: the code, `file:line:col`, the source line with a caret, notes, help.
    #[default]
    Text,
    /// One JSON document: `{"version":1,"summary":{..},"findings":[..]}`.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=..::..`), one line per finding.
    Github,
}

/// The text of the input files, by path, so the text format can print source lines.
///
/// A finding whose file is not here (or whose line is past the end) is printed with its
/// `file:line:col` and no source line.
#[derive(Debug, Default)]
pub struct Sources<'a> {
    files: BTreeMap<&'a str, Text<'a>>,
}

#[derive(Debug)]
enum Text<'a> {
    File(&'a SourceFile),
    Extra(SourceFile),
}

impl<'a> Sources<'a> {
    /// The dump files, looked up by [`SourceFile::path`].
    pub fn new(files: &'a [SourceFile]) -> Self {
        let mut sources = Sources::default();
        for file in files {
            sources.files.entry(&file.path).or_insert(Text::File(file));
        }
        sources
    }

    /// Adds another file by path and text (the config file). The first file given for a path
    /// wins.
    pub fn with_extra(mut self, path: &'a str, text: &'a str) -> Self {
        self.files
            .entry(path)
            .or_insert_with(|| Text::Extra(SourceFile::new(path, text.to_string())));
        self
    }

    /// The file at `path`, if known.
    fn file(&self, path: &str) -> Option<&SourceFile> {
        match self.files.get(path)? {
            Text::File(file) => Some(file),
            Text::Extra(file) => Some(file),
        }
    }

    /// The text of a 1-based line of `path`, without its line break, if known.
    #[cfg(test)]
    fn line(&self, path: &str, line: u32) -> Option<&str> {
        let file = self.file(path)?;
        (line > 0 && line <= file.line_of(file.text.len())).then(|| file.line_text(line))
    }
}

/// Renders findings (already in their stable order, see [`crate::findings::sort`]).
///
/// `color` adds ANSI styles to the text format only; pass `true` only when printing to a
/// terminal. The other formats are the same either way. The output ends with a line break.
pub fn render(
    findings: &[Finding],
    sources: &Sources<'_>,
    format: ReportFormat,
    color: bool,
) -> String {
    match format {
        ReportFormat::Text => text(findings, sources, color),
        ReportFormat::Json => json(findings),
        ReportFormat::Sarif => sarif(findings),
        ReportFormat::Github => github(findings),
    }
}

/// Counts by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    notes: usize,
}

impl Summary {
    fn of(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Note => s.notes += 1,
            }
        }
        s
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

// ---------------------------------------------------------------------------------------------
// text

fn text(findings: &[Finding], sources: &Sources<'_>, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for f in findings {
        let mut headers = Vec::new();
        let groups = report_of(f, sources, &mut headers);
        let rendered = renderer.render(&groups);
        out.push_str(&fix_headers(rendered, &headers));
        out.push_str("\n\n");
    }
    let s = Summary::of(findings);
    let summary = if findings.is_empty() {
        "no findings".to_string()
    } else {
        format!(
            "{}, {}, {}",
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.notes, "note")
        )
    };
    if color {
        out.push_str("\x1b[1m");
        out.push_str(&summary);
        out.push_str("\x1b[0m\n");
    } else {
        out.push_str(&summary);
        out.push('\n');
    }
    out
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// Text from the inputs for annotate-snippets: the characters [`untrusted`] escapes written
/// visibly, then annotate-snippets' own normalization (tabs as spaces).
fn shown(s: &str) -> String {
    normalize_untrusted_str(&untrusted::escape(s))
}

/// A `--> file:line:col` header that annotate-snippets prints with the column of the excerpt
/// it was given (a clipped or escaped line), to be rewritten with the column in the file.
struct Header {
    /// What annotate-snippets prints: `file:line:col` in the excerpt.
    printed: String,
    /// What it must say: `file:line:col` in the file.
    real: String,
}

/// The rendered finding with each header of `headers` rewritten, in order.
fn fix_headers(mut rendered: String, headers: &[Header]) -> String {
    let mut from = 0;
    for h in headers {
        if let Some(i) = rendered[from..].find(&h.printed) {
            let at = from + i;
            rendered.replace_range(at..at + h.printed.len(), &h.real);
            from = at + h.real.len();
        }
    }
    rendered
}

/// One finding as annotate-snippets groups: the finding with its source line and help, then a
/// `note:` group per related location.
fn report_of<'a>(
    f: &'a Finding,
    sources: &'a Sources<'_>,
    headers: &mut Vec<Header>,
) -> Vec<Group<'a>> {
    let title = level(f.severity)
        .primary_title(shown(&f.message))
        .id(f.code.as_str());
    let mut primary = Group::with_title(title);
    if let Some(loc) = &f.location {
        primary = place(primary, loc, sources, AnnotationKind::Primary, headers);
    }
    if let Some(help) = &f.help {
        primary = primary.element(Level::HELP.message(shown(help)));
    }
    let mut groups = vec![primary];
    for r in &f.related {
        let note = Group::with_title(Level::NOTE.secondary_title(shown(&r.message)));
        groups.push(place(
            note,
            &r.location,
            sources,
            AnnotationKind::Context,
            headers,
        ));
    }
    groups
}

/// Lines longer than this many bytes are shown as an excerpt around the annotation: giving
/// annotate-snippets a whole line costs time in its length, and a dump with a thousand
/// statements on one line has a finding for many of them (the report took 15 s).
const LONG_LINE: usize = 1024;
/// How much of a long line an excerpt shows before the annotation, of the annotation, and
/// after it, in bytes (rounded down to characters): one terminal line in all.
const BEFORE: usize = 40;
const SPAN: usize = 60;
const AFTER: usize = 30;

/// The largest character boundary of `s` at or below `i`.
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// What annotate-snippets is given for a source line whose annotation is `start..end`: the line
/// itself when it is short and safe to print, else an excerpt (`…` where it is cut) with the
/// unsafe characters escaped. Returns the text and the annotation's range in it.
fn excerpt(line: &str, start: usize, end: usize) -> (std::borrow::Cow<'_, str>, usize, usize) {
    let long = line.len() > LONG_LINE;
    if !long && matches!(untrusted::escape(line), std::borrow::Cow::Borrowed(_)) {
        return (line.into(), start, end);
    }
    let (from, end, to) = if long {
        let mut cut_end = floor_boundary(line, end.min(start + SPAN));
        if cut_end <= start && start < line.len() {
            // At least one character is annotated.
            cut_end = start + line[start..].chars().next().map_or(0, char::len_utf8);
        }
        (
            floor_boundary(line, start.saturating_sub(BEFORE)),
            cut_end,
            floor_boundary(line, cut_end + AFTER),
        )
    } else {
        (0, end, line.len())
    };
    let mut text = String::with_capacity(to - from + 16);
    if from > 0 {
        text.push('…');
    }
    text.push_str(&untrusted::escape(&line[from..start]));
    let a = text.len();
    text.push_str(&untrusted::escape(&line[start..end]));
    let b = text.len();
    text.push_str(&untrusted::escape(&line[end..to]));
    if to < line.len() {
        text.push('…');
    }
    (text.into(), a, b)
}

/// Adds a location to a group: its source line with the column underlined when the line is
/// known, else only `--> file:line:col`.
fn place<'a>(
    group: Group<'a>,
    loc: &'a Location,
    sources: &'a Sources<'_>,
    kind: AnnotationKind,
    headers: &mut Vec<Header>,
) -> Group<'a> {
    // annotate-snippets prints paths as they are: a control character in one must not reach
    // the terminal.
    let path = shown(&loc.file);
    let known = sources
        .file(&loc.file)
        .filter(|file| loc.line > 0 && loc.line <= file.line_of(file.text.len()));
    let Some(file) = known else {
        let mut origin = Origin::path(path).line(loc.line as usize);
        if let Some(c) = loc.column {
            origin = origin.char_column(c as usize);
        }
        return group.element(origin);
    };
    let line = file.line_text(loc.line);
    let line_start = file.line_start(loc.line);
    let start = match loc.column {
        Some(c) => file.offset_of_column(loc.line, c) - line_start,
        None => line.len() - line.trim_start().len(),
    };
    let end = match loc.column {
        Some(_) => token_end(line, start),
        None => line.trim_end().len().max(start),
    };
    let (text, a, b) = excerpt(line, start, end);
    if a != start || text.len() != line.len() {
        // annotate-snippets counts the column in the excerpt.
        let printed = text[..a].chars().count() + 1;
        let real = file.column_of(line_start + start);
        if printed != real as usize {
            headers.push(Header {
                printed: format!("{path}:{}:{printed}", loc.line),
                real: format!("{path}:{}:{real}", loc.line),
            });
        }
    }
    group.element(
        Snippet::source(text)
            .line_start(loc.line as usize)
            .path(path)
            .annotation(kind.span(a..b)),
    )
}

/// The end of the word that starts at byte `start`: an identifier (`public.orders`, `"a b".c`),
/// a keyword, a TOML key, string or table header (`[[allow]]`). At least one character is
/// underlined. Looks no further than [`LONG_LINE`] bytes: a long line is shown as an excerpt.
fn token_end(line: &str, start: usize) -> usize {
    let rest = &line[start..floor_boundary(line, start + LONG_LINE)];
    if rest.starts_with('[') {
        return start + rest.rfind(']').map_or(1, |i| i + 1);
    }
    let mut quoted = false;
    for (i, c) in rest.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && (c.is_whitespace() || "(),;=[]".contains(c)) {
            return start + if i == 0 { c.len_utf8() } else { i };
        }
    }
    start + rest.len()
}

// ---------------------------------------------------------------------------------------------
// json

/// The `--format json` document; its shape is documented in `docs/codes.md`.
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    summary: Summary,
    findings: &'a [Finding],
}

fn json(findings: &[Finding]) -> String {
    let doc = JsonReport {
        version: 1,
        summary: Summary::of(findings),
        findings,
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("findings serialize to JSON");
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------------------------
// sarif

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The code documentation: one `## SPnnn name` section per code.
const CODES_MD: &str = include_str!("../docs/codes.md");

// Typed structs rather than `serde_json::Value`: the key order is the declaration order whatever
// features `serde_json` is built with, so the output is byte-identical everywhere.

#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<SarifLocation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
}

fn sarif(findings: &[Finding]) -> String {
    let rules = Code::ALL
        .iter()
        .map(|&code| {
            let doc = CodeDoc::of(code);
            Rule {
                id: code.as_str(),
                name: code.name(),
                short_description: Message { text: doc.summary },
                full_description: Message { text: doc.detects },
                help: MultiformatMessage {
                    text: doc.fix,
                    markdown: doc.markdown,
                },
            }
        })
        .collect();
    let results = findings
        .iter()
        .map(|f| SarifResult {
            rule_id: f.code.as_str(),
            rule_index: Code::ALL.iter().position(|&c| c == f.code).unwrap_or(0),
            level: match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            },
            message: Message {
                text: f.message.clone(),
            },
            locations: vec![SarifLocation {
                id: None,
                physical_location: f.location.as_ref().map(physical),
                logical_locations: vec![LogicalLocation {
                    fully_qualified_name: &f.object,
                }],
                message: None,
            }],
            related_locations: f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| SarifLocation {
                    id: Some(i),
                    physical_location: Some(physical(&r.location)),
                    logical_locations: vec![],
                    message: Some(Message {
                        text: r.message.clone(),
                    }),
                })
                .collect(),
        })
        .collect();
    let repository = env!("CARGO_PKG_REPOSITORY");
    let log = SarifLog {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "silo-plan",
                    information_uri: (!repository.is_empty()).then_some(repository),
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serializes to JSON");
    out.push('\n');
    out
}

fn physical(loc: &Location) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: path_uri(&loc.file),
        },
        region: Region {
            start_line: loc.line.max(1),
            start_column: loc.column.map(|c| c.max(1)),
        },
    }
}

/// A file path as a URI reference: relative paths stay relative (code scanning resolves them
/// against the repository root), `\` becomes `/`, absolute paths become `file://` URIs, and
/// anything outside the URI character set is percent-encoded.
fn path_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    let b = path.as_bytes();
    let windows_drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/';
    if path.starts_with('/') {
        out.push_str("file://");
    } else if windows_drive {
        out.push_str("file:///");
    }
    for (i, b) in path.bytes().enumerate() {
        // A colon is kept only as a drive letter's: elsewhere it would read as a URI scheme.
        let keep = b.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&b)
            || (b == b':' && windows_drive && i == 1);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What `docs/codes.md` says about one code.
struct CodeDoc {
    /// The first paragraph under the heading.
    summary: String,
    /// "What it detects".
    detects: String,
    /// "How to fix".
    fix: String,
    /// The whole section, as Markdown.
    markdown: String,
}

impl CodeDoc {
    fn of(code: Code) -> CodeDoc {
        let heading = format!("## {} {}", code.as_str(), code.name());
        let mut section = Vec::new();
        let mut inside = false;
        let mut fenced = false;
        for line in CODES_MD.lines() {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            if !fenced && line.starts_with("## ") {
                if inside {
                    break;
                }
                inside = line.trim_end() == heading;
                continue;
            }
            if inside {
                section.push(line);
            }
        }
        let markdown = section.join("\n").trim().to_string();
        let summary = prose(&section, None).unwrap_or_else(|| code.name().to_string());
        CodeDoc {
            detects: prose(&section, Some("### What it detects"))
                .unwrap_or_else(|| summary.clone()),
            fix: prose(&section, Some("### How to fix")).unwrap_or_else(|| summary.clone()),
            summary,
            markdown,
        }
    }
}

/// The text under `heading` up to the next heading, or the first paragraph of the section when
/// `heading` is `None`, as plain text: lines of a paragraph joined, list items on their own
/// lines, paragraphs apart by a blank line.
fn prose(section: &[&str], heading: Option<&str>) -> Option<String> {
    let start = match heading {
        Some(h) => section.iter().position(|l| l.trim_end() == h)? + 1,
        None => 0,
    };
    let mut out = String::new();
    let mut blank = false;
    for line in &section[start..] {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with("```") {
            break;
        }
        if line.is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            if blank && heading.is_none() {
                break;
            }
            let item = line.starts_with("- ")
                || line.starts_with("* ")
                || line
                    .split_once(". ")
                    .is_some_and(|(n, _)| n.bytes().all(|b| b.is_ascii_digit()));
            out.push_str(if blank {
                "\n\n"
            } else if item {
                "\n"
            } else {
                " "
            });
        }
        blank = false;
        out.push_str(line);
    }
    (!out.is_empty()).then_some(out)
}

// ---------------------------------------------------------------------------------------------
// github

/// `::error file=F,line=L,col=C,title=SP002 cross-silo-fk::message`, with related locations and
/// help as further lines of the message.
fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(match f.severity {
            Severity::Error => "::error ",
            Severity::Warning => "::warning ",
            Severity::Note => "::notice ",
        });
        if let Some(loc) = &f.location {
            out.push_str("file=");
            out.push_str(&escape_property(&untrusted::escape(&loc.file)));
            out.push_str(&format!(",line={}", loc.line));
            if let Some(c) = loc.column {
                out.push_str(&format!(",col={c}"));
            }
            out.push(',');
        }
        out.push_str("title=");
        out.push_str(&escape_property(&format!(
            "{} {}",
            f.code.as_str(),
            f.code.name()
        )));
        out.push_str("::");
        // Each part escaped on its own: the line breaks between them are the message's.
        let mut message = untrusted::escape(&f.message).into_owned();
        for r in &f.related {
            let col = r
                .location
                .column
                .map(|c| format!(":{c}"))
                .unwrap_or_default();
            message.push_str(&format!(
                "\nnote: {}:{}{}: {}",
                untrusted::escape(&r.location.file),
                r.location.line,
                col,
                untrusted::escape(&r.message)
            ));
        }
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(&untrusted::escape(help));
        }
        out.push_str(&escape_data(&message));
        out.push('\n');
    }
    out
}

/// GitHub's escaping of a workflow command's message (`escapeData` in `@actions/core`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value (`escapeProperty`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn uris() {
        assert_eq!(path_uri("db/structure.sql"), "db/structure.sql");
        assert_eq!(path_uri("db\\my dump.sql"), "db/my%20dump.sql");
        assert_eq!(path_uri("/abs/x.sql"), "file:///abs/x.sql");
        assert_eq!(path_uri("C:\\x\\y.sql"), "file:///C:/x/y.sql");
        assert_eq!(path_uri("a:b.sql"), "a%3Ab.sql");
        assert_eq!(path_uri("ü.sql"), "%C3%BC.sql");
    }

    #[test]
    fn every_code_is_documented() {
        for code in Code::ALL {
            let doc = CodeDoc::of(code);
            assert!(
                !doc.markdown.is_empty(),
                "docs/codes.md has no section for {code:?}"
            );
            for h in [
                "### What it detects",
                "### Why it matters",
                "### How to fix",
                "### Example",
            ] {
                assert!(
                    doc.markdown.contains(h),
                    "{}: missing {h:?} in docs/codes.md",
                    code.as_str()
                );
            }
            assert_ne!(doc.summary, code.name(), "{}: no summary", code.as_str());
            assert_ne!(doc.detects, doc.summary, "{}: no detects", code.as_str());
            assert_ne!(doc.fix, doc.summary, "{}: no fix", code.as_str());
        }
    }

    #[test]
    fn text_never_prints_control_characters_from_the_input() {
        let evil = "x\x1b[2J\x07";
        let files = [SourceFile::new(evil, format!("CREATE TABLE {evil} ();\n"))];
        let at = Location {
            file: evil.to_string(),
            line: 1,
            column: Some(14),
        };
        let f = Finding {
            code: Code::UnassignedTable,
            reference: None,
            severity: Severity::Error,
            message: evil.to_string(),
            location: Some(at.clone()),
            related: vec![crate::findings::Related {
                location: at,
                message: evil.to_string(),
            }],
            help: Some(evil.to_string()),
            object: evil.to_string(),
        };
        let sources = Sources::new(&files);
        let out = render(
            std::slice::from_ref(&f),
            &sources,
            ReportFormat::Text,
            false,
        );
        assert!(!out.contains(['\x1b', '\x07']), "{out}");
        // Nor the C1 controls and bidirectional overrides annotate-snippets lets through, in
        // the text and the GitHub formats.
        let evil = "x\u{9b}2J\u{202e}\u{200f}\u{61c}";
        let files = [SourceFile::new(
            evil,
            format!("CREATE TABLE \"{evil}\" ();\n"),
        )];
        let mut f = f;
        f.message = evil.to_string();
        f.help = Some(evil.to_string());
        f.object = evil.to_string();
        for l in std::iter::once(f.location.as_mut().expect("at"))
            .chain(f.related.iter_mut().map(|r| &mut r.location))
        {
            l.file = evil.to_string();
        }
        f.related[0].message = evil.to_string();
        for format in [ReportFormat::Text, ReportFormat::Github] {
            let out = render(
                std::slice::from_ref(&f),
                &Sources::new(&files),
                format,
                false,
            );
            assert!(
                !out.chars().any(|c| c != '\n' && untrusted::is_unsafe(c)),
                "{out}"
            );
            assert!(
                out.contains("x\\u{9b}2J\\u{202e}\\u{200f}\\u{61c}"),
                "{out}"
            );
        }
        let out = render(&[], &Sources::new(&[]), ReportFormat::Github, false);
        assert!(out.is_empty());
    }

    /// The work per finding is bounded whatever the line's length: the renderer is given an
    /// excerpt of at most about 130 characters and the caret is found without scanning the line
    /// (the report of such a line: `long_lines_are_shown_as_bounded_excerpts` in
    /// planner/tests/it/report.rs).
    #[test]
    fn long_lines_are_shown_as_bounded_excerpts() {
        let line: String = (0..20_000)
            .map(|i| format!("CREATE TABLE public.t{i} (id int);"))
            .collect();
        // The excerpt of any span is short, and holds the span.
        for start in [0, 5, line.len() / 2, line.len() - 3] {
            let end = token_end(&line, start);
            assert!(end - start <= LONG_LINE);
            let (text, a, b) = excerpt(&line, start, end);
            assert!(text.chars().count() <= BEFORE + SPAN + AFTER + 2, "{text}");
            assert_eq!(&text[a..b], &line[start..end.min(start + SPAN)]);
        }
        // A token that runs to the end of a long line is looked at up to LONG_LINE bytes.
        let quoted = format!("x \"{}", "y".repeat(100_000));
        assert_eq!(token_end(&quoted, 2), 2 + LONG_LINE);
    }

    /// A line with an unsafe character before the annotation is shown escaped, the caret under
    /// the annotated text and the header with the column in the file.
    #[test]
    fn escaped_lines_keep_their_carets_and_columns() {
        let text = "CREATE TABLE \"a\u{202e}\x1b[2J\" (id int); CREATE TABLE public.b (id int);\n";
        let files = [SourceFile::new("e.sql", text.to_string())];
        let column = text[..text.find("CREATE TABLE public.b").expect("b")]
            .chars()
            .count() as u32
            + 1;
        let f = Finding {
            code: Code::UnassignedTable,
            reference: None,
            severity: Severity::Warning,
            message: "b".to_string(),
            location: Some(Location {
                file: "e.sql".to_string(),
                line: 1,
                column: Some(column),
            }),
            related: vec![],
            help: None,
            object: "b".to_string(),
        };
        let out = render(&[f], &Sources::new(&files), ReportFormat::Text, false);
        assert!(out.contains(&format!(" --> e.sql:1:{column}\n")), "{out}");
        let source = out.lines().find(|l| l.starts_with("1 | ")).expect("line");
        assert!(source.contains("\"a\\u{202e}\\u{1b}[2J\""), "{out}");
        let caret = out.lines().find(|l| l.contains('^')).expect("caret");
        assert_eq!(
            caret.find('^'),
            source.find("CREATE TABLE public.b"),
            "{out}"
        );
    }

    #[test]
    fn sources_lines() {
        let files = [SourceFile::new("a.sql", "one\ntwo\r\nthree".to_string())];
        let s = Sources::new(&files).with_extra("c.toml", "x = 1\n\ny = 2\n");
        assert_eq!(s.line("a.sql", 2), Some("two"));
        assert_eq!(s.line("a.sql", 3), Some("three"));
        assert_eq!(s.line("a.sql", 4), None);
        assert_eq!(s.line("a.sql", 0), None);
        assert_eq!(s.line("c.toml", 2), Some(""));
        assert_eq!(s.line("c.toml", 3), Some("y = 2"));
        assert_eq!(s.line("c.toml", 4), Some(""));
        assert_eq!(s.line("c.toml", 5), None);
        assert_eq!(s.line("b.sql", 1), None);
    }
}
