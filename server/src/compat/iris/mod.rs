//! DFIR-IRIS's REST API (`../shared/specs/iris-api-v1.txt`, the 47 operations of IRIS
//! ≤ v1.2, and what the official Python client 2.0.4 calls of IRIS v2), under `/iris`:
//! the `{status, message, data}` envelope, integer ids (Pivot's row ids: a case's id
//! is its number), API keys that are Pivot API tokens (`Authorization: Bearer <key>`,
//! a bare key, or `X-IRIS-AUTH: Bearer <key>`), "Data error" with a field → messages
//! map for a body that does not validate.
//!
//! | Method    | Path                                  | Runs                                 |
//! |-----------|---------------------------------------|--------------------------------------|
//! | GET       | /api/ping                             | me                                   |
//! | GET       | /api/versions                         | me                                   |
//! | GET       | /manage/tlp/list                      | (Pivot's TLP levels)                 |
//! | GET       | /manage/ioc-types/list                | iocTypes                             |
//! | GET       | /manage/case-classifications/list     | caseClassifications                  |
//! | GET       | /manage/asset-type/list               | assetTypes                           |
//! | GET       | /manage/assettype/list (v1: arrays)   | assetTypes                           |
//! | GET       | /manage/analysis-status/list          | analysisStatuses                     |
//! | GET       | /manage/task-status/list              | (Pivot's task statuses)              |
//! | GET       | /manage/event-categories/list         | eventCategories                      |
//! | GET       | /manage/compromise-status/list        | (Pivot's compromise statuses)        |
//! | GET       | /manage/outcome-status/list           | (Pivot's case outcomes)              |
//! | GET       | /manage/case-states/list              | (open and closed, among IRIS's stages) |
//! | GET       | /manage/customers/list                | customers (walked)                   |
//! | GET       | /manage/customers/{id}                | node                                 |
//! | POST      | /manage/customers/add, /customer/add  | createCustomer                       |
//! | POST      | /manage/customers/update/{id}         | updateCustomer                       |
//! | GET, POST | /manage/customers/delete/{id}         | deleteCustomer                       |
//! | GET       | /manage/cases/list                    | caseTable (walked)                   |
//! | GET       | /manage/cases/{id}                    | node                                 |
//! | POST      | /manage/cases/add                     | createCase                           |
//! | POST      | /manage/cases/update/{id}             | updateCase                           |
//! | GET, POST | /manage/cases/close/{id}              | closeCase                            |
//! | GET, POST | /manage/cases/reopen/{id}             | reopenCase                           |
//! | GET, POST | /manage/cases/delete/{id}             | deleteCase                           |
//! | GET       | /manage/users/list, /manage/users/restricted/list | users (walked)     |
//! | GET       | /manage/users/{id}, /manage/users/lookup/id/{id} | node                |
//! | GET       | /manage/users/lookup/login/{login}    | users (by username)                  |
//! | POST      | /manage/users/add                     | createUser + createApiToken (userId) |
//! | POST      | /manage/users/update/{id}             | node, resetPassword + updateUser     |
//! | GET       | /manage/users/deactivate/{id}, /manage/users/activate/{id} | updateUser (active) |
//! | GET, POST | /manage/users/delete/{id}             | node + deleteUser                    |
//! | GET       | /case/summary/fetch                   | useCase + node                       |
//! | POST      | /case/summary/update                  | useCase + updateCase                 |
//! | POST      | /case/update-status                   | useCase + updateCase (outcome)       |
//! | POST      | /case/tasklog/add                     | useCase + logCaseActivity            |
//! | GET       | /case/ioc/list                        | useCase + iocTable (walked)          |
//! | GET       | /case/ioc/{id}                        | useCase + node                       |
//! | POST      | /case/ioc/add                         | useCase, iocTypes, iocs + addIoc or linkIoc |
//! | POST      | /case/ioc/update/{id}                 | useCase, iocTypes, node + updateIoc  |
//! | GET, POST | /case/ioc/delete/{id}                 | useCase, node + unlinkIoc (deleteOrphan) |
//! | GET       | /case/assets/list                     | useCase + node (the case's assets)   |
//! | GET       | /case/assets/{id}                     | useCase + node                       |
//! | POST      | /case/assets/add                      | useCase + createAsset                |
//! | POST      | /case/assets/update/{id}              | useCase, node + updateAsset          |
//! | GET, POST | /case/assets/delete/{id}              | useCase, node + deleteAsset          |
//! | GET       | /case/evidences/list                  | useCase + node (the case's evidences)|
//! | GET       | /case/evidences/{id}                  | useCase + node                       |
//! | POST      | /case/evidences/add                   | useCase + createEvidence             |
//! | POST      | /case/evidences/update/{id}           | useCase, node + updateEvidence       |
//! | GET, POST | /case/evidences/delete/{id}           | useCase, node + deleteEvidence       |
//! | GET       | /case/timeline/get/{asset_id} (v1.2), /case/timeline/events/list/filter/{asset_id} (v2) | useCase + node (the case's timeline) |
//! | GET       | /case/timeline/event/{id}, /case/timeline/events/{id} | useCase + node       |
//! | POST      | /case/timeline/event/add, /case/timeline/events/add | useCase, eventCategories + createTimelineEvent |
//! | POST      | /case/timeline/event/update/{id}, /case/timeline/events/update/{id} | useCase, eventCategories, node + updateTimelineEvent |
//! | GET       | /case/timeline/event/delete/{id} (v1.2; POST: /case/timeline/events/delete/{id}, v2) | useCase, node + deleteTimelineEvent |
//! | GET       | /case/notes/groups, /case/notes/groups/list | useCase + node (the case's groups) |
//! | POST      | /case/notes/groups/add                | useCase + createNoteGroup            |
//! | GET, POST | /case/notes/groups/delete/{id}        | useCase, node + deleteNoteGroup (with its notes) |
//! | GET       | /case/notes/{id}                      | useCase + node                       |
//! | POST      | /case/notes/add                       | useCase + createNote                 |
//! | POST      | /case/notes/save/{id}, /case/notes/update/{id} | useCase, node + updateNote  |
//! | GET, POST | /case/notes/delete/{id}               | useCase, node + deleteNote           |
//! | POST      | /case/notes/search                    | useCase + notes                      |
//! | GET       | /case/notes/directories/filter        | useCase + node (the case's groups)   |
//! | POST      | /case/notes/directories/add           | useCase + createNoteGroup (parentId) |
//! | POST      | /case/notes/directories/update/{id}   | useCase, node + updateNoteGroup      |
//! | POST      | /case/notes/directories/delete/{id}   | useCase, node + deleteNoteGroup (with its groups and notes) |
//! | GET       | /case/{ioc,assets,evidences,notes,tasks,timeline}/state | useCase + node (objectStates) |
//! | GET       | /case/tasks/list                      | useCase + node (the case's tasks)    |
//! | GET       | /case/tasks/{id}                      | useCase + node                       |
//! | POST      | /case/tasks/add                       | useCase + createTask                 |
//! | POST      | /case/tasks/update/{id}, /case/tasks/status/update/{id} | useCase, node + updateTask |
//! | GET, POST | /case/tasks/delete/{id}               | useCase, node + deleteTask           |
//! | GET       | /global/tasks/list                    | tasks of no case (walked)            |
//! | GET       | /global/tasks/{id}                    | node                                 |
//! | POST      | /global/tasks/add                     | createTask                           |
//! | POST      | /global/tasks/edit/{id} (v1.2), /global/tasks/update/{id} (v2) | node + updateTask |
//! | POST      | /global/tasks/update-status           | node + updateTask                    |
//! | GET, POST | /global/tasks/delete/{id}             | node + deleteTask                    |
//!
//! Routes under `/case/` act in a case: the one `cid` names (query string, then JSON
//! body), else the caller's current case (see `context`).
//!
//! Where IRIS v1.2 and the v2 client disagree, one route serves both: bodies may hold
//! the fields of either (any other field is refused, as v1.2 refuses it), answers
//! carry the keys of both (`client_id` and `customer_id`), and deletes, closes and
//! reopens take GET (v1.2) and POST (v2). The customers list answers objects (v2;
//! v1.2 answered arrays, which no client reads by position). Request targets with
//! doubled slashes (`//manage/...`, which the client sends) reach the same routes: the
//! HTTP layer merges slashes before routing.
//!
//! How IRIS's model maps onto Pivot's graph:
//! - An IRIS administrator is a Pivot user with user administration: the `/manage/customers`
//!   writes need it, as Pivot's customer mutations do. Customer limits hold on every
//!   route: a limited user's case of another customer reads as no case at all.
//! - A case's `case_name` is `#<id> - <name>`, as IRIS stores it; a name sent back with
//!   that prefix is stored without it. `case_description` is Pivot's case description.

mod assets;
mod cases;
mod context;
mod customers;
mod directories;
mod evidences;
mod form;
mod iocs;
mod notes;
mod references;
mod shapes;
mod states;
mod summary;
mod tasks;
mod timeline;
mod users;

use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{Call, Dialect, Input, Params, Refusal, Route};
use crate::auth::principal::Presented;
use crate::domain::access::{Capability, Level};
use crate::graphql::errors::{BAD_USER_INPUT, CONFLICT, FORBIDDEN, NOT_FOUND};
use assets::*;
use cases::*;
use context::{feed_owned, fine, in_case};
use customers::*;
use directories::*;
use evidences::*;
use iocs::*;
use notes::*;
use references::*;
use states::*;
use summary::*;
use tasks::*;
use timeline::*;
use users::*;

pub struct Iris;

/// IRIS's header for API keys in v2 (`X-IRIS-AUTH: Bearer <key>`).
static X_IRIS_AUTH: HeaderName = HeaderName::from_static("x-iris-auth");

impl Dialect for Iris {
    const NAME: &'static str = "iris";
    const MOUNT: &'static str = "/iris";

    // One row per route, as the table above: kept on one line each.
    #[rustfmt::skip]
    fn routes() -> Vec<Route> {
        use Capability::*;
        use Level::*;
        use Method as M;
        use super::Paging::Every;
        let json = Input::Json;
        let mut routes = vec![
            Route::new(M::GET, "/api/ping", json, None, ME, no_vars, pong),
            Route::new(M::GET, "/api/versions", json, None, ME, no_vars, versions),
            Route::new(M::GET, "/manage/tlp/list", json, None, ME, no_vars, tlps),
            Route::new(M::GET, "/manage/ioc-types/list", json, None, IOC_TYPES, no_vars, ioc_types),
            Route::new(M::GET, "/manage/case-classifications/list", json, None, CLASSIFICATIONS, no_vars, classifications),
            Route::new(M::GET, "/manage/asset-type/list", json, None, ASSET_TYPES, no_vars, asset_types),
            Route::new(M::GET, "/manage/assettype/list", json, None, ASSET_TYPES, no_vars, asset_type_rows),
            Route::new(M::GET, "/manage/analysis-status/list", json, None, ANALYSIS_STATUSES, no_vars, analysis_statuses),
            Route::new(M::GET, "/manage/task-status/list", json, None, ME, no_vars, task_statuses),
            Route::new(M::GET, "/manage/event-categories/list", json, None, EVENT_CATEGORIES, no_vars, event_categories),
            Route::new(M::GET, "/manage/compromise-status/list", json, None, ME, no_vars, compromise_statuses),
            Route::new(M::GET, "/manage/outcome-status/list", json, None, ME, no_vars, outcomes),
            Route::new(M::GET, "/manage/case-states/list", json, None, ME, no_vars, case_states),
            Route::new(M::GET, "/manage/customers/list", json, None, CUSTOMERS, no_vars, customer_list).paging(Every(super::listing_after)),
            Route::new(M::GET, "/manage/customers/{id}", json, None, CUSTOMER, customer_id, one_customer),
            Route::new(M::POST, "/manage/customers/add", json, Some((Users, Write)), CREATE_CUSTOMER, new_customer, added_customer),
            Route::new(M::POST, "/customer/add", json, Some((Users, Write)), CREATE_CUSTOMER, new_customer, added_customer_v120),
            Route::new(M::POST, "/manage/customers/update/{id}", json, Some((Users, Write)), UPDATE_CUSTOMER, customer_update, updated_customer),
            Route::new(M::GET, "/manage/cases/list", json, Some((Cases, Read)), CASES, no_vars, case_list).paging(Every(super::listing_after)),
            Route::new(M::POST, "/manage/cases/add", json, Some((Cases, Write)), CREATE_CASE, new_case, added_case),
            Route::new(M::POST, "/manage/cases/update/{id}", json, Some((Cases, Write)), UPDATE_CASE, case_update, updated_case),
        ];
        // Changes v1.2 made with GET and v2 with POST.
        for method in [M::GET, M::POST] {
            routes.extend([
                Route::new(method.clone(), "/manage/customers/delete/{id}", json, Some((Users, Write)), DELETE_CUSTOMER, customer_id, deleted_customer),
                Route::new(method.clone(), "/manage/cases/close/{id}", json, Some((Cases, Write)), CLOSE_CASE, case_id, closed_case),
                Route::new(method.clone(), "/manage/cases/reopen/{id}", json, Some((Cases, Write)), REOPEN_CASE, case_id, reopened_case),
                Route::new(method.clone(), "/manage/cases/delete/{id}", json, Some((Cases, Write)), DELETE_CASE, case_id, deleted_case),
            ]);
        }
        routes.push(Route::new(M::GET, "/manage/cases/{id}", json, Some((Cases, Read)), CASE, case_id, one_case));
        // Users: all of it is user administration in Pivot.
        routes.extend([
            Route::new(M::GET, "/manage/users/list", json, Some((Users, Read)), USERS, no_vars, user_list).paging(Every(super::listing_after)),
            Route::new(M::GET, "/manage/users/restricted/list", json, Some((Users, Read)), USERS, no_vars, restricted_user_list).paging(Every(super::listing_after)),
            Route::new(M::GET, "/manage/users/lookup/id/{id}", json, Some((Users, Read)), USER, user_id, looked_up_id),
            Route::new(M::GET, "/manage/users/lookup/login/{login}", json, Some((Users, Read)), USER_BY_LOGIN, login, looked_up_login),
            Route::new(M::POST, "/manage/users/add", json, Some((Users, Write)), USER_KEY, no_vars, added_user)
                .first(CREATE_USER, new_user, fine, feed_new_user),
            Route::new(M::POST, "/manage/users/update/{id}", json, Some((Users, Write)), UPDATE_USER, user_update, updated_user)
                .then(USER, login_kept, feed_demotion),
            Route::new(M::GET, "/manage/users/deactivate/{id}", json, Some((Users, Write)), SET_ACTIVE, deactivation, deactivated_user),
            Route::new(M::GET, "/manage/users/activate/{id}", json, Some((Users, Write)), SET_ACTIVE, activation, activated_user),
            Route::new(M::GET, "/manage/users/{id}", json, Some((Users, Read)), USER, user_id, one_user),
        ]);
        for method in [M::GET, M::POST] {
            routes.push(
                Route::new(method, "/manage/users/delete/{id}", json, Some((Users, Write)), DELETE_USER, user_id, deleted_user)
                    .before(USER, inactive),
            );
        }
        // In a case: the one `cid` names, or the caller's current case.
        routes.extend([
            Route::new(M::GET, "/case/summary/fetch", json, Some((Cases, Read)), SUMMARY, no_vars, fetched_summary),
            Route::new(M::POST, "/case/summary/update", json, Some((Cases, Write)), UPDATE_SUMMARY, summary_update, updated_summary),
            Route::new(M::POST, "/case/update-status", json, Some((Cases, Write)), SET_OUTCOME, outcome_update, outcome_set),
            Route::new(M::POST, "/case/tasklog/add", json, Some((Cases, Write)), LOG_ACTIVITY, task_log, task_logged),
            Route::new(M::GET, "/case/ioc/list", json, Some((Cases, Read)), IOC_LIST, no_vars, ioc_list).paging(Every(super::listing_after)),
            Route::new(M::GET, "/case/ioc/{id}", json, Some((Cases, Read)), IOC, ioc_id, one_ioc),
            Route::new(M::GET, "/case/assets/list", json, Some((Cases, Read)), ASSETS, no_vars, asset_list),
            Route::new(M::GET, "/case/assets/{id}", json, Some((Cases, Read)), ASSET, asset_id, one_asset),
            Route::new(M::GET, "/case/evidences/list", json, Some((Cases, Read)), EVIDENCES, no_vars, evidence_list),
            Route::new(M::GET, "/case/evidences/{id}", json, Some((Cases, Read)), EVIDENCE, evidence_id, one_evidence),
            Route::new(M::POST, "/case/evidences/add", json, Some((Cases, Write)), ADD_EVIDENCE, new_evidence, added_evidence),
            Route::new(M::GET, "/case/timeline/get/{asset_id}", json, Some((Cases, Read)), TIMELINE, timeline_vars, timeline_list),
            Route::new(M::GET, "/case/timeline/events/list/filter/{asset_id}", json, Some((Cases, Read)), TIMELINE, timeline_vars, timeline_list),
            Route::new(M::GET, "/case/timeline/event/{id}", json, Some((Cases, Read)), EVENT, event_id, one_event),
            Route::new(M::GET, "/case/timeline/events/{id}", json, Some((Cases, Read)), EVENT, event_id, one_event),
            Route::new(M::GET, "/case/notes/groups", json, Some((Cases, Read)), GROUPS, no_vars, group_rows),
            Route::new(M::GET, "/case/tasks/list", json, Some((Cases, Read)), CASE_TASKS, no_vars, case_task_list),
            Route::new(M::GET, "/case/tasks/{id}", json, Some((Cases, Read)), TASK, task_id, one_task),
            Route::new(M::POST, "/case/tasks/add", json, Some((Cases, Write)), ADD_TASK, new_task, added_task),
            Route::new(M::GET, "/case/ioc/state", json, Some((Cases, Read)), STATES, no_vars, ioc_state),
            Route::new(M::GET, "/case/assets/state", json, Some((Cases, Read)), STATES, no_vars, asset_state),
            Route::new(M::GET, "/case/evidences/state", json, Some((Cases, Read)), STATES, no_vars, evidence_state),
            Route::new(M::GET, "/case/notes/state", json, Some((Cases, Read)), STATES, no_vars, note_state),
            Route::new(M::GET, "/case/tasks/state", json, Some((Cases, Read)), STATES, no_vars, task_state),
            Route::new(M::GET, "/case/timeline/state", json, Some((Cases, Read)), STATES, no_vars, timeline_state),
            Route::new(M::GET, "/case/notes/groups/list", json, Some((Cases, Read)), GROUPS, no_vars, group_list),
            Route::new(M::POST, "/case/notes/groups/add", json, Some((Cases, Write)), ADD_GROUP, new_group, added_group),
            Route::new(M::GET, "/case/notes/{id}", json, Some((Cases, Read)), NOTE, note_id, one_note),
            Route::new(M::POST, "/case/notes/add", json, Some((Cases, Write)), ADD_NOTE, new_note, added_note),
            Route::new(M::POST, "/case/notes/search", json, Some((Cases, Read)), SEARCH_NOTES, search_vars, found_notes),
        ].map(in_case));
        for path in ["/case/tasks/update/{id}", "/case/tasks/status/update/{id}"] {
            routes.push(
                in_case(Route::new(M::POST, path, json, Some((Cases, Write)), UPDATE_TASK, task_update, updated_task))
                    .then(TASK_CASE, fine, feed_owned),
            );
        }
        // Global tasks: of no case.
        routes.extend([
            Route::new(M::GET, "/global/tasks/list", json, Some((Cases, Read)), GLOBAL_TASKS, no_vars, global_task_list).paging(Every(super::listing_after)),
            Route::new(M::GET, "/global/tasks/{id}", json, Some((Cases, Read)), TASK, task_id, one_global_task),
            Route::new(M::POST, "/global/tasks/add", json, Some((Cases, Write)), ADD_TASK, new_global_task, added_global_task),
            Route::new(M::POST, "/global/tasks/update-status", json, Some((Cases, Write)), UPDATE_TASK, global_status_update, updated_global_status)
                .then(TASK_CASE, fine, feed_global),
        ]);
        for path in ["/global/tasks/edit/{id}", "/global/tasks/update/{id}"] {
            routes.push(
                Route::new(M::POST, path, json, Some((Cases, Write)), UPDATE_TASK, global_task_update, updated_global_task)
                    .then(TASK_CASE, fine, feed_global),
            );
        }
        for (path, reply) in [("/case/notes/save/{id}", saved_note as super::Shape), ("/case/notes/update/{id}", updated_note)] {
            routes.push(
                in_case(Route::new(M::POST, path, json, Some((Cases, Write)), UPDATE_NOTE, note_update, reply))
                    .then(NOTE_SUBJECT, fine, feed_note_in_case),
            );
        }
        // v1.2's paths (`event/`) and v2's (`events/`).
        for (add, update, delete, method) in [
            ("/case/timeline/event/add", "/case/timeline/event/update/{id}", "/case/timeline/event/delete/{id}", M::GET),
            ("/case/timeline/events/add", "/case/timeline/events/update/{id}", "/case/timeline/events/delete/{id}", M::POST),
        ] {
            routes.extend([
                in_case(Route::new(M::POST, add, json, Some((Cases, Write)), ADD_EVENT, new_event, added_event))
                    .then(CATEGORIES, category_known, feed_category),
                in_case(Route::new(M::POST, update, json, Some((Cases, Write)), UPDATE_EVENT, event_update, updated_event))
                    .then(CATEGORIES, category_known, feed_category)
                    .then(EVENT_CASE, fine, feed_owned),
                in_case(Route::new(method, delete, json, Some((Cases, Write)), DELETE_EVENT, event_id, deleted_event))
                    .then(EVENT_CASE, fine, feed_owned),
            ]);
        }
        // IRIS v2's note directories (groups inside groups).
        routes.extend([
            in_case(Route::new(M::GET, "/case/notes/directories/filter", json, Some((Cases, Read)), DIRECTORIES, no_vars, directory_list)),
            in_case(Route::new(M::POST, "/case/notes/directories/add", json, Some((Cases, Write)), ADD_DIRECTORY, new_directory, added_directory)),
            in_case(Route::new(M::POST, "/case/notes/directories/update/{id}", json, Some((Cases, Write)), UPDATE_DIRECTORY, directory_update, updated_directory))
                .then(DIRECTORY_PARENTS, fine, feed_directory_in_case),
            in_case(Route::new(M::POST, "/case/notes/directories/delete/{id}", json, Some((Cases, Write)), DELETE_DIRECTORY, directory_id, deleted_directory))
                .then(GROUP_IDS, fine, feed_group_in_case),
        ]);
        routes.extend([
            in_case(Route::new(M::POST, "/case/ioc/add", json, Some((Cases, Write)), ADD_IOC, new_ioc, added_ioc))
                .then(TYPES, type_known, feed_type)
                .then(SAME, fine, feed_same),
            in_case(Route::new(M::POST, "/case/ioc/update/{id}", json, Some((Cases, Write)), UPDATE_IOC, ioc_update, updated_ioc))
                .then(TYPES, type_known, feed_type)
                .then(IOC_CASES, fine, feed_in_case),
        ]);
        routes.extend([
            in_case(Route::new(M::POST, "/case/assets/add", json, Some((Cases, Write)), ADD_ASSET, new_asset, added_asset)),
            in_case(Route::new(M::POST, "/case/assets/update/{id}", json, Some((Cases, Write)), UPDATE_ASSET, asset_update, updated_asset))
                .then(ASSET_CASE, fine, feed_owned),
            in_case(Route::new(M::POST, "/case/evidences/update/{id}", json, Some((Cases, Write)), UPDATE_EVIDENCE, evidence_update, updated_evidence))
                .then(EVIDENCE_CASE, fine, feed_owned),
        ]);
        for method in [M::GET, M::POST] {
            routes.extend([
                in_case(Route::new(method.clone(), "/case/ioc/delete/{id}", json, Some((Cases, Write)), DELETE_IOC, ioc_delete, deleted_ioc))
                    .then(IOC_CASES, fine, feed_in_case),
                in_case(Route::new(method.clone(), "/case/assets/delete/{id}", json, Some((Cases, Write)), DELETE_ASSET, asset_id, deleted_asset))
                    .then(ASSET_CASE, fine, feed_owned),
                in_case(Route::new(method.clone(), "/case/evidences/delete/{id}", json, Some((Cases, Write)), DELETE_EVIDENCE, evidence_id, deleted_evidence))
                    .then(EVIDENCE_CASE, fine, feed_owned),
                in_case(Route::new(method.clone(), "/case/notes/delete/{id}", json, Some((Cases, Write)), DELETE_NOTE, note_id, deleted_note))
                    .then(NOTE_SUBJECT, fine, feed_note_in_case),
                in_case(Route::new(method.clone(), "/case/notes/groups/delete/{id}", json, Some((Cases, Write)), DELETE_GROUP, group_id, deleted_group))
                    .then(GROUP_IDS, fine, feed_group_in_case),
                in_case(Route::new(method.clone(), "/case/tasks/delete/{id}", json, Some((Cases, Write)), DELETE_TASK, task_id, deleted_task))
                    .then(TASK_CASE, fine, feed_owned),
                Route::new(method, "/global/tasks/delete/{id}", json, Some((Cases, Write)), DELETE_TASK, task_id, deleted_global_task)
                    .then(TASK_CASE, fine, feed_global),
            ]);
        }
        routes
    }

    /// An API key: `Authorization: Bearer <key>`, `Authorization: <key>` (IRIS drops a
    /// leading "Bearer " and takes what is left) or `X-IRIS-AUTH: Bearer <key>`.
    fn credentials(headers: &HeaderMap, _: &Params) -> Result<Presented, Refusal> {
        let value = headers
            .get(&X_IRIS_AUTH)
            .or_else(|| headers.get(header::AUTHORIZATION))
            .map(|v| v.to_str().unwrap_or_default().trim());
        Ok(match value {
            None => Presented::Nothing,
            Some(v) => {
                let key = v
                    .strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
                    .unwrap_or(v)
                    .trim();
                if key.is_empty() || key.contains(' ') {
                    Presented::Malformed
                } else {
                    Presented::Token(key.to_string())
                }
            }
        })
    }

    fn unauthenticated(_: bool, _: &Call) -> Refusal {
        Refusal::new(StatusCode::UNAUTHORIZED, "Authentication required")
    }

    /// `{"status": "error", "message": ..., "data": ...}`; `data` is `[]` unless the
    /// refusal carries one (a "Data error"'s fields).
    fn refuse(refusal: Refusal) -> Response {
        let message = match refusal.status {
            StatusCode::NOT_FOUND => "Resource not found".to_string(),
            s if s.is_server_error() => "Internal server error".to_string(),
            _ => refusal.message,
        };
        let data = refusal.details.get("data").cloned().unwrap_or_else(|| json!([]));
        let body = json!({ "status": "error", "message": message, "data": data });
        (refusal.status, axum::Json(body)).into_response()
    }

    /// IRIS answers an unknown id with 400 and its own words, never a 404.
    fn status(code: &str) -> StatusCode {
        match code {
            NOT_FOUND | CONFLICT | BAD_USER_INPUT => StatusCode::BAD_REQUEST,
            other => crate::graphql::errors::http_status(other),
        }
    }

    fn refusal(code: &str, field: Option<&str>, path: &str, _: &Params) -> Option<Refusal> {
        let message = match (code, path) {
            (FORBIDDEN, _) => return Some(Refusal::new(StatusCode::FORBIDDEN, "Permission denied")),
            // The case context (`context`): none, or not the caller's to see.
            (NOT_FOUND, _) if field == Some("c") => context::INVALID,
            (NOT_FOUND, p) if p.starts_with("/manage/cases/close") => "Tried to close an non-existing case",
            (NOT_FOUND, p) if p.starts_with("/manage/cases/reopen") => "Tried to reopen an non-existing case",
            (NOT_FOUND, p) if p.starts_with("/manage/cases/delete") => "Tried to delete a non-existing case",
            (NOT_FOUND, p) if p.starts_with("/manage/cases/update") => "Invalid case ID",
            // A note's group that is not the case's, or none at all.
            (NOT_FOUND | BAD_USER_INPUT, "/case/notes/add" | "/case/notes/save/{id}" | "/case/notes/update/{id}") => {
                return Some(form::data_error(json!({ "group_id": ["Invalid group id for note"] })))
            }
            // A directory's parent that is not one of the case's.
            (NOT_FOUND | BAD_USER_INPUT, p) if p.starts_with("/case/notes/directories/") => {
                return Some(form::data_error(
                    json!({ "parent_id": ["Invalid parent id for the directory"] }),
                ))
            }
            // An assignee who is no user.
            (NOT_FOUND, "/global/tasks/add") => {
                return Some(form::data_error(
                    json!({ "task_assignee": ["Invalid user id for assignee"] }),
                ))
            }
            (NOT_FOUND, p) if p.starts_with("/case/tasks/") || p.starts_with("/global/tasks/") => {
                return Some(form::data_error(
                    json!({ "task_assignee_id": ["Invalid user id for assignee"] }),
                ))
            }
            (NOT_FOUND, "/manage/cases/add") => {
                return Some(form::data_error(json!({ "case_customer": ["Invalid customer ID"] })))
            }
            (NOT_FOUND, p) if p.starts_with("/manage/customers") => "Invalid Customer ID",
            (NOT_FOUND, p) if p.starts_with("/manage/users") => users::INVALID_USER,
            (CONFLICT, "/manage/users/add") => {
                return Some(form::data_error(json!({ "user_login": ["User name already taken"] })))
            }
            // The v2 client's words (its tests read them); v1.2 added "with this particular name".
            (CONFLICT, "/manage/customers/add" | "/customer/add") => {
                return Some(Refusal::bad("Error adding customer").with_details(data(json!({
                    "customer_name": ["Customer already exists"]
                }))))
            }
            (CONFLICT, p) if p.starts_with("/manage/customers/update") => {
                return Some(form::data_error(
                    json!({ "customer_name": ["Customer already exists"] }),
                ))
            }
            (CONFLICT, p) if p.starts_with("/manage/customers/delete") => "Cannot delete a referenced customer",
            _ => return None,
        };
        Some(Refusal::bad(message))
    }
}

/// A refusal's `data`.
fn data(v: Value) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("data".into(), v);
    m
}

/// IRIS's answer: `{"status": "success", "message": ..., "data": ...}`.
fn success(message: &str, data: Value) -> super::Reply {
    super::Reply::ok(json!({ "status": "success", "message": message, "data": data }))
}

/// IRIS's answer of typed data, written straight to the body (long lists: no JSON
/// tree is built for their thousands of rows).
fn success_of(message: &str, data: &impl serde::Serialize) -> Result<super::Reply, Refusal> {
    #[derive(serde::Serialize)]
    struct Envelope<'a, T> {
        status: &'static str,
        message: &'a str,
        data: &'a T,
    }
    super::Reply::serialized(&Envelope {
        status: "success",
        message,
        data,
    })
}

/// For routes whose operation takes no variables.
fn no_vars(_: &Params, _: &super::Context) -> Result<Value, Refusal> {
    Ok(json!({}))
}

/// Who asks (any signed-in caller may): for routes that answer constants.
const ME: &str = "query { me { id } }";
