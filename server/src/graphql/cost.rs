//! What a query refused for its cost costs, and where: the refusal says the computed
//! cost, the limit, and which root field costs most, so that the caller knows what to
//! page down or split.
//!
//! async-graphql computes a document's complexity during validation but tells nothing
//! of its parts. The guard rails ([`super::guardrails`]) refuse over the limit and put
//! the cost in the error; [`explain`] then measures each root field alone, as a
//! document of its own (printed from the parsed one) validated in *measure* mode, where
//! validation stops after computing the cost: nothing runs.

use std::fmt::Write;

use async_graphql::parser::types::{
    Directive, ExecutableDocument, Field, FragmentDefinition, OperationDefinition, OperationType, Selection,
    SelectionSet, VariableDefinition,
};
use async_graphql::{Name, Positioned, Request, ServerError, Value as ConstValue, Variables};
use async_graphql_value::Value;

use super::errors::code_of;
use super::PivotSchema;

/// Marks a request that is only measured: validation reports its cost as an error.
pub struct Measure;

/// The extension key of the cost in a refusal (and in a measure's answer).
pub const COST: &str = "cost";

/// Root fields measured at most: a refusal costs this many validations more.
const MEASURED: usize = 20;

/// Names the costliest root field in a refusal for cost, if `error` is one.
pub async fn explain(
    schema: &PivotSchema,
    doc: &ExecutableDocument,
    operation: &Positioned<OperationDefinition>,
    variables: &Variables,
    error: &mut ServerError,
) {
    if code_of(error) != Some(super::errors::QUERY_TOO_COMPLEX) || cost_of(error).is_none() {
        return;
    }
    let mut costliest: Option<(String, u64)> = None;
    let fields: Vec<(String, String)> = root_fields(&operation.node.selection_set.node)
        .take(MEASURED)
        .map(|f| (f.node.response_key().node.to_string(), alone(doc, operation, f)))
        .collect();
    for (name, text) in fields {
        let measured = schema
            .execute(Request::new(text).variables(variables.clone()).data(Measure))
            .await;
        let Some(cost) = measured.errors.first().and_then(cost_of) else {
            continue;
        };
        if costliest.as_ref().is_none_or(|(_, c)| cost > *c) {
            costliest = Some((name, cost));
        }
    }
    if let Some((name, cost)) = costliest {
        error.message = format!("{}; `{name}` costs most: {cost}", error.message);
        let ext = error.extensions.get_or_insert_with(Default::default);
        ext.set("costliestField", name);
        ext.set("costliestFieldCost", cost);
    }
}

/// The cost a measure (or a refusal for cost) reports.
pub fn cost_of(e: &ServerError) -> Option<u64> {
    match e.extensions.as_ref()?.get(COST)? {
        ConstValue::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// The fields at the root of a selection, those of inline fragments included.
fn root_fields(set: &SelectionSet) -> impl Iterator<Item = &Positioned<Field>> {
    set.items
        .iter()
        .flat_map(|s| -> Box<dyn Iterator<Item = &Positioned<Field>>> {
            match &s.node {
                Selection::Field(f) => Box::new(std::iter::once(f)),
                Selection::InlineFragment(i) => Box::new(root_fields(&i.node.selection_set.node)),
                Selection::FragmentSpread(_) => Box::new(std::iter::empty()),
            }
        })
}

/// The fragments and variables a selection uses, through the fragments it spreads.
#[derive(Default)]
struct Uses<'a> {
    fragments: Vec<&'a Name>,
    variables: Vec<Name>,
}

impl<'a> Uses<'a> {
    fn value(&mut self, v: &Value) {
        match v {
            Value::Variable(n) if !self.variables.contains(n) => self.variables.push(n.clone()),
            Value::List(items) => items.iter().for_each(|i| self.value(i)),
            Value::Object(map) => map.values().for_each(|i| self.value(i)),
            _ => {}
        }
    }

    fn directives(&mut self, dirs: &[Positioned<Directive>]) {
        for d in dirs {
            d.node.arguments.iter().for_each(|(_, v)| self.value(&v.node));
        }
    }

    fn set(&mut self, doc: &'a ExecutableDocument, set: &'a SelectionSet) {
        for s in &set.items {
            match &s.node {
                Selection::Field(f) => self.field(doc, &f.node),
                Selection::InlineFragment(i) => {
                    self.directives(&i.node.directives);
                    self.set(doc, &i.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.node.directives);
                    let name = &spread.node.fragment_name.node;
                    // Cycles are refused before (`guardrails::admit`); seen ones are skipped.
                    if let (false, Some(f)) = (self.fragments.contains(&name), doc.fragments.get(name)) {
                        self.fragments.push(name);
                        self.directives(&f.node.directives);
                        self.set(doc, &f.node.selection_set.node);
                    }
                }
            }
        }
    }

    fn field(&mut self, doc: &'a ExecutableDocument, f: &'a Field) {
        f.arguments.iter().for_each(|(_, v)| self.value(&v.node));
        self.directives(&f.directives);
        self.set(doc, &f.selection_set.node);
    }
}

/// A document of the operation with `field` alone at its root, with the variables and
/// fragments it uses (validation refuses unused ones).
fn alone(doc: &ExecutableDocument, operation: &Positioned<OperationDefinition>, field: &Positioned<Field>) -> String {
    let op = &operation.node;
    let mut uses = Uses::default();
    uses.directives(&op.directives);
    uses.field(doc, &field.node);
    let mut out = String::new();
    let ty = match op.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    out.push_str(ty);
    let used: Vec<_> = op
        .variable_definitions
        .iter()
        .filter(|d| uses.variables.contains(&d.node.name.node))
        .cloned()
        .collect();
    variables(&mut out, &used);
    directives(&mut out, &op.directives);
    out.push_str(" { ");
    self::field(&mut out, &field.node);
    out.push_str(" }\n");
    for name in uses.fragments {
        fragment(&mut out, name, &doc.fragments[name].node);
    }
    out
}

fn variables(out: &mut String, defs: &[Positioned<VariableDefinition>]) {
    if defs.is_empty() {
        return;
    }
    let list: Vec<String> = defs
        .iter()
        .map(|d| {
            let d = &d.node;
            let mut s = format!("${}: {}", d.name.node, d.var_type.node);
            if let Some(v) = &d.default_value {
                let _ = write!(s, " = {}", v.node);
            }
            s
        })
        .collect();
    let _ = write!(out, "({})", list.join(", "));
}

fn arguments(out: &mut String, args: &[(Positioned<Name>, Positioned<Value>)]) {
    if args.is_empty() {
        return;
    }
    let list: Vec<String> = args.iter().map(|(n, v)| format!("{}: {}", n.node, v.node)).collect();
    let _ = write!(out, "({})", list.join(", "));
}

fn directives(out: &mut String, dirs: &[Positioned<Directive>]) {
    for d in dirs {
        let _ = write!(out, " @{}", d.node.name.node);
        arguments(out, &d.node.arguments);
    }
}

fn field(out: &mut String, f: &Field) {
    if let Some(alias) = &f.alias {
        let _ = write!(out, "{}: ", alias.node);
    }
    out.push_str(&f.name.node);
    arguments(out, &f.arguments);
    directives(out, &f.directives);
    selection_set(out, &f.selection_set.node);
}

fn selection_set(out: &mut String, set: &SelectionSet) {
    if set.items.is_empty() {
        return;
    }
    out.push_str(" {");
    for s in &set.items {
        out.push(' ');
        match &s.node {
            Selection::Field(f) => field(out, &f.node),
            Selection::FragmentSpread(s) => {
                let _ = write!(out, "...{}", s.node.fragment_name.node);
                directives(out, &s.node.directives);
            }
            Selection::InlineFragment(i) => {
                out.push_str("...");
                if let Some(t) = &i.node.type_condition {
                    let _ = write!(out, " on {}", t.node.on.node);
                }
                directives(out, &i.node.directives);
                selection_set(out, &i.node.selection_set.node);
            }
        }
    }
    out.push_str(" }");
}

fn fragment(out: &mut String, name: &Name, f: &FragmentDefinition) {
    let _ = write!(out, "fragment {name} on {}", f.type_condition.node.on.node);
    directives(out, &f.directives);
    selection_set(out, &f.selection_set.node);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_field_is_printed_alone_with_what_it_needs() {
        let doc = async_graphql::parser::parse_query(
            r#"query Q($n: Int = 5, $f: HostFilter, $m: Int) @a {
                 h: hosts(first: $n, filter: $f) @include(if: true) { nodes { ...F ... on Host { ip } } }
                 flows(first: $m) { totalCount nodes { ...G } }
               }
               fragment F on Host { id ports(first: 3, filter: {state: {eq: "open"}}) { nodes { port } } }
               fragment G on Flow { id }"#,
        )
        .unwrap();
        let (_, op) = doc.operations.iter().next().unwrap();
        let fields: Vec<_> = root_fields(&op.node.selection_set.node).collect();
        assert_eq!(fields.len(), 2);
        let text = alone(&doc, op, fields[0]);
        assert_eq!(
            text,
            "query($n: Int = 5, $f: HostFilter) @a { h: hosts(first: $n, filter: $f) @include(if: true) \
             { nodes { ...F ... on Host { ip } } } }\n\
             fragment F on Host { id ports(first: 3, filter: {state: {eq: \"open\"}}) { nodes { port } } }\n"
        );
        // What is printed parses back to the same shape.
        assert!(async_graphql::parser::parse_query(&text).is_ok());
    }
}
