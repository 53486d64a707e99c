//! A plan as JSON: `{"changed": BOOL, "changes": [...]}`, one object per line of the plan.

use rfou::state::{Change, Plan};
use serde_json::{json, Value};

/// `{"changed": BOOL, "changes": [...]}`: each change's action (`add`, `delete`, `change`,
/// `replace`), its object (`port`, `tunnel`) and its port or name, and the line `apply`
/// prints for it; a change of a tunnel's settings, one object per setting with its key and
/// its old and new values.
pub fn json(plan: &Plan) -> Value {
    let changes: Vec<Value> = plan.changes.iter().flat_map(change).collect();
    json!({ "changed": !plan.is_empty(), "changes": changes })
}

fn change(change: &Change) -> Vec<Value> {
    let (action, object, id) = match change {
        Change::AddPort { port, .. } => ("add", "port", json!(port.port)),
        Change::DelPort { port, .. } => ("delete", "port", json!(port.port)),
        Change::ReplacePort { new, .. } => ("replace", "port", json!(new.port)),
        Change::AddTunnel(d) => ("add", "tunnel", json!(d.spec.name)),
        Change::ChangeTunnel { desired, diffs, .. } => {
            return diffs
                .iter()
                .zip(change.lines())
                .map(|(d, text)| {
                    json!({"action": "change", "object": "tunnel", "name": desired.spec.name,
                           "key": d.key, "old": d.old, "new": d.new, "text": text})
                })
                .collect()
        }
        Change::ReplaceTunnel { desired, .. } => ("replace", "tunnel", json!(desired.spec.name)),
        Change::DelTunnel(t) => ("delete", "tunnel", json!(t.name)),
    };
    let key = if object == "port" { "port" } else { "name" };
    change
        .lines()
        .into_iter()
        .map(|text| json!({"action": action, "object": object, key: id, "text": text}))
        .collect()
}
