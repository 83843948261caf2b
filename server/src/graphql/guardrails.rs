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
}

impl ExtensionFactory for Guardrails {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardrailsExtension {
            max_aliases: self.max_aliases,
        })
    }
}

struct GuardrailsExtension {
    max_aliases: usize,
}

fn with_code(mut e: ServerError, code: &str) -> ServerError {
    let ext = e.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    e
}

/// The code of an error async-graphql raised itself, from its message.
fn classify(message: &str, otherwise: &'static str) -> &'static str {
    let m = message.to_lowercase();
    if m.contains("too complex")
        || m.contains("nested too deep")
        || m.contains("recursive depth")
        || m.contains("number of directives")
        || m.contains("too many aliases")
    {
        QUERY_TOO_COMPLEX
    } else if m.contains("failed to parse")
        || m.contains("invalid value")
        || m.contains("expected type")
        || m.contains("expected input type")
    {
        BAD_USER_INPUT
    } else {
        otherwise
    }
}

fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + walk(&f.node.selection_set.node),
                Selection::InlineFragment(i) => walk(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    doc.operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node))
        .sum::<usize>()
        + doc
            .fragments
            .values()
            .map(|f| walk(&f.node.selection_set.node))
            .sum::<usize>()
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
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let code = classify(&e.message, VALIDATION_FAILED);
                    with_code(e, code)
                })
                .collect()
        })
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
    fn messages_map_to_codes() {
        assert_eq!(classify("Query is too complex.", INTERNAL), QUERY_TOO_COMPLEX);
        assert_eq!(classify("Query is nested too deep.", INTERNAL), QUERY_TOO_COMPLEX);
        assert_eq!(classify("Failed to parse \"IpAddr\": x", INTERNAL), BAD_USER_INPUT);
        assert_eq!(classify("something else", VALIDATION_FAILED), VALIDATION_FAILED);
    }
}
