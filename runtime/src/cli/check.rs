//! `capz check FILE`: parse, type-check and evaluate; print diagnostics. Exit 0 when there
//! is no error (warnings allowed), 1 otherwise.

use super::ProgramArgs;

/// Run `capz check`.
pub fn run(p: &ProgramArgs) -> u8 {
    match super::compile(p) {
        Ok((_, program)) => {
            println!(
                "{}: ok (stack {}, {} resources)",
                p.file.display(),
                program.stack,
                program.resources.len()
            );
            0
        }
        Err(super::Reported) => 1,
    }
}
