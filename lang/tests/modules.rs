//! Modules: `use NAME[i] = "path" { params }` instantiates another file; its resources get
//! addresses under the instance, its outputs are readable as `NAME.output`, diagnostics
//! in a module point into the module's file.

mod common;
use common::*;
use lang::value::{Address, Value};

fn addr(s: &str) -> Address {
    let mut a = Address::default();
    for seg in s.split('.') {
        let (name, index) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse().ok()),
            None => (seg, None),
        };
        a.segments.push(lang::value::Segment {
            name: name.into(),
            index,
        });
    }
    a
}

fn ok_files(src: &str, files: &[(&str, &str)]) -> lang::Program {
    let c = compile_files(src, files, &[]);
    match c.program {
        Some(p) => p,
        None => panic!("{}", lang::diagnostic::render(&c.sources, &c.diagnostics)),
    }
}

fn output<'p>(p: &'p lang::Program, name: &str) -> &'p Value {
    &p.outputs
        .iter()
        .find(|o| o.name == name)
        .expect("output")
        .value
}

#[test]
fn a_fleet_of_instances_from_one_module() {
    let p = ok("stack \"s\"\n\
         param count: int = 3\n\
         for i in 0..count {\n\
           use fleet[i] = \"./modules/net.capz\" { index = i }\n\
         }\n\
         output names = [fleet[0].rg_name, fleet[2].rg_name]\n\
         output second = fleet[1].subnet\n\
         output all = fleet\n");
    let addrs: Vec<String> = p.resources.iter().map(|r| r.address.to_string()).collect();
    assert_eq!(
        addrs,
        [
            "fleet[0].rg",
            "fleet[0].v",
            "fleet[0].v.s",
            "fleet[1].rg",
            "fleet[1].v",
            "fleet[1].v.s",
            "fleet[2].rg",
            "fleet[2].v",
            "fleet[2].v.s",
        ]
    );
    let v1 = p.resource(&addr("fleet[1].v")).unwrap();
    assert_eq!(v1.parent, Some(addr("fleet[1].rg")));
    assert_eq!(v1.name, "v");
    assert_eq!(
        v1.get("address_space"),
        Some(&Value::List(vec![Value::Str("10.1.0.0/16".into())]))
    );
    assert!(v1.depends_on.contains(&addr("fleet[1].rg")));
    let rg2 = p.resource(&addr("fleet[2].rg")).unwrap();
    assert_eq!(rg2.name, "net-2-rg");
    assert_eq!(
        output(&p, "names"),
        &Value::List(vec![
            Value::Str("net-0-rg".into()),
            Value::Str("net-2-rg".into())
        ])
    );
    assert_eq!(output(&p, "second"), &Value::Ref(addr("fleet[1].v.s")));
    let Value::List(all) = output(&p, "all") else {
        panic!("list")
    };
    assert_eq!(all.len(), 3);
    // Module params are not program params.
    assert_eq!(p.params.len(), 1);
}

#[test]
fn a_single_instance_with_arguments_from_the_program() {
    let p = ok("stack \"s\"\n\
         let base = \"team\"\n\
         group shared { name = \"shared-rg\" location = \"eastus\" }\n\
         use one = \"./modules/net.capz\" { index = 7 prefix = \"${base}-${shared.name}\" }\n\
         output rg = one.rg_name\n\
         output space = one.space\n");
    assert_eq!(output(&p, "rg"), &Value::Str("team-shared-rg-7-rg".into()));
    assert_eq!(
        output(&p, "space"),
        &Value::List(vec![Value::Str("10.7.0.0/16".into())])
    );
    assert!(p.resource(&addr("one.v.s")).is_some());
}

#[test]
fn modules_use_modules_and_loop_over_their_params() {
    let files: &[(&str, &str)] = &[
        (
            "mods/outer.capz",
            "param n: int\n\
             group rg { name = \"outer-${n}\" location = \"eastus\" }\n\
             for j in 0..n { vnet v[j] in rg { address_space = [\"10.${j}.0.0/16\"] } }\n\
             use inner = \"../mods/inner.capz\" { tag = \"in-${n}\" }\n\
             output inner_rg = inner.rg\n\
             output count = n\n",
        ),
        (
            "mods/inner.capz",
            "param tag: string\ngroup g { name = tag location = \"westus\" }\noutput rg = g.name\n",
        ),
    ];
    let p = ok_files(
        "stack \"s\"\nuse o = \"./mods/outer.capz\" { n = 2 }\noutput x = o.inner_rg\noutput c = o.count\n",
        files,
    );
    assert!(p.resource(&addr("o.v[1]")).is_some());
    assert!(p.resource(&addr("o.inner.g")).is_some());
    assert_eq!(output(&p, "x"), &Value::Str("in-2".into()));
    assert_eq!(output(&p, "c"), &Value::Int(2));
    assert_eq!(
        p.resource(&addr("o.v[1]")).unwrap().parent,
        Some(addr("o.rg"))
    );
}

#[test]
fn a_module_file_is_loaded_once_for_many_uses() {
    let c = compile(
        "stack \"s\"\n\
         use a = \"./modules/net.capz\" { index = 1 }\n\
         use b = \"modules/net.capz\" { index = 2 }\n",
    );
    assert!(c.program.is_some(), "{:?}", c.diagnostics);
    assert_eq!(c.sources.files.len(), 2);
}

#[test]
fn diagnostics_in_a_module_point_into_its_file() {
    let files: &[(&str, &str)] = &[(
        "modules/bad.capz",
        "param n: int = 1\ngroup g {\n  location = 3\n}\n",
    )];
    let c = compile_files(
        "stack \"s\"\nuse m = \"./modules/bad.capz\" {}\n",
        files,
        &[],
    );
    assert_eq!(codes(&c), vec!["capz::type::mismatch"]);
    let span = c.diagnostics[0].primary_span().unwrap();
    assert_eq!(span.file, 1);
    assert_eq!(c.sources.snippet(span), "3");
    let text = lang::diagnostic::render(&c.sources, &c.diagnostics);
    assert!(text.contains("modules/bad.capz:3:14"), "{text}");
}

#[test]
fn evaluation_errors_in_a_module_point_into_its_file() {
    let files: &[(&str, &str)] = &[(
        "modules/div.capz",
        "param d: int\ngroup g { name = \"g-${10 / d}\" location = \"eastus\" }\n",
    )];
    let c = compile_files(
        "stack \"s\"\nuse m = \"./modules/div.capz\" { d = 0 }\n",
        files,
        &[],
    );
    assert_eq!(codes(&c), vec!["capz::eval::division-by-zero"]);
    assert_eq!(c.diagnostics[0].primary_span().unwrap().file, 1);
}

#[test]
fn arguments_are_checked_against_the_param_types() {
    let c = compile("stack \"s\"\nuse m = \"./modules/net.capz\" { index = \"one\" }\n");
    assert_eq!(codes(&c), vec!["capz::type::mismatch"]);
    assert_eq!(c.diagnostics[0].primary_span().unwrap().file, 0);
}

#[test]
fn module_problems_are_reported() {
    let cases: &[(&str, &str)] = &[
        (
            "use m = \"./modules/net.capz\" { prefix = \"x\" }",
            "capz::module::missing-param",
        ),
        (
            "use m = \"./modules/net.capz\" { index = 1 colour = 2 }",
            "capz::module::unknown-param",
        ),
        (
            "use m = \"./modules/net.capz\" { index = 1 index = 2 }",
            "capz::field::duplicate",
        ),
        ("use m = \"./nowhere.capz\" {}", "capz::module::not-found"),
        ("use m = \"./modules/self.capz\" {}", "capz::module::cycle"),
        ("use m = \"./modules/a.capz\" {}", "capz::module::cycle"),
        (
            "use m = \"./modules/stacky.capz\" {}",
            "capz::module::stack",
        ),
        (
            "for i in 0..2 { use m = \"./modules/net.capz\" { index = i } }",
            "capz::name::missing-index",
        ),
        (
            "use m = \"./modules/net.capz\" { index = 1 }\noutput o = m.nope",
            "capz::name::unknown-member",
        ),
        (
            "use m = \"./modules/net.capz\" { index = 1 }\noutput o = m[0].subnet",
            "capz::type::not-indexable",
        ),
        (
            "for i in 0..2 { use m[i] = \"./modules/net.capz\" { index = i } }\noutput o = m.subnet",
            "capz::name::missing-index",
        ),
        (
            "for i in 0..2 { use m[i] = \"./modules/net.capz\" { index = i } }\noutput o = m[5].subnet",
            "capz::eval::no-such-instance",
        ),
        (
            "use m = \"./modules/net.capz\" { index = 1 }\ngroup m { location = \"eastus\" }",
            "capz::name::duplicate",
        ),
    ];
    for (body, code) in cases {
        let c = compile(&format!("stack \"s\"\n{body}\n"));
        assert!(
            codes(&c).contains(code),
            "{body}: want {code}, got {:?}",
            c.diagnostics
        );
        assert!(c.program.is_none());
    }
}

#[test]
fn a_module_that_uses_the_root_is_a_cycle() {
    let root = "stack \"s\"\nuse m = \"./modules/back.capz\" {}\n";
    let files: &[(&str, &str)] = &[
        ("modules/back.capz", "use r = \"../test.capz\" {}\n"),
        ("test.capz", root),
    ];
    let c = compile_files(root, files, &[]);
    assert_eq!(
        codes(&c),
        vec!["capz::module::cycle"],
        "{:?}",
        c.diagnostics
    );
    let d = &c.diagnostics[0];
    assert_eq!(d.primary_span().unwrap().file, 1);
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("test.capz → modules/back.capz → test.capz"),
        "{d:?}"
    );
}

#[test]
fn duplicate_arm_names_across_instances_are_caught() {
    // Both instances name their group "net-1-rg".
    let c = compile(
        "stack \"s\"\n\
         use a = \"./modules/net.capz\" { index = 1 }\n\
         use b = \"./modules/net.capz\" { index = 1 }\n",
    );
    assert!(
        codes(&c).contains(&"capz::name::duplicate-arm-name"),
        "{:?}",
        c.diagnostics
    );
    // Distinct indexes give distinct names.
    let c = compile(
        "stack \"s\"\n\
         use a = \"./modules/net.capz\" { index = 1 }\n\
         use b = \"./modules/net.capz\" { index = 2 }\n",
    );
    assert!(c.program.is_some(), "{:?}", c.diagnostics);
}

#[test]
fn without_a_loader_use_is_not_found() {
    let c = lang::compile(
        lang::SourceFile::new("x.capz", "stack \"s\"\nuse m = \"./m.capz\" {}\n"),
        &lang::source::NoLoader,
        &catalog(),
        &[],
    );
    assert_eq!(codes(&c), vec!["capz::module::not-found"]);
}
