//! The text form of a plan (what `capz plan` prints after its header line), rendered from
//! the plan document ([`super::json::PlanDoc`]), the same model `--json` prints, so the two
//! cannot disagree.
//!
//! One line per resource that changes, with the symbol of its action (`+` create, `~`
//! update, `-/+` replace, `-` delete), its kind and label, and the reason's note; indented
//! `~ field  old -> new` lines under updates and replacements; then the summary line.
//! Output is a pure function of the document (no clock, no IDs), so it can be
//! golden-tested.

use super::json::{self, ActionDoc, PlanDoc};
use super::model::Plan;

/// Render `plan` (via its document): change lines, summary, outputs. Ends with a newline.
pub fn render_text(plan: &Plan) -> String {
    render_doc(&json::to_doc(plan, false))
}

/// The plan symbol of an action: `+`, `~`, `-/+`, `-`, `…` (in progress: waited for), or
/// a space for no-op.
pub fn symbol(a: ActionDoc) -> &'static str {
    match a {
        ActionDoc::NoOp => " ",
        ActionDoc::Create => "+",
        ActionDoc::Update => "~",
        ActionDoc::Replace => "-/+",
        ActionDoc::Delete => "-",
        ActionDoc::Wait => "…",
    }
}

/// Render a plan document: change lines, summary, outputs. Ends with a newline.
pub fn render_doc(doc: &PlanDoc) -> String {
    let shown: Vec<_> = doc
        .resource_changes
        .iter()
        .filter(|c| c.action != ActionDoc::NoOp)
        .collect();
    let lefts: Vec<String> = shown
        .iter()
        .map(|c| format!(" {:>3} {} {}", symbol(c.action), c.kind, c.label))
        .collect();
    let width = lefts.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 2;
    let mut out = String::new();
    for (c, left) in shown.iter().zip(&lefts) {
        let note = &c.reason.message;
        if note.is_empty() {
            out.push_str(left);
        } else {
            let pad = width.saturating_sub(left.chars().count());
            out.push_str(&format!("{left}{}{note}", " ".repeat(pad)));
        }
        out.push('\n');
        let kw = c
            .fields
            .iter()
            .map(|f| f.key.chars().count())
            .max()
            .unwrap_or(0);
        for f in &c.fields {
            let pad = " ".repeat(kw - f.key.chars().count());
            let forces = if f.forces_replacement && c.action == ActionDoc::Replace {
                "  (forces replacement)"
            } else {
                ""
            };
            out.push_str(&format!(
                "       ~ {}{pad}  {} -> {}{forces}\n",
                f.key,
                f.before.display(),
                f.after.display()
            ));
        }
        if !c.cascade.is_empty() {
            out.push_str("       ARM deletes with it:\n");
        }
        for x in &c.cascade {
            let whose = if x.foreign {
                format!("  ({})", x.owner())
            } else {
                String::new()
            };
            out.push_str(&format!("         - {} {}{whose}\n", x.kind, x.name));
        }
    }
    for k in &doc.kept_groups {
        let n = k.foreign.len();
        out.push_str(&format!(
            "  keep group {}  it holds {n} resource{} stack {} does not own:\n",
            k.name,
            if n == 1 { "" } else { "s" },
            doc.stack
        ));
        for x in &k.foreign {
            out.push_str(&format!(
                "         {} {}  ({})\n",
                x.kind,
                x.name,
                x.owner()
            ));
        }
    }
    if !shown.is_empty() || !doc.kept_groups.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary_line_doc(doc));
    out.push('\n');
    if !doc.kept_groups.is_empty() {
        let n = doc.kept_groups.len();
        out.push_str(&format!(
            "Kept: {n} resource group{}: {} resources stack {} does not own.\n",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it holds" } else { "they hold" },
            doc.stack
        ));
    }
    if !doc.outputs.is_empty() {
        out.push_str("\nOutputs:\n");
        for o in &doc.outputs {
            out.push_str(&format!("  {} = {}\n", o.name, o.value.display()));
        }
    }
    out
}

/// `Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.` (`, 1 in progress` before
/// the dot when operations are waited for) or
/// `No changes. Live state matches the program.`
pub fn summary_line(plan: &Plan) -> String {
    summary_line_doc(&json::to_doc(plan, false))
}

/// [`summary_line`] of a document.
pub fn summary_line_doc(doc: &PlanDoc) -> String {
    if !doc.has_changes() {
        return "No changes. Live state matches the program.".to_string();
    }
    let c = doc.summary;
    let waits = if c.wait > 0 {
        format!(", {} in progress", c.wait)
    } else {
        String::new()
    };
    format!(
        "Plan: {} to add, {} to change, {} to replace, {} to destroy{waits}.",
        c.add, c.change, c.replace, c.destroy
    )
}
