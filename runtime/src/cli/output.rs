//! `capz output FILE`: the program's outputs, read from the live state.
//!
//! Compiles the program, reads the live state as `capz plan` does, and prints each output
//! as `name = value` (capz syntax), or with `--json` one JSON object `{name: value}`
//! (unknown values are `null`). An output whose resource does not exist yet (or would be
//! recreated) is `(known after apply)`. Exit 0, or 1 on errors.

use super::{Global, ProgramArgs};
use crate::plan::Shown;
use crate::plan::json::value_json;
use serde_json::{Map, Value as Json};

/// Run `capz output`.
pub async fn run(g: &Global, p: &ProgramArgs, json: bool) -> u8 {
    let Ok((_, _, target, plan)) = super::plan::prepare(g, p, false).await else {
        return 1;
    };
    target.close().await;
    if json {
        let mut m = Map::new();
        for o in &plan.outputs {
            let v = match &o.value {
                Shown::Value(v) => value_json(v),
                Shown::Absent | Shown::Unknown | Shown::Sensitive => Json::Null,
            };
            m.insert(o.name.clone(), v);
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&Json::Object(m)).unwrap_or_default()
        );
    } else {
        for o in &plan.outputs {
            println!("{} = {}", o.name, o.value);
        }
    }
    0
}
