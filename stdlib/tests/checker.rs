//! The checker with the real catalog: names get exactly one diagnostic, and generated
//! programs (built from the catalog's kinds and fields with random, often odd values:
//! /0 and IPv6 prefixes, huge counts, reversed ranges), plus random mutations of their
//! text, never make `lang::compile` or a stdlib rule panic.

use lang::schema::{Catalog, KindDef, Placement};
use lang::source::{NoLoader, SourceFile};
use lang::types::Type;
use proptest::prelude::*;

fn compile(src: &str) -> lang::Compiled {
    lang::compile(
        SourceFile::new("gen.capz", src),
        &NoLoader,
        stdlib::catalog(),
        &[],
    )
}

fn codes(c: &lang::Compiled) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn a_bad_name_yields_exactly_one_diagnostic() {
    let head = "stack \"s\"\ngroup g { location = \"eastus\" }\n";
    for body in [
        // Too long for a pool (12), with capitals; default name from the declaration.
        "cluster c in g {\n dns_prefix = \"c\"\n pool SystemPoolNumberOne { mode = system vm_size = \"Standard_D2s_v3\" count = 1 }\n}\n",
        // Set explicitly: a vnet name with a space.
        "vnet v in g {\n name = \"bad name\"\n address_space = [\"10.0.0.0/16\"]\n}\n",
        // A group name of 91 characters.
        &format!(
            "group h {{ name = \"{}\" location = \"eastus\" }}\n",
            "a".repeat(91)
        ),
    ] {
        let c = compile(&format!("{head}{body}"));
        assert_eq!(
            codes(&c),
            vec!["capz::name::invalid-arm-name"],
            "{body}\n{}",
            lang::diagnostic::render(&c.sources, &c.diagnostics)
        );
    }
    // No stdlib rule reports names any more: the evaluator's check is the only one.
    assert!(
        stdlib::catalog()
            .rules
            .iter()
            .all(|r| !r.code.starts_with("capz::name::"))
    );
}

// ---- program generator ----------------------------------------------------------------

/// A small deterministic PRNG (xorshift64*), seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'x, T>(&mut self, xs: &'x [T]) -> &'x T {
        &xs[self.below(xs.len())]
    }
}

const GOOD_CIDRS: &[&str] = &[
    "10.0.0.0/16",
    "10.1.0.0/24",
    "172.16.0.0/16",
    "192.168.0.0/16",
];
const ODD_CIDRS: &[&str] = &[
    "0.0.0.0/0",
    "10.0.0.0/0",
    "10.0.0.1/32",
    "10.0.1.0/16",
    "::/0",
    "fd00::/8",
    "2001:db8::/128",
    "255.255.255.255/32",
    "10.0.0.0/31",
];
const IPS: &[&str] = &[
    "10.0.0.10",
    "172.16.0.10",
    "0.0.0.0",
    "255.255.255.255",
    "::1",
    "fd00::10",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "3",
    "-1",
    "100",
    "250",
    "4096",
    "65535",
    "65536",
    "100000",
    "9223372036854775807",
    "-9223372036854775808",
];
const STRINGS: &[&str] = &[
    "\"a\"",
    "\"\"",
    "\"1.30\"",
    "\"Standard_D2s_v3\"",
    "\"x-y_z.w\"",
    "\"ÄÖü\"",
    "\"system:serviceaccount:ns:sa\"",
    "\"https://oidc.example/issuer/\"",
];

struct Gen<'c> {
    rng: Rng,
    catalog: &'c Catalog,
    out: String,
    /// Declared addresses (as written in references) by kind keyword.
    declared: Vec<(&'static str, String)>,
    counter: usize,
}

impl Gen<'_> {
    fn value(&mut self, ty: &Type, depth: usize) -> String {
        match ty {
            Type::Int => {
                if self.rng.chance(85) {
                    (1 + self.rng.below(5)).to_string()
                } else {
                    self.rng.pick(INTS).to_string()
                }
            }
            Type::Bool => self.rng.pick(&["true", "false"]).to_string(),
            Type::String => {
                if self.rng.chance(80) {
                    format!("\"s{}\"", self.rng.below(1000))
                } else if self.rng.chance(10) {
                    format!("\"{}\"", "x".repeat(self.rng.below(300)))
                } else {
                    self.rng.pick(STRINGS).to_string()
                }
            }
            Type::Cidr => {
                if self.rng.chance(5) {
                    format!(
                        "cidrsubnet(\"10.0.0.0/8\", {}, {})",
                        self.rng.pick(INTS),
                        self.rng.pick(INTS)
                    )
                } else if self.rng.chance(20) {
                    format!("cidrsubnet(\"10.0.0.0/8\", 8, {})", self.rng.below(256))
                } else if self.rng.chance(85) {
                    format!("\"{}\"", self.rng.pick(GOOD_CIDRS))
                } else {
                    format!("\"{}\"", self.rng.pick(ODD_CIDRS))
                }
            }
            Type::Ip => format!("\"{}\"", self.rng.pick(IPS)),
            Type::Region => format!(
                "\"{}\"",
                self.rng.pick(&["eastus", "westeurope", "nowhere"])
            ),
            Type::Enum(e) => match e.words.get(self.rng.below(e.words.len())) {
                Some(w) => w.word.to_string(),
                None => "x".into(),
            },
            Type::List(t) if matches!(&**t, Type::Resource(k) if !self.declared.iter().any(|(kind, _)| kind == k)) => {
                "[]".into()
            }
            Type::List(t) if depth < 3 => {
                let n = self.rng.below(4);
                let items: Vec<String> = (0..n).map(|_| self.value(t, depth + 1)).collect();
                format!("[{}]", items.join(", "))
            }
            Type::List(_) => "[]".into(),
            Type::Range => format!("{}..{}", self.rng.pick(INTS), self.rng.pick(INTS)),
            Type::Resource(k) => {
                let cands: Vec<String> = self
                    .declared
                    .iter()
                    .filter(|(kind, _)| kind == k)
                    .map(|(_, a)| a.clone())
                    .collect();
                if cands.is_empty() || self.rng.chance(1) {
                    "nothing_here".into()
                } else {
                    self.rng.pick(&cands).clone()
                }
            }
            Type::KnownAfterApply(t) => self.value(t, depth),
            Type::Record(fields) if depth < 3 => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("{n} = {}", self.value(t, depth + 1)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            _ => "1".into(),
        }
    }

    fn body(&mut self, kind: &KindDef, address: &str, depth: usize, named: bool) {
        let indent = "  ".repeat(depth + 1);
        for f in &kind.fields {
            if f.name == "name" {
                // Mostly a valid name; sometimes a random string (often invalid).
                if !named && self.rng.chance(30) {
                    let v = if self.rng.chance(90) {
                        format!("\"nm{}\"", self.rng.below(100_000))
                    } else {
                        self.value(&f.ty, 0)
                    };
                    self.out.push_str(&format!("{indent}name = {v}\n"));
                }
                continue;
            }
            // An optional reference to a kind nothing declares (a load balancer part
            // before its siblings) is left out rather than always undeclared.
            let nothing_to_reference = matches!(
                &f.ty,
                Type::Resource(k) if !self.declared.iter().any(|(kind, _)| kind == k)
            );
            if f.required || (!nothing_to_reference && self.rng.chance(50)) {
                let v = self.value(&f.ty, 0);
                self.out.push_str(&format!("{indent}{} = {v}\n", f.name));
            }
        }
        for b in &kind.blocks {
            if !self.rng.chance(60) {
                continue;
            }
            self.out.push_str(&format!("{indent}{} {{\n", b.keyword));
            for f in &b.fields {
                if f.required || self.rng.chance(60) {
                    let v = self.value(&f.ty, 0);
                    self.out.push_str(&format!("{indent}  {} = {v}\n", f.name));
                }
            }
            self.out.push_str(&format!("{indent}}}\n"));
        }
        if depth > 2 {
            return;
        }
        for word in kind.children.clone() {
            let Some(child) = self.catalog.kind_in(Some(kind.keyword), word) else {
                continue;
            };
            for _ in 0..self.rng.below(3) {
                self.counter += 1;
                let name = format!("ch{}", self.counter);
                self.declared
                    .push((child.keyword, format!("{address}.{name}")));
                self.out.push_str(&format!("{indent}{word} {name} {{\n"));
                self.body(child, &format!("{address}.{name}"), depth + 1, false);
                self.out.push_str(&format!("{indent}}}\n"));
            }
        }
    }

    fn program(&mut self) -> String {
        self.out
            .push_str("stack \"fuzz\"\ngroup g0 { location = \"eastus\" }\n");
        self.declared.push(("group", "g0".into()));
        let kinds: Vec<&KindDef> = self
            .catalog
            .kinds
            .iter()
            .filter(|k| matches!(k.placement, Placement::ResourceGroup | Placement::InGroup))
            // A load balancer's parts reference each other (rules need a frontend, pool and
            // probe declared first), which random bodies rarely satisfy; its checks are
            // covered by the fixtures in tests/fixtures/check.
            .filter(|k| k.keyword != "load_balancer")
            .collect();
        for _ in 0..(2 + self.rng.below(10)) {
            let kind = *self.rng.pick(&kinds);
            self.counter += 1;
            let name = format!("res{}", self.counter);
            let clause = if kind.placement == Placement::InGroup {
                " in g0"
            } else {
                ""
            };
            if self.rng.chance(15) {
                // A loop; sometimes a huge one.
                let n = self.rng.pick(&["0", "2", "3", "20000"]).to_string();
                self.out.push_str(&format!(
                    "for i in 0..{n} {{\n  {} {name}[i]{clause} {{\n  name = \"{name}-${{i}}\"\n",
                    kind.keyword
                ));
                self.body(kind, &format!("{name}[0]"), 1, true);
                self.out.push_str("  }\n}\n");
                continue;
            }
            self.declared.push((kind.keyword, name.clone()));
            self.out
                .push_str(&format!("{} {name}{clause} {{\n", kind.keyword));
            self.body(kind, &name, 0, false);
            self.out.push_str("}\n");
        }
        if let Some((_, a)) = self.declared.last().cloned() {
            self.out.push_str(&format!("output last = {a}\n"));
        }
        std::mem::take(&mut self.out)
    }
}

fn generate(seed: u64) -> String {
    Gen {
        rng: Rng(seed),
        catalog: stdlib::catalog(),
        out: String::new(),
        declared: Vec::new(),
        counter: 0,
    }
    .program()
}

/// Apply text mutations: delete a range, duplicate a line, insert a token, swap lines.
fn mutate(src: &str, ops: &[(u32, u8, u8)]) -> String {
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "=",
        "\"",
        "..",
        "-",
        "0",
        "/0",
        "::",
        "in",
        "for",
        "${",
        "#",
        "\n",
        "cidrsubnet(",
        ")",
        ",",
        "9999999999999999999",
    ];
    let mut lines: Vec<String> = src.lines().map(String::from).collect();
    for &(at, op, tok) in ops {
        if lines.is_empty() {
            break;
        }
        let i = at as usize % lines.len();
        match op % 4 {
            0 => {
                let l = &mut lines[i];
                let cut: Vec<char> = l.chars().collect();
                let a = (tok as usize) % (cut.len() + 1);
                let b = (a + 1 + tok as usize % 5).min(cut.len());
                *l = cut[..a].iter().chain(cut[b.max(a)..].iter()).collect();
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let t = TOKENS[tok as usize % TOKENS.len()];
                let l = &mut lines[i];
                let pos = l
                    .char_indices()
                    .nth(tok as usize % (l.chars().count() + 1))
                    .map_or(l.len(), |(p, _)| p);
                l.insert_str(pos, t);
            }
            _ => {
                let j = tok as usize % lines.len();
                lines.swap(i, j);
            }
        }
    }
    lines.join("\n")
}

#[test]
fn generated_programs_reach_the_rules() {
    // The generator is realistic enough that many programs pass the checker, so that
    // stdlib's rules run on odd values rather than only the parser and checker.
    let mut evaluated = 0;
    let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
    for seed in 0..300u64 {
        let c = compile(&generate(seed));
        for d in &c.diagnostics {
            *seen.entry(d.code).or_default() += 1;
        }
        if c.program.is_some()
            || c.diagnostics
                .iter()
                .any(|d| stdlib::catalog().rules.iter().any(|r| r.code == d.code))
        {
            evaluated += 1;
        }
    }
    assert!(
        evaluated >= 30,
        "only {evaluated} of 300 generated programs reached the rules; codes: {seen:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_never_panic(seed in any::<u64>()) {
        let src = generate(seed);
        let c = compile(&src);
        // Every diagnostic is well formed.
        for d in &c.diagnostics {
            prop_assert!(d.help.is_some(), "{} without help", d.code);
        }
        prop_assert!(c.program.is_none() || !lang::diagnostic::has_errors(&c.diagnostics));
    }

    #[test]
    fn mutated_programs_never_panic(
        seed in any::<u64>(),
        ops in proptest::collection::vec((any::<u32>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let src = mutate(&generate(seed), &ops);
        let c = compile(&src);
        let _ = lang::diagnostic::render(&c.sources, &c.diagnostics);
    }
}
