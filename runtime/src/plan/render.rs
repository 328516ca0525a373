//! The text form of a plan (what `capz plan` prints after its header line).
//!
//! One line per resource that changes, with the symbol of its action (`+` create, `~`
//! update, `-/+` replace, `-` delete), its kind and address, and a note; indented
//! `~ field  old -> new` lines under updates and replacements; then the summary line.
//! Output is a pure function of the plan (no clock, no IDs), so it can be golden-tested.

use super::model::{Action, Change, Plan, Reason, Shown};

/// Render the plan: change lines, summary, outputs. Ends with a newline.
pub fn render_text(plan: &Plan) -> String {
    let shown: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let lefts: Vec<String> = shown
        .iter()
        .map(|c| format!(" {:>3} {} {}", c.action.symbol(), c.kind, c.label))
        .collect();
    let width = lefts.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 2;
    let mut out = String::new();
    for (c, left) in shown.iter().zip(&lefts) {
        let note = note(plan, c);
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
            let forces = if f.forces_replacement && c.action == Action::Replace {
                "  (forces replacement)"
            } else {
                ""
            };
            out.push_str(&format!(
                "       ~ {}{pad}  {} -> {}{forces}\n",
                f.key,
                shown_value(&f.old),
                shown_value(&f.new)
            ));
        }
    }
    if !shown.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary_line(plan));
    out.push('\n');
    if !plan.outputs.is_empty() {
        out.push_str("\nOutputs:\n");
        for o in &plan.outputs {
            out.push_str(&format!("  {} = {}\n", o.name, shown_value(&o.value)));
        }
    }
    out
}

/// `Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.` or
/// `No changes. Live state matches the program.`
pub fn summary_line(plan: &Plan) -> String {
    if !plan.has_changes() {
        return "No changes. Live state matches the program.".to_string();
    }
    let c = plan.counts();
    format!(
        "Plan: {} to add, {} to change, {} to replace, {} to destroy.",
        c.add, c.change, c.replace, c.destroy
    )
}

fn shown_value(s: &Shown) -> String {
    s.to_string()
}

/// The note after a change line.
fn note(plan: &Plan, c: &Change) -> String {
    match (&c.action, &c.reason) {
        (Action::Create, _) if c.carried_by.is_some() => {
            let parent = c
                .carried_by
                .and_then(|i| plan.changes.get(i))
                .map_or_else(String::new, Change::subject);
            format!("created with {parent}")
        }
        (Action::Create, Reason::ParentRecreated(p)) => format!("{p} is recreated"),
        (Action::Create, _) => {
            let arm_name = c.desired.as_ref().map(|r| r.name.as_str()).unwrap_or("");
            let leaf = c
                .address
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default();
            if arm_name.is_empty() || arm_name == leaf {
                String::new()
            } else {
                arm_name.to_string()
            }
        }
        (Action::Replace, Reason::ForcesReplacement(keys)) => {
            let verb = if keys.len() == 1 { "forces" } else { "force" };
            let via = c
                .rotate_via
                .as_ref()
                .map_or_else(String::new, |t| format!(" (via temporary pool {t})"));
            format!("{} {verb} replacement{via}", keys.join(", "))
        }
        (Action::Delete, Reason::NoLongerDeclared { stack }) => {
            format!("no longer declared (stack {stack})")
        }
        (Action::Delete, Reason::UndeclaredChild { parent }) => format!("not declared in {parent}"),
        (Action::Delete, Reason::Destroy { stack }) => format!("stack {stack}"),
        _ => String::new(),
    }
}
