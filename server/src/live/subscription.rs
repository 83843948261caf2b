//! A subscription operation, as the WebSocket and SSE transports run it.
//!
//! The operation is first executed once to check it ([`Setup`]): the resolvers check
//! the caller's access, the filter and the resume position as usual, and record what
//! to follow instead of following it. The subscription then follows the bus as a
//! member of its own (its buffer, its per-event access check, its resume and its
//! overflow are its own), and each event it takes is resolved by its group
//! ([`super::groups`]), shared with every identical subscription.

use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::parser::Positioned;
use async_graphql::Name;
use async_graphql::{ErrorExtensions, Request, Response, Variables};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::access::Denied;
use super::bus::{self, Event, Feed};
use super::groups::{Group, Key};
use super::{End, Identity};
use crate::domain::access::Principal;
use crate::domain::alerts::AlertFilter;
use crate::domain::ids::{self, Kind};
use crate::graphql::errors::{coded, BAD_USER_INPUT, CURSOR_EXPIRED, OVERFLOW, UNAUTHENTICATED, UNAVAILABLE};
use crate::graphql::Caller;
use crate::state::AppState;

/// What a checked subscription follows.
pub struct Spec {
    pub feed: Feed,
    pub filter: AlertFilter,
    /// The log position to replay from.
    pub after: Option<i64>,
    /// The resume position as the client gave it (for errors that end the stream).
    pub resume: Option<String>,
}

/// Request data of the checking execution: the subscription resolvers record their
/// [`Spec`] here and return no events.
#[derive(Clone, Default)]
pub struct Setup(Arc<Mutex<Vec<Spec>>>);

impl Setup {
    pub fn record(&self, spec: Spec) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(spec);
    }

    fn take(&self) -> Vec<Spec> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// What a subscription sends.
pub enum Item {
    /// An event: a GraphQL response as JSON, shared with the subscription's group.
    Event(Arc<str>),
    /// Why it ended: its last message, a response with one error.
    End(Box<Response>),
}

/// A response refusing an operation with one coded error.
pub fn refusal(message: &str, code: &str) -> Response {
    Response::from_errors(vec![crate::graphql::access::refusal(message, code)])
}

/// A response of one error that belongs to the stream, not to a place in the document.
fn stream_error(error: async_graphql::Error) -> Response {
    let mut error = error.into_server_error(Default::default());
    error.locations.clear();
    Response::from_errors(vec![error])
}

/// `response` as the JSON payload of a frame (a coded internal error if it cannot be).
pub fn serialised(response: &Response) -> Arc<str> {
    serde_json::to_string(response)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "serialising a subscription response");
            r#"{"data":null,"errors":[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#
                .into()
        })
        .into()
}

/// Opens the subscription `request` for `caller` (whose credentials are `who`): its
/// items, or the responses (errors) refusing it.
pub async fn open(
    state: &AppState,
    caller: &Caller,
    who: Identity,
    request: Request,
) -> Result<BoxStream<'static, Item>, Vec<Response>> {
    let Some(principal) = caller.principal.as_ref() else {
        return Err(vec![refusal("authentication required", UNAUTHENTICATED)]);
    };
    let (query, operation, variables) = (
        request.query.clone(),
        request.operation_name.clone(),
        request.variables.clone(),
    );
    let setup = Setup::default();
    // Parsed once, here (or by the transport before): the checking execution uses it.
    let mut checked = request.data(setup.clone());
    let key_variables = shared_variables(checked.parsed_query().ok(), operation.as_deref(), &variables);
    let refusals: Vec<Response> = crate::graphql::subscribe(state.schema(), state.db(), caller, checked)
        .collect()
        .await;
    let mut specs = setup.take();
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let Some(spec) = specs.pop().filter(|_| specs.is_empty()) else {
        return Err(vec![refusal(
            "a subscription selects exactly one field: alertCreated or alertUpdated",
            BAD_USER_INPUT,
        )]);
    };
    let key = Key::new(&rights(principal), &query, operation.as_deref(), &key_variables);
    let group = state.groups().join(key, state.config().query_timeout, |grouped| {
        let mut request = Request::new(query).variables(variables).data(grouped);
        if let Some(op) = operation {
            request = request.operation_name(op);
        }
        crate::graphql::subscribe(state.schema(), state.db(), caller, request)
    });
    let subscription = match state
        .bus()
        .subscribe(
            state.db(),
            spec.feed,
            spec.filter,
            principal.scope.clone(),
            who,
            spec.after,
        )
        .await
    {
        Ok(s) => s,
        Err(e) => return Err(vec![stream_error(crate::graphql::errors::gql(e))]),
    };
    Ok(member(subscription, group, spec.feed, spec.resume))
}

/// A member's items: each event it takes from its buffer, resolved by its group, and
/// then why it ended, with where to resume: after its last event, else where it began.
fn member(
    subscription: bus::Subscription,
    group: Arc<Group>,
    feed: Feed,
    resume: Option<String>,
) -> BoxStream<'static, Item> {
    // `resume` is where the member began; `last`, the event it was sent last.
    let state = (subscription, group, resume, None::<Arc<Event>>);
    futures_util::stream::unfold(Some(state), move |state| async move {
        let (mut subscription, group, resume, last) = state?;
        match subscription.next().await? {
            Ok(e) => match group.payload(&e).await {
                Some(payload) => Some((Item::Event(payload), Some((subscription, group, resume, Some(e))))),
                None => Some((last_item(feed, End::Closed, last, resume), None)),
            },
            Err(why) => Some((last_item(feed, why, last, resume), None)),
        }
    })
    .boxed()
}

/// A member's last item: why it ended, naming where to resume.
fn last_item(feed: Feed, why: End, last: Option<Arc<Event>>, resume: Option<String>) -> Item {
    let at = last.map(|e| position(feed, &e)).or(resume);
    Item::End(Box::new(ended(why, at)))
}

/// Where a client resumes after `e`: the alert's ID for new alerts (what `after`
/// takes there), the change's cursor for updates.
fn position(feed: Feed, e: &Event) -> String {
    match feed {
        Feed::Created => ids::encode(Kind::Alert, e.alert_id).to_string(),
        Feed::Updated => bus::encode_cursor(e.seq),
    }
}

/// Why a subscription ended, as its last message.
fn ended(end: End, resume: Option<String>) -> Response {
    let resume_hint = resume
        .as_ref()
        .map_or(String::new(), |r| format!(" (resume with after: \"{r}\")"));
    let (message, code) = match &end {
        End::Overflow { missed } => (
            format!("the subscriber fell behind and missed {missed} alerts{resume_hint}"),
            OVERFLOW,
        ),
        End::Denied(Denied::Credentials) => (
            "the subscription's credentials are no longer valid".to_string(),
            UNAUTHENTICATED,
        ),
        End::Denied(Denied::Capability) => (
            "alerts: needs read access to alerts".to_string(),
            crate::graphql::errors::FORBIDDEN,
        ),
        End::Pruned => (
            "the live log no longer holds what followed this position: read what was missed with the \
             `alerts` query, then subscribe without `after`"
                .to_string(),
            CURSOR_EXPIRED,
        ),
        End::Failed(_) | End::Closed => (format!("the alert stream ended{resume_hint}"), UNAVAILABLE),
    };
    stream_error(coded(message, code).extend_with(|_, ext| {
        if let End::Overflow { missed } = end {
            ext.set("missed", missed);
        }
        if let Some(r) = resume.as_ref().filter(|_| end != End::Pruned) {
            ext.set("resumeAfter", r.as_str());
        }
    }))
}

/// The rights that resolution depends on, as part of a group's key.
fn rights(p: &Principal) -> String {
    format!(
        "{}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}",
        p.user.id, p.user.role, p.user.capabilities, p.via, p.scope
    )
}

/// The variables of a group's key, as JSON. A variable that only gives the root
/// field's `after` is left out: resolution never reads it (members replay on their
/// own), so resuming subscribers share the group of fresh ones. It counts as "only"
/// when the document names it twice, in its declaration and as `after`, and writes
/// every variable as `$name` (the grammar allows `$ name`, which text search would miss).
fn shared_variables(doc: Option<&ExecutableDocument>, operation: Option<&str>, variables: &Variables) -> String {
    let mut variables = variables.clone();
    if let Some(doc) = doc {
        if let Some(name) = resume_variable(doc, operation).filter(|name| uses(doc, name) == 1) {
            variables.remove(&Name::new(name));
        }
    }
    serde_json::to_string(&variables).unwrap_or_default()
}

/// The variable given as `after` to the operation's root field, if one is.
fn resume_variable(doc: &ExecutableDocument, operation: Option<&str>) -> Option<String> {
    let op = crate::graphql::selected(doc, operation)?;
    op.node
        .selection_set
        .node
        .items
        .iter()
        .find_map(|item| match &item.node {
            // The parser's own value type is not exported: a variable displays as `$name`.
            Selection::Field(f) => f.node.arguments.iter().find_map(|(name, value)| {
                let text = value.node.to_string();
                (name.node == "after").then(|| text.strip_prefix('$').map(String::from))?
            }),
            _ => None,
        })
}

/// How often the variable `name` is used in `doc`: in the arguments of its fields and
/// directives, in every operation and fragment.
fn uses(doc: &ExecutableDocument, name: &str) -> usize {
    // The parser's value type is not exported: a value displays its variables as `$name`.
    fn arguments<V: std::fmt::Display>(args: &[(Positioned<Name>, Positioned<V>)], name: &str) -> usize {
        args.iter().map(|(_, v)| mentions(&v.node.to_string(), name)).sum()
    }
    fn directives(ds: &[Positioned<Directive>], name: &str) -> usize {
        ds.iter().map(|d| arguments(&d.node.arguments, name)).sum()
    }
    fn set(s: &SelectionSet, name: &str) -> usize {
        s.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    arguments(&f.arguments, name) + directives(&f.directives, name) + set(&f.selection_set.node, name)
                }
                Selection::InlineFragment(i) => {
                    directives(&i.node.directives, name) + set(&i.node.selection_set.node, name)
                }
                Selection::FragmentSpread(s) => directives(&s.node.directives, name),
            })
            .sum()
    }
    let operations = doc
        .operations
        .iter()
        .map(|(_, op)| directives(&op.node.directives, name) + set(&op.node.selection_set.node, name));
    let fragments = doc
        .fragments
        .values()
        .map(|f| directives(&f.node.directives, name) + set(&f.node.selection_set.node, name));
    operations.chain(fragments).sum()
}

/// How often `$name` appears in `text` (a value as the parser displays it, `$name`
/// for a variable) as a whole variable name.
fn mentions(text: &str, name: &str) -> usize {
    let needle = format!("${name}");
    text.match_indices(&needle)
        .filter(|(at, _)| {
            text[at + needle.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: serde_json::Value) -> Variables {
        Variables::from_json(v)
    }

    fn parsed(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap()
    }

    #[test]
    fn a_resume_position_alone_does_not_split_groups() {
        let q = "subscription($f: AlertFilter, $after: ID) { alertCreated(filter: $f, after: $after) { id } }";
        let a = shared_variables(
            Some(&parsed(q)),
            None,
            &vars(json!({"f": {"kind": "host"}, "after": "QWxlcnQ6MQ"})),
        );
        let b = shared_variables(Some(&parsed(q)), None, &vars(json!({"f": {"kind": "host"}})));
        assert_eq!(a, b);
        // The filter still does.
        let c = shared_variables(Some(&parsed(q)), None, &vars(json!({"f": {"kind": "flow"}})));
        assert_ne!(a, c);
    }

    #[test]
    fn a_resume_variable_read_elsewhere_stays_in_the_key() {
        let q = "subscription($after: ID) { alertCreated(after: $after) { id host { alerts(after: $after) { totalCount } } } }";
        let a = shared_variables(Some(&parsed(q)), None, &vars(json!({"after": "x"})));
        let b = shared_variables(Some(&parsed(q)), None, &vars(json!({"after": "y"})));
        assert_ne!(a, b);
        // Also when written `$ after`, which a text search for `$after` would not count.
        let q = "subscription($after: ID) { alertCreated(after: $after) { id host { alerts(after: $ after) { totalCount } } } }";
        let a = shared_variables(Some(&parsed(q)), None, &vars(json!({"after": "x"})));
        let b = shared_variables(Some(&parsed(q)), None, &vars(json!({"after": "y"})));
        assert_ne!(a, b);
    }

    #[test]
    fn variables_are_counted_by_whole_names() {
        assert_eq!(mentions("($a: ID, $ab: ID) { f(a: $a, b: $ab) }", "a"), 2);
        assert_eq!(mentions("($a: ID) { f(a: $a) }", "ab"), 0);
    }

    #[test]
    fn the_resume_variable_is_found_in_the_selected_operation() {
        let q = "subscription A($x: ID) { alertCreated(after: $x) { id } }
                 subscription B($y: String) { alertUpdated(after: $y) { cursor } }";
        assert_eq!(resume_variable(&parsed(q), Some("B")).as_deref(), Some("y"));
        assert_eq!(resume_variable(&parsed(q), Some("A")).as_deref(), Some("x"));
        assert_eq!(resume_variable(&parsed(q), None), None);
    }
}
