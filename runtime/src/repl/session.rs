//! The REPL backend: a [`Session`] evaluates one input at a time and completes partial
//! input, with no terminal. The rustyline frontend ([`super::frontend`]) and the tests
//! drive it alike.
//!
//! State: the loaded file (split into top-level items), the definitions typed so far, the
//! `--param`/`:set` overrides and, once a command needs it, a connection to the target.
//! Every input re-compiles the whole session program through [`lang::session::Workspace`]:
//! each typed input is its own source file `<repl:N>`, so diagnostics point into the line
//! typed. Definitions that add errors are refused (the session stays as it was);
//! expressions are evaluated against a catalog without stdlib rules, so a program that a
//! rule still refuses can be explored.

use crate::cli::{Global, target};
use crate::codes;
use crate::loader::FsLoader;
use crate::plan::{self, Action, Plan, PlanOptions};
use lang::session::{Evaluated, ExprRef, Key, Piece, Workspace};
use lang::source::FileId;
use lang::{Catalog, Diagnostic, Program, SourceFile, SourceMap, Value};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What one input produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Text to print (values, tables, rendered diagnostics); ends with a newline unless empty.
    pub text: String,
    /// The input failed (a diagnostic error was reported).
    pub error: bool,
    /// The user asked to end the session (`:quit`).
    pub quit: bool,
}

impl Output {
    fn ok(text: impl Into<String>) -> Output {
        let mut text = text.into();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        Output {
            text,
            ..Output::default()
        }
    }
}

pub use lang::complete::{Candidate, CandidateKind};

/// How the session reaches ARM for `:live`, `:diff` and `:plan`.
pub struct TargetConfig {
    /// The CLI's global options (`--target`, `--arm-endpoint`, `--state-dir`, ...).
    pub global: Global,
    /// The tokio runtime to run requests on; the session blocks on it, so call the
    /// session from outside async code (or inside `tokio::task::block_in_place`).
    pub handle: tokio::runtime::Handle,
}

/// Session settings.
#[derive(Default)]
pub struct Options {
    /// ANSI colours in rendered diagnostics.
    pub color: bool,
    /// `--param name=value` overrides.
    pub params: Vec<(String, String)>,
    /// The target; `None` makes `:live`, `:diff` and `:plan` report that there is none.
    pub target: Option<TargetConfig>,
}

struct Loaded {
    path: PathBuf,
    name: String,
    pieces: Vec<Piece>,
}

/// The commands, with their argument and one line of help (also the completion list).
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "", "this list"),
    (":type", "EXPR", "the type of an expression"),
    (
        ":load",
        "FILE",
        "load a program (its params, lets and resources come into scope)",
    ),
    (":reload", "", "read the loaded file again"),
    (":params", "", "parameters with their values"),
    (
        ":set",
        "NAME=VALUE",
        "override a parameter, as --param does",
    ),
    (
        ":show",
        "ADDRESS",
        "a declared resource: every field and where it is set",
    ),
    (
        ":live",
        "ADDRESS",
        "the resource as the target has it (GET), with ARM's read-only fields",
    ),
    (":diff", "ADDRESS", "the planned change of one resource"),
    (":plan", "", "the plan of the whole session program"),
    (":explain", "CODE", "explain a diagnostic code"),
    (":complete", "TEXT", "completion candidates for TEXT"),
    (":quit", "", "end the session (also Ctrl-D)"),
];

/// A REPL session. See the module documentation.
pub struct Session {
    catalog: &'static Catalog,
    expr_catalog: Catalog,
    ws: Workspace,
    loaded: Option<Loaded>,
    typed: Vec<Piece>,
    params: Vec<(String, String)>,
    inputs: usize,
    color: bool,
    target_config: Option<TargetConfig>,
    target: Option<target::Target>,
    /// The last program the session compiled (rule-free), for completion and `:show`.
    last: Option<Program>,
}

impl Session {
    /// A session with no program loaded.
    pub fn new(options: Options) -> Session {
        let catalog = stdlib::catalog();
        let mut s = Session {
            catalog,
            expr_catalog: lang::session::without_rules(catalog),
            ws: Workspace::new(),
            loaded: None,
            typed: Vec::new(),
            params: options.params,
            inputs: 0,
            color: options.color,
            target_config: options.target,
            target: None,
            last: None,
        };
        s.refresh();
        s
    }

    /// Stop the embedded emulator, if a command started one.
    pub fn close(mut self) {
        if let (Some(t), Some(c)) = (self.target.take(), self.target_config.as_ref()) {
            c.handle.block_on(t.close());
        }
    }

    /// Evaluate one input (possibly several lines): an expression, definitions, or a
    /// `:command`. Never panics; an error is reported in the output and the session goes on.
    pub fn eval_line(&mut self, line: &str) -> Output {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
            return Output::default();
        }
        if let Some(cmd) = trimmed.strip_prefix(':') {
            let (name, rest) = cmd
                .split_once(char::is_whitespace)
                .map_or((cmd, ""), |(n, r)| (n, r.trim()));
            return self.command(name, rest, line);
        }
        let id = self.add_input(line);
        self.code(id)
    }

    /// Whether `text` is the start of an input that is not finished: a block, bracket or
    /// expression left open (the parser reports `capz::syntax::unexpected-end`).
    pub fn is_incomplete(&self, text: &str) -> bool {
        let t = text.trim();
        if t.is_empty() || t.starts_with(':') {
            return false;
        }
        if lang::syntax::parse_expr(0, text).is_ok() {
            return false;
        }
        let diags = if self.looks_like_item(text) {
            lang::syntax::parse(0, text).1
        } else {
            lang::syntax::parse_expr(0, text).err().unwrap_or_default()
        };
        diags
            .iter()
            .any(|d| d.code == "capz::syntax::unexpected-end")
    }

    /// Load (or with `None`, reload) a program file. Its items come into scope; typed
    /// definitions stay and win over items of the same name.
    pub fn load(&mut self, path: Option<PathBuf>) -> Output {
        let Some(path) = path.or_else(|| self.loaded.as_ref().map(|l| l.path.clone())) else {
            return self.fail(
                Diagnostic::error(codes::REPL_USAGE, "no file is loaded")
                    .with_help("load one with :load FILE"),
            );
        };
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                return self.fail(
                    Diagnostic::error(codes::CLI_READ_FAILED, format!("cannot read {name}: {e}"))
                        .with_help("check the path of the program file"),
                );
            }
        };
        let id = self.ws.add(SourceFile::new(name.clone(), text));
        let pieces = match self.ws.pieces(id) {
            Ok(p) => p,
            Err(d) => return self.diagnostics_output(&self.ws.sources.clone(), &d),
        };
        self.loaded = Some(Loaded {
            path,
            name: name.clone(),
            pieces,
        });
        let full = self.compile(&self.all_pieces(), None, true);
        self.refresh();
        let mut out = self.diagnostics_output(&full.sources, &full.diagnostics);
        let summary = match &self.last {
            Some(p) => format!(
                "loaded {name}: stack {}, {} resources, {} params\n",
                p.stack,
                p.resources.len(),
                p.params.len()
            ),
            None => format!("loaded {name} (with errors: fix them and :reload)\n"),
        };
        out.text = summary + &out.text;
        out
    }

    /// Completion candidates for `line` with the cursor at byte `pos`.
    pub fn complete(&self, line: &str, pos: usize) -> Vec<Candidate> {
        let pos = floor_boundary(line, pos.min(line.len()));
        let before = &line[..pos];
        let start = lang::complete::word_start(before);
        let word = &before[start..];
        let head = before.trim_start();
        if head.starts_with(':') {
            return self.complete_command(before, start, word);
        }
        self.complete_code(before, start, word)
    }

    // ---- inputs ----------------------------------------------------------------------

    fn add_input(&mut self, text: &str) -> FileId {
        self.inputs += 1;
        self.ws
            .add(SourceFile::new(format!("<repl:{}>", self.inputs), text))
    }

    fn looks_like_item(&self, text: &str) -> bool {
        let mut words = text.split_whitespace();
        let Some(first) = words.next() else {
            return false;
        };
        if ["stack", "param", "let", "use", "output", "for"].contains(&first) {
            return true;
        }
        self.catalog.kind(first).is_some()
            && words.next().is_some_and(|w| {
                w.starts_with('"') || w.starts_with(|c: char| c.is_alphabetic() || c == '_')
            })
    }

    fn code(&mut self, id: FileId) -> Output {
        let text = self.ws.text(id).to_string();
        let expr = lang::syntax::parse_expr(id, &text);
        if expr.is_ok() {
            let e = ExprRef {
                file: id,
                start: 0,
                end: text.len(),
            };
            return self.value_of(e, false);
        }
        match self.ws.pieces(id) {
            Ok(pieces) => self.define(pieces),
            Err(file_diags) => {
                let diags = if self.looks_like_item(&text) {
                    file_diags
                } else {
                    expr.err().unwrap_or(file_diags)
                };
                self.diagnostics_output(&self.ws.sources.clone(), &diags)
            }
        }
    }

    fn value_of(&mut self, e: ExprRef, type_only: bool) -> Output {
        let r = self.compile(&self.all_pieces(), Some(e), false);
        match &r.value {
            Some((v, t)) => {
                let warnings = render_new(&r, self.color);
                let line = if type_only {
                    format!("{t}\n")
                } else {
                    format!("{} : {t}\n", show_value(v))
                };
                Output::ok(line + &warnings)
            }
            None => self.diagnostics_output(&r.sources, &r.diagnostics),
        }
    }

    fn define(&mut self, pieces: Vec<Piece>) -> Output {
        let before = self.compile(&self.all_pieces(), None, true);
        let mut candidate = self.all_pieces();
        candidate.extend(pieces.iter().cloned());
        let after = self.compile(&candidate, None, true);
        let old: BTreeSet<(String, String)> = before
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code.to_string(), d.message.clone()))
            .collect();
        let new: Vec<Diagnostic> = after
            .diagnostics
            .iter()
            .filter(|d| !old.contains(&(d.code.to_string(), d.message.clone())))
            .cloned()
            .collect();
        if lang::diagnostic::has_errors(&new) {
            return self.diagnostics_output(&after.sources, &new);
        }
        let old_addrs: BTreeSet<String> = self
            .last
            .iter()
            .flat_map(|p| p.resources.iter().map(|r| r.address.to_string()))
            .collect();
        self.typed.extend(pieces.iter().cloned());
        self.refresh();
        let mut text = String::new();
        for p in &pieces {
            text.push_str(&self.describe_definition(p, &old_addrs));
        }
        text.push_str(&lang::diagnostic::render_with(
            &after.sources,
            &new,
            self.color,
        ));
        Output::ok(text)
    }

    fn describe_definition(&mut self, p: &Piece, old_addrs: &BTreeSet<String>) -> String {
        let program = self.last.clone();
        match (&p.key, p.describe.split_once(' ')) {
            (Key::Stack, _) => {
                program.map_or_else(String::new, |p| format!("stack {:?}\n", p.stack))
            }
            (Key::Output(name), _) => program
                .and_then(|pr| pr.outputs.into_iter().find(|o| &o.name == name))
                .map_or_else(String::new, |o| {
                    format!("output {name} = {} : {}\n", show_value(&o.value), o.ty)
                }),
            (Key::Name(name), Some(("let" | "param", _))) => {
                let Some((start, end)) = p.name_at else {
                    return String::new();
                };
                let r = self.compile(
                    &self.all_pieces(),
                    Some(ExprRef {
                        file: p.file,
                        start,
                        end,
                    }),
                    false,
                );
                r.value.map_or_else(String::new, |(v, t)| {
                    format!("{name} = {} : {t}\n", show_value(&v))
                })
            }
            _ => {
                let Some(program) = program else {
                    return String::new();
                };
                let mut out = String::new();
                for r in &program.resources {
                    let a = r.address.to_string();
                    let declared_here = r.span.file == p.file
                        && (r.span.start as usize) >= p.start
                        && (r.span.end as usize) <= p.end;
                    if declared_here {
                        let verb = if old_addrs.contains(&a) {
                            "redefined"
                        } else {
                            "declared"
                        };
                        let _ = writeln!(out, "{verb} {} {a}", r.kind);
                    }
                }
                if out.is_empty() {
                    format!("{}\n", p.describe)
                } else {
                    out
                }
            }
        }
    }

    // ---- compiling -------------------------------------------------------------------

    fn all_pieces(&self) -> Vec<Piece> {
        let mut v: Vec<Piece> = self
            .loaded
            .as_ref()
            .map(|l| l.pieces.clone())
            .unwrap_or_default();
        v.extend(self.typed.iter().cloned());
        v
    }

    fn root_name(&self) -> String {
        self.loaded
            .as_ref()
            .map_or_else(|| "<repl>".to_string(), |l| l.name.clone())
    }

    fn compile(&self, pieces: &[Piece], expr: Option<ExprRef>, rules: bool) -> Evaluated {
        let catalog = if rules {
            self.catalog
        } else {
            &self.expr_catalog
        };
        self.ws.compile(
            pieces,
            expr,
            &self.root_name(),
            &FsLoader,
            catalog,
            &self.params,
        )
    }

    /// Re-compile the session program (rule-free) for completion and `:show`.
    fn refresh(&mut self) {
        let r = self.compile(&self.all_pieces(), None, false);
        self.last = r.program;
    }

    fn fail(&self, d: Diagnostic) -> Output {
        self.diagnostics_output(&SourceMap::default(), &[d])
    }

    fn diagnostics_output(&self, sources: &SourceMap, diags: &[Diagnostic]) -> Output {
        Output {
            text: lang::diagnostic::render_with(sources, diags, self.color),
            error: lang::diagnostic::has_errors(diags),
            quit: false,
        }
    }

    // ---- commands --------------------------------------------------------------------

    fn command(&mut self, name: &str, rest: &str, line: &str) -> Output {
        match name {
            "help" | "h" | "?" => Output::ok(help_text()),
            "quit" | "q" | "exit" => Output {
                quit: true,
                ..Output::default()
            },
            "type" | "t" => {
                if rest.is_empty() {
                    return self.usage("type");
                }
                let id = self.add_input(line);
                let start = line.find(rest).unwrap_or(0);
                let e = ExprRef {
                    file: id,
                    start,
                    end: start + rest.len(),
                };
                self.value_of(e, true)
            }
            "load" | "l" => {
                if rest.is_empty() {
                    return self.usage("load");
                }
                self.load(Some(PathBuf::from(rest)))
            }
            "reload" | "r" => self.load(None),
            "params" => self.show_params(),
            "set" => self.set_param(rest),
            "show" => self.with_resource("show", rest, |s, p, a| s.show(p, a)),
            "live" => self.with_resource("live", rest, |s, p, a| s.live(p, a)),
            "diff" => self.with_resource("diff", rest, |s, _, a| s.diff(a)),
            "plan" => self.plan_all(),
            "explain" => {
                if rest.is_empty() {
                    return self.usage("explain");
                }
                match crate::cli::explain::lookup(rest) {
                    Some((summary, explanation)) => {
                        Output::ok(format!("{rest}: {summary}\n\n{explanation}\n"))
                    }
                    None => self.fail(
                        Diagnostic::error(
                            codes::CLI_UNKNOWN_CODE,
                            format!("no diagnostic code {rest:?}"),
                        )
                        .with_help("codes look like capz::cidr::outside-service-cidr; complete them with Tab"),
                    ),
                }
            }
            "complete" => {
                let mut out = String::new();
                for c in self.complete(rest, rest.len()) {
                    let _ = writeln!(out, "{}", c.display);
                }
                Output::ok(out)
            }
            _ => self.fail(
                Diagnostic::error(
                    codes::REPL_UNKNOWN_COMMAND,
                    format!("unknown command :{name}"),
                )
                .with_help("type :help for the list of commands"),
            ),
        }
    }

    fn usage(&self, name: &str) -> Output {
        let (cmd, arg, what) = COMMANDS
            .iter()
            .find(|c| c.0 == format!(":{name}"))
            .copied()
            .unwrap_or((":help", "", ""));
        self.fail(
            Diagnostic::error(codes::REPL_USAGE, format!("{cmd} needs {arg}"))
                .with_help(format!("{cmd} {arg}: {what}")),
        )
    }

    fn show_params(&self) -> Output {
        let Some(p) = &self.last else {
            return self.fail(
                Diagnostic::error(codes::REPL_USAGE, "the session program has errors")
                    .with_help("fix them (see :reload) to list its params"),
            );
        };
        if p.params.is_empty() {
            return Output::ok("no params\n");
        }
        let w = p.params.iter().map(|x| x.name.len()).max().unwrap_or(0);
        let mut out = String::new();
        for x in &p.params {
            let how = if x.overridden { "  (set)" } else { "" };
            let _ = writeln!(
                out,
                "{:w$} : {} = {}{how}",
                x.name,
                x.ty,
                show_value(&x.value)
            );
        }
        Output::ok(out)
    }

    fn set_param(&mut self, rest: &str) -> Output {
        let Some((k, v)) = rest.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return self.usage("set");
        };
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        let old = self.params.clone();
        self.params.retain(|(n, _)| n != &k);
        self.params.push((k.clone(), v));
        let r = self.compile(&self.all_pieces(), None, false);
        if lang::diagnostic::has_errors(&r.diagnostics) || r.program.is_none() {
            self.params = old;
            return self.diagnostics_output(&r.sources, &r.diagnostics);
        }
        self.last = r.program;
        match self
            .last
            .as_ref()
            .and_then(|p| p.params.iter().find(|x| x.name == k))
        {
            Some(x) => Output::ok(format!("{k} = {} : {}\n", show_value(&x.value), x.ty)),
            None => Output::ok(String::new()),
        }
    }

    fn with_resource(
        &mut self,
        cmd: &str,
        rest: &str,
        f: impl FnOnce(&mut Session, Program, &lang::Address) -> Output,
    ) -> Output {
        if rest.is_empty() {
            return self.usage(cmd);
        }
        let Some(program) = self.last.clone() else {
            return self.fail(
                Diagnostic::error(codes::REPL_USAGE, "the session program has errors")
                    .with_help("fix them first (:reload after editing the file)"),
            );
        };
        let Some(res) = program
            .resources
            .iter()
            .find(|r| r.address.to_string() == rest)
        else {
            let all: Vec<String> = program
                .resources
                .iter()
                .map(|r| r.address.to_string())
                .collect();
            let mut d = Diagnostic::error(
                codes::REPL_NO_RESOURCE,
                format!("no resource {rest} in the session program"),
            );
            d = match lang::suggest::did_you_mean(rest, all.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean {s}?")),
                None => d.with_help("complete addresses with Tab; :complete :show lists them"),
            };
            return self.fail(d);
        };
        let address = res.address.clone();
        f(self, program, &address)
    }

    fn show(&self, program: Program, address: &lang::Address) -> Output {
        let Some(r) = program.resource(address) else {
            return Output::default();
        };
        let kind = self.catalog.kind(r.kind);
        let loc = |span: lang::Span| -> String {
            self.ws
                .sources
                .get(span.file)
                .map_or_else(String::new, |f| {
                    let (line, _) = f.line_col(span.start);
                    format!("{}:{line}", f.name)
                })
        };
        let mut out = String::new();
        let parent = r
            .parent
            .as_ref()
            .map_or_else(String::new, |p| format!(" in {p}"));
        let _ = writeln!(out, "{} {}{parent}  ({})", r.kind, r.address, loc(r.span));
        let rows: Vec<(String, String, String)> = r
            .fields
            .iter()
            .map(|(k, fv)| {
                let sensitive = kind.and_then(|kd| kd.field(k)).is_some_and(|f| f.sensitive);
                let v = if sensitive {
                    "(sensitive)".to_string()
                } else {
                    show_value(&fv.value)
                };
                let src = if fv.span == r.span {
                    format!("{} (default)", loc(fv.span))
                } else {
                    loc(fv.span)
                };
                (k.clone(), v, src)
            })
            .collect();
        let kw = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let vw = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (k, v, src) in rows {
            let pad = vw.saturating_sub(v.chars().count());
            let _ = writeln!(out, "  {k:kw$} = {v}{}  # {src}", " ".repeat(pad));
        }
        let children: Vec<String> = program
            .children(address)
            .map(|c| format!("{} {}", c.kind, c.address))
            .collect();
        if !children.is_empty() {
            let _ = writeln!(out, "  children: {}", children.join(", "));
        }
        Output::ok(out)
    }

    fn connect(&mut self) -> Result<(), Diagnostic> {
        if self.target.is_some() {
            return Ok(());
        }
        let Some(cfg) = &self.target_config else {
            return Err(Diagnostic::error(
                codes::REPL_NO_TARGET,
                "this session has no target to read live state from",
            )
            .with_help(
                "run capz repl from the command line (it connects to --target / --arm-endpoint)",
            ));
        };
        let t = cfg.handle.block_on(target::connect(&cfg.global))?;
        self.target = Some(t);
        Ok(())
    }

    fn live(&mut self, program: Program, address: &lang::Address) -> Output {
        if let Err(d) = self.connect() {
            return self.fail(d);
        }
        let (Some(t), Some(cfg)) = (&self.target, &self.target_config) else {
            return Output::default();
        };
        let Some(r) = program.resource(address) else {
            return Output::default();
        };
        let Some(kind) = self.catalog.kind(r.kind) else {
            return Output::default();
        };
        let Some(id) =
            stdlib::arm::resource_id(self.catalog, &program, t.client.subscription(), address)
        else {
            return self.fail(Diagnostic::error(
                codes::PLAN_NO_RESOURCE_ID,
                format!("cannot compute the ARM ID of {} {address}", r.kind),
            ));
        };
        let got = cfg.handle.block_on(t.client.get(&id, kind.api_version));
        let body = match got {
            Ok(Some(b)) => b,
            Ok(None) => {
                return Output::ok(format!(
                    "{} {address} does not exist in {} ({id})\n",
                    r.kind, t.label
                ));
            }
            Err(e) => {
                let d = e.to_diagnostic(&format!("{} {address}", r.kind), Some(r.span));
                return self.diagnostics_output(&self.ws.sources.clone(), &[d]);
            }
        };
        let mut rows: Vec<(String, String)> = Vec::new();
        for (key, f) in kind.all_fields() {
            if let Some(v) = stdlib::arm::live_value(f, &body) {
                let shown = if f.sensitive {
                    "(sensitive)".to_string()
                } else {
                    show_value(&v)
                };
                rows.push((key, shown));
            }
        }
        let mut ro: Vec<(String, String)> = Vec::new();
        for a in &kind.attributes {
            if let Some(v) = plan::diff::read_attribute(kind, a.name, &body) {
                ro.push((a.name.to_string(), show_value(&v)));
            }
        }
        if let Some(ps) = crate::arm::client::provisioning_state(&body)
            && !ro.iter().any(|(k, _)| k == "provisioning_state")
        {
            ro.push(("provisioningState".into(), format!("{ps:?}")));
        }
        if !ro.iter().any(|(k, _)| k == "id") {
            ro.push(("id".into(), format!("{id:?}")));
        }
        let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let rw = ro.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let mut out = format!("{} {address}  (live in {})\n", r.kind, t.label);
        for (k, v) in rows {
            let _ = writeln!(out, "  {k:w$} = {v}");
        }
        let _ = writeln!(out, "  read-only (set by ARM):");
        for (k, v) in ro {
            let _ = writeln!(out, "    {k:rw$} = {v}");
        }
        Output::ok(out)
    }

    /// Compile with rules and plan against the target.
    fn make_plan(&mut self) -> Result<Plan, Output> {
        let full = self.compile(&self.all_pieces(), None, true);
        let Some(program) = full.program else {
            return Err(self.diagnostics_output(&full.sources, &full.diagnostics));
        };
        if let Err(d) = self.connect() {
            return Err(self.fail(d));
        }
        let (Some(t), Some(cfg)) = (&self.target, &self.target_config) else {
            return Err(Output::default());
        };
        let result = cfg.handle.block_on(plan::plan(
            self.catalog,
            &program,
            &t.client,
            &PlanOptions::default(),
        ));
        result.map_err(|mut d| {
            lang::diagnostic::sort(&mut d);
            self.diagnostics_output(&full.sources, &d)
        })
    }

    fn plan_all(&mut self) -> Output {
        match self.make_plan() {
            Ok(p) => {
                let label = self.target.as_ref().map_or("", |t| t.label.as_str());
                Output::ok(format!(
                    "plan (target: {label})\n\n{}",
                    plan::render::render_text(&p)
                ))
            }
            Err(o) => o,
        }
    }

    fn diff(&mut self, address: &lang::Address) -> Output {
        let p = match self.make_plan() {
            Ok(p) => p,
            Err(o) => return o,
        };
        let Some(c) = p
            .changes
            .iter()
            .find(|c| c.address.as_ref() == Some(address))
        else {
            return Output::ok(format!("{address} is not in the plan\n"));
        };
        if c.action == Action::NoOp {
            return Output::ok(format!(
                "{} {address}: no changes, live state matches\n",
                c.kind
            ));
        }
        let carrier = c
            .carried_by
            .and_then(|i| p.changes.get(i))
            .map(|x| x.subject());
        let mut one = c.clone();
        one.carried_by = None;
        let single = Plan {
            stack: p.stack.clone(),
            subscription: p.subscription.clone(),
            changes: vec![one],
            outputs: Vec::new(),
            kept: Vec::new(),
        };
        let text = plan::render::render_text(&single);
        let mut lines: Vec<&str> = text.lines().collect();
        // Keep the change and its field lines; the summary line is about the whole plan.
        while lines
            .last()
            .is_some_and(|l| l.trim().is_empty() || l.starts_with("Plan:"))
        {
            lines.pop();
        }
        let mut out = lines.join("\n");
        out.push('\n');
        if let Some(s) = carrier {
            let _ = writeln!(out, "       (created inline with {s})");
        }
        Output::ok(out)
    }

    // ---- completion ------------------------------------------------------------------

    fn complete_command(&self, before: &str, start: usize, word: &str) -> Vec<Candidate> {
        let head = before.trim_start();
        let Some((cmd, _)) = head.split_once(char::is_whitespace) else {
            return COMMANDS
                .iter()
                .filter(|c| c.0.starts_with(word))
                .map(|(c, arg, what)| {
                    let left = if arg.is_empty() {
                        (*c).to_string()
                    } else {
                        format!("{c} {arg}")
                    };
                    Candidate {
                        start,
                        text: (*c).to_string(),
                        display: format!("{left}  {what}"),
                        kind: CandidateKind::Command,
                    }
                })
                .collect();
        };
        match cmd {
            ":show" | ":live" | ":diff" => self.address_candidates(start, word),
            ":explain" => {
                let mut codes: Vec<(&str, &str)> = lang::codes::CODES
                    .iter()
                    .map(|c| (c.code, c.summary))
                    .chain(self.catalog.rules.iter().map(|r| (r.code, r.summary)))
                    .chain(codes::CODES.iter().map(|c| (c.code, c.summary)))
                    .filter(|(c, _)| c.starts_with(word))
                    .collect();
                codes.sort();
                codes.dedup_by(|a, b| a.0 == b.0);
                codes
                    .into_iter()
                    .map(|(c, s)| Candidate {
                        start,
                        text: c.to_string(),
                        display: format!("{c}  {s}"),
                        kind: CandidateKind::Command,
                    })
                    .collect()
            }
            ":set" => self
                .last
                .iter()
                .flat_map(|p| p.params.iter())
                .filter(|x| x.name.starts_with(word))
                .map(|x| Candidate {
                    start,
                    text: format!("{}=", x.name),
                    display: format!("{}=  {} = {}", x.name, x.ty, show_value(&x.value)),
                    kind: CandidateKind::Param,
                })
                .collect(),
            ":type" => {
                let rest_at = before.find(":type").map_or(0, |i| i + 5);
                self.complete_code(&before[rest_at..], start - rest_at, word)
                    .into_iter()
                    .map(|c| Candidate {
                        start: c.start + rest_at,
                        ..c
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    fn address_candidates(&self, start: usize, word: &str) -> Vec<Candidate> {
        self.last
            .iter()
            .flat_map(|p| p.resources.iter())
            .map(|r| (r.address.to_string(), r.kind))
            .filter(|(a, _)| a.starts_with(word))
            .map(|(a, k)| Candidate {
                start,
                display: format!("{a}  {k}"),
                text: a,
                kind: CandidateKind::Name,
            })
            .collect()
    }

    fn complete_code(&self, before: &str, start: usize, word: &str) -> Vec<Candidate> {
        let scope = lang::complete::Scope {
            catalog: self.catalog,
            names: self.scope_names(),
            program: self.last.as_ref(),
            modules: Vec::new(),
        };
        lang::complete::complete_code(&scope, before, start, word, &BTreeSet::new())
    }

    /// Names in scope for completion: params, lets, resources, modules.
    fn scope_names(&self) -> Vec<lang::complete::ScopeName> {
        let pieces = self.all_pieces();
        Workspace::effective(&pieces)
            .into_iter()
            .filter_map(|p| match &p.key {
                Key::Name(n) => Some(lang::complete::ScopeName {
                    name: n.clone(),
                    detail: self.name_detail(n, &p.describe),
                }),
                _ => None,
            })
            .collect()
    }

    fn name_detail(&self, name: &str, describe: &str) -> String {
        if let Some(p) = self
            .last
            .as_ref()
            .and_then(|p| p.params.iter().find(|x| x.name == name))
        {
            return format!("param {}", p.ty);
        }
        match describe.split_once(' ') {
            Some((k, _)) => k.to_string(),
            None => describe.to_string(),
        }
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A value as the REPL prints it.
fn show_value(v: &Value) -> String {
    v.to_string()
}

/// Warnings of a successful evaluation, rendered.
fn render_new(r: &Evaluated, color: bool) -> String {
    lang::diagnostic::render_with(&r.sources, &r.diagnostics, color)
}

/// The `:help` text.
pub fn help_text() -> String {
    let mut out = String::from(
        "Type an expression to see its value and type, or a definition (param, let, output,\n\
         a resource block) to add it to the session. Open brackets continue on the next line.\n\n",
    );
    let w = COMMANDS
        .iter()
        .map(|(c, a, _)| c.len() + a.len() + 1)
        .max()
        .unwrap_or(0);
    for (c, a, what) in COMMANDS {
        let left = if a.is_empty() {
            (*c).to_string()
        } else {
            format!("{c} {a}")
        };
        let _ = writeln!(out, "  {left:w$}  {what}");
    }
    out.push_str("\nTab completes names, fields, functions and commands; Ctrl-C cancels a line, Ctrl-D exits.\n");
    out
}
