//! Limits async-graphql does not ship (aliases, mutations over GET) and the error
//! codes of the phases before execution, so that every error has `extensions.code`.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

use super::errors::{BAD_USER_INPUT, INTERNAL, PARSE_FAILED, QUERY_TOO_COMPLEX, VALIDATION_FAILED};

/// Marks a request that came as HTTP GET: it may only read.
pub struct ReadOnly;

pub struct Guardrails {
    pub max_aliases: usize,
    /// The cost a query may have (async-graphql's complexity), checked here so that a
    /// refusal can say the cost ([`super::cost`]).
    pub max_cost: usize,
}

impl ExtensionFactory for Guardrails {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardrailsExtension {
            max_aliases: self.max_aliases,
            max_cost: self.max_cost,
        })
    }
}

struct GuardrailsExtension {
    max_aliases: usize,
    max_cost: usize,
}

pub(crate) fn with_code(mut e: ServerError, code: &str) -> ServerError {
    let ext = e.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    e
}

/// The code of an error async-graphql raised itself, from its message.
pub(crate) fn classify(message: &str, otherwise: &'static str) -> &'static str {
    let m = message.to_lowercase();
    if m.contains("too complex")
        || m.contains("nested too deep")
        || m.contains("recursive depth")
        || m.contains("number of directives")
        || m.contains("too many aliases")
    {
        QUERY_TOO_COMPLEX
    } else if m.contains("operation name required")
        || m.contains("unknown operation named")
        || m.contains("not supported on this transport")
        || m.contains("failed to parse")
        || m.contains("invalid value")
        || m.contains("expected type")
        || m.contains("expected input type")
    {
        BAD_USER_INPUT
    } else {
        otherwise
    }
}

/// The size of a document once its fragment spreads are expanded, as validation and
/// execution will walk it: the fields of every operation, each fragment's counted
/// once and multiplied by its uses (memoised, so a chain of fragments spreading each
/// other ten times costs its length to measure, not 10^n). Refused over `max_fields`
/// expanded fields or `max_spreads` spreads in the text, and for fragment cycles, before
/// async-graphql sees the document: its checks (recursive depth, complexity) walk
/// spreads without memoising, synchronously, where no time budget can stop them.
pub fn admit(doc: &ExecutableDocument, max_fields: usize, max_spreads: usize) -> Result<(), String> {
    use std::collections::HashMap;
    let spreads = count_spreads(doc);
    if spreads > max_spreads {
        return Err(format!("too many fragment spreads: {spreads} (at most {max_spreads})"));
    }
    /// Expanded fields of `set`, saturating; `None` for a cycle or an unknown fragment
    /// (validation names those).
    fn size<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        memo: &mut HashMap<&'a str, Option<usize>>,
        open: &mut Vec<&'a str>,
    ) -> Result<usize, &'static str> {
        let mut total = 0usize;
        for item in &set.items {
            let n = match &item.node {
                Selection::Field(f) => 1usize.saturating_add(size(doc, &f.node.selection_set.node, memo, open)?),
                Selection::InlineFragment(i) => size(doc, &i.node.selection_set.node, memo, open)?,
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    if let Some(known) = memo.get(name) {
                        known.ok_or("fragment cycle")?
                    } else if open.contains(&name) {
                        return Err("fragments spread each other in a cycle");
                    } else {
                        match doc.fragments.get(&s.node.fragment_name.node) {
                            // Unknown: validation reports it, at no cost.
                            None => 0,
                            Some(f) => {
                                open.push(name);
                                let n = size(doc, &f.node.selection_set.node, memo, open);
                                open.pop();
                                memo.insert(name, n.as_ref().ok().copied());
                                n?
                            }
                        }
                    }
                }
            };
            total = total.saturating_add(n);
        }
        Ok(total)
    }
    let mut memo = HashMap::new();
    let mut open = Vec::new();
    let mut total = 0usize;
    for (_, op) in doc.operations.iter() {
        total = total.saturating_add(size(doc, &op.node.selection_set.node, &mut memo, &mut open)?);
    }
    // Fragments no operation uses are validated too: count them once each.
    for (name, f) in doc.fragments.iter() {
        if !memo.contains_key(name.as_str()) {
            total = total.saturating_add(size(doc, &f.node.selection_set.node, &mut memo, &mut open)?);
        }
    }
    if total > max_fields {
        return Err(format!(
            "the query expands to {total} fields once its fragments are spread (at most {max_fields})"
        ));
    }
    Ok(())
}

/// `per` summed over every selection written in the document (fragments counted where
/// they are defined, not where they are spread).
fn count_written(doc: &ExecutableDocument, per: fn(&Selection) -> usize) -> usize {
    fn walk(set: &SelectionSet, per: fn(&Selection) -> usize) -> usize {
        set.items
            .iter()
            .map(|s| {
                per(&s.node)
                    + match &s.node {
                        Selection::Field(f) => walk(&f.node.selection_set.node, per),
                        Selection::InlineFragment(i) => walk(&i.node.selection_set.node, per),
                        Selection::FragmentSpread(_) => 0,
                    }
            })
            .sum()
    }
    let operations = doc
        .operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node, per));
    let fragments = doc.fragments.values().map(|f| walk(&f.node.selection_set.node, per));
    operations.chain(fragments).sum()
}

fn count_spreads(doc: &ExecutableDocument) -> usize {
    count_written(doc, |s| usize::from(matches!(s, Selection::FragmentSpread(_))))
}

fn count_aliases(doc: &ExecutableDocument) -> usize {
    count_written(doc, |s| {
        usize::from(matches!(s, Selection::Field(f) if f.node.alias.is_some()))
    })
}

#[async_graphql::async_trait::async_trait]
impl Extension for GuardrailsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await.map_err(|e| {
            let code = classify(&e.message, PARSE_FAILED);
            with_code(e, code)
        })?;
        let aliases = count_aliases(&doc);
        if aliases > self.max_aliases {
            return Err(with_code(
                ServerError::new(
                    format!("too many aliases: {aliases} (at most {})", self.max_aliases),
                    None,
                ),
                QUERY_TOO_COMPLEX,
            ));
        }
        if ctx.data_opt::<ReadOnly>().is_some()
            && doc.operations.iter().any(|(_, op)| op.node.ty != OperationType::Query)
        {
            return Err(with_code(
                ServerError::new("only queries may be sent with GET; send mutations with POST", None),
                BAD_USER_INPUT,
            ));
        }
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let valid = next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let code = classify(&e.message, VALIDATION_FAILED);
                    with_code(e, code)
                })
                .collect::<Vec<_>>()
        })?;
        let measure = ctx.data_opt::<super::cost::Measure>().is_some();
        if measure || valid.complexity > self.max_cost {
            let mut e = ServerError::new(
                format!(
                    "the query costs {}, more than the {} a query may cost (a connection costs its page \
                     size times its selection: ask for fewer rows or fields, or split the query)",
                    valid.complexity, self.max_cost
                ),
                None,
            );
            let ext = e.extensions.get_or_insert_with(Default::default);
            ext.set(super::cost::COST, valid.complexity as u64);
            ext.set("limit", self.max_cost as u64);
            return Err(vec![with_code(e, QUERY_TOO_COMPLEX)]);
        }
        Ok(valid)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|e| {
                let code = classify(&e.message, INTERNAL);
                with_code(e, code)
            })
            .collect();
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_counted_everywhere() {
        let doc = async_graphql::parser::parse_query(
            "query { a: hosts { b: nodes { ip } } ... on Query { c: hosts { totalCount } } } fragment F on Host { d: ip }",
        )
        .unwrap();
        assert_eq!(count_aliases(&doc), 4);
    }

    #[test]
    fn expanded_size_is_measured_once_per_fragment() {
        // Nine fragments each spreading the next ten times: 10^8 fields once expanded.
        let mut q = String::from("query { me { ...F0 } } ");
        for i in 0..8 {
            let spreads = format!("...F{} ", i + 1).repeat(10);
            q.push_str(&format!("fragment F{i} on User {{ {spreads} username }} "));
        }
        q.push_str("fragment F8 on User { username }");
        let doc = async_graphql::parser::parse_query(&q).unwrap();
        let started = std::time::Instant::now();
        let e = admit(&doc, 10_000, 1000).unwrap_err();
        assert!(e.contains("expands to"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        assert!(admit(&doc, usize::MAX, 50).unwrap_err().contains("spreads"));
        // What a client writes with fragments passes.
        let ok = async_graphql::parser::parse_query(
            "query { hosts { nodes { ...H } } a: hosts { nodes { ...H } } } fragment H on Host { ip ports { nodes { port } } }",
        )
        .unwrap();
        assert!(admit(&ok, 100, 10).is_ok());
        let cycle = async_graphql::parser::parse_query(
            "query { me { ...A } } fragment A on User { ...B } fragment B on User { ...A }",
        )
        .unwrap();
        assert!(admit(&cycle, 100, 10).unwrap_err().contains("cycle"));
    }

    #[test]
    fn messages_map_to_codes() {
        assert_eq!(classify("Query is too complex.", INTERNAL), QUERY_TOO_COMPLEX);
        assert_eq!(classify("Query is nested too deep.", INTERNAL), QUERY_TOO_COMPLEX);
        assert_eq!(classify("Failed to parse \"IpAddr\": x", INTERNAL), BAD_USER_INPUT);
        assert_eq!(classify("something else", VALIDATION_FAILED), VALIDATION_FAILED);
    }
}
