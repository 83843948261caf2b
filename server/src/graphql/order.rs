//! Answers in the order the query asked: async-graphql builds an object's fields in the
//! order its resolvers finish and its merged root objects are joined, so `{ totalCount
//! pageInfo nodes }` could come back as `{ pageInfo nodes totalCount }`. Clients that
//! read by position (and people reading answers) expect the selection's order; this
//! puts every object of a response in it, aliases and fragments included.

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value};

/// Reorders `data`, the answer to the selection `set` of `doc`.
pub fn reorder(data: &mut Value, doc: &ExecutableDocument, set: &SelectionSet) {
    put_in_order(data, doc, &[set]);
}

/// The response keys `sets` select, first occurrence first, each with the selection
/// sets below it (a key selected twice merges both).
fn keys<'a>(doc: &'a ExecutableDocument, sets: &[&'a SelectionSet]) -> Vec<(&'a str, Vec<&'a SelectionSet>)> {
    fn walk<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        seen: &mut HashSet<&'a str>,
        out: &mut Vec<(&'a str, Vec<&'a SelectionSet>)>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let key = f.alias.as_ref().unwrap_or(&f.name).node.as_str();
                    let below = &f.selection_set.node;
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, sets)) => sets.push(below),
                        None => out.push((key, vec![below])),
                    }
                }
                Selection::InlineFragment(i) => walk(doc, &i.node.selection_set.node, seen, out),
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    // A fragment spread twice at one level adds nothing new.
                    if seen.insert(name) {
                        if let Some(f) = doc.fragments.get(&s.node.fragment_name.node) {
                            walk(doc, &f.node.selection_set.node, seen, out);
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for set in sets {
        walk(doc, set, &mut seen, &mut out);
    }
    out
}

fn put_in_order(value: &mut Value, doc: &ExecutableDocument, sets: &[&SelectionSet]) {
    match value {
        Value::List(items) => {
            for item in items {
                put_in_order(item, doc, sets);
            }
        }
        Value::Object(map) => {
            let mut old = std::mem::take(map);
            for (key, below) in keys(doc, sets) {
                let name = Name::new(key);
                if let Some(mut child) = old.shift_remove(&name) {
                    if below.iter().any(|s| !s.items.is_empty()) {
                        put_in_order(&mut child, doc, &below);
                    }
                    map.insert(name, child);
                }
            }
            // Anything the selection does not name (none expected) keeps its place last.
            map.extend(old);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_follow_the_selection() {
        let doc = async_graphql::parser::parse_query(
            "{ z: me { username } hosts { totalCount ...P nodes { ip id } } a: me { id } } fragment P on HostConnection { pageInfo { hasNextPage endCursor } }",
        )
        .unwrap();
        let mut data = Value::from_json(serde_json::json!({
            "a": {"id": "1"},
            "hosts": {"nodes": [{"id": "h", "ip": "10.0.0.1"}], "pageInfo": {"endCursor": "c", "hasNextPage": true}, "totalCount": 1},
            "z": {"username": "admin"}
        }))
        .unwrap();
        let (_, op) = doc.operations.iter().next().unwrap();
        reorder(&mut data, &doc, &op.node.selection_set.node);
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"z":{"username":"admin"},"hosts":{"totalCount":1,"pageInfo":{"hasNextPage":true,"endCursor":"c"},"nodes":[{"ip":"10.0.0.1","id":"h"}]},"a":{"id":"1"}}"#
        );
    }
}
