//! GraphQL multipart requests (files to import), read only once the caller is known
//! and may import, within that caller's limits: the `operations` and `map` parts are
//! bounded like any JSON body, each file by the per-file limit, the whole stream by the
//! caller's per-request limit. Files are spooled to unlinked temporary files.

use std::collections::HashMap;

use async_graphql::{BatchRequest, UploadValue};
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::TryStreamExt;
use multer::{Constraints, Multipart, SizeLimit};
use tokio::io::AsyncWriteExt;

use crate::config::UploadLimits;
use crate::domain::access::Principal;
use crate::graphql::errors::{BAD_USER_INPUT, INTERNAL, PAYLOAD_TOO_LARGE};
use crate::graphql::limits;
use crate::http::error_response;

fn too_large(what: &str, limit: u64) -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("{what} is larger than {limit} bytes"),
        PAYLOAD_TOO_LARGE,
    )
}

/// The refusal of an upload the server could not spool (a full disk): logged, 507.
fn spool_failed(e: std::io::Error) -> Response {
    tracing::error!(error = %e, "spooling an upload to its temporary file");
    error_response(StatusCode::INSUFFICIENT_STORAGE, "cannot store the upload", INTERNAL)
}

fn bad(message: impl std::fmt::Display) -> Response {
    error_response(
        StatusCode::BAD_REQUEST,
        format!("bad GraphQL multipart request: {message}"),
        BAD_USER_INPUT,
    )
}

/// Reads a multipart `body` with `boundary` for `p`, within `limits`.
pub async fn read(
    body: Body,
    boundary: String,
    p: &Principal,
    limits: &UploadLimits,
) -> Result<BatchRequest, Response> {
    let request_bytes = limits.request_bytes_of(p);
    let json_bytes = limits::BODY_BYTES as u64;
    let constraints = Constraints::new().size_limit(
        SizeLimit::new()
            .whole_stream(request_bytes)
            .per_field(limits.file_bytes)
            .for_field("operations", json_bytes)
            .for_field("map", json_bytes),
    );
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let mut multipart = Multipart::with_constraints(stream, boundary, constraints);
    let size_error = |e: &multer::Error| -> Option<Response> {
        match e {
            multer::Error::StreamSizeExceeded { .. } => Some(too_large("the request", request_bytes)),
            multer::Error::FieldSizeExceeded { field_name, .. } => Some(match field_name.as_deref() {
                Some(name @ ("operations" | "map")) => too_large(&format!("the `{name}` part"), json_bytes),
                _ => too_large("an uploaded file", limits.file_bytes),
            }),
            _ => None,
        }
    };
    let failed = |e: multer::Error| size_error(&e).unwrap_or_else(|| bad(e));

    let mut operations: Option<BatchRequest> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files: Vec<(String, UploadValue)> = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_string();
        match (name.as_str(), field.file_name().map(str::to_string)) {
            ("operations", _) => {
                let bytes = field.bytes().await.map_err(failed)?;
                let parsed = serde_json::from_slice(&bytes)
                    .map_err(|e| bad(format!("the `operations` part is not a GraphQL request in JSON: {e}")))?;
                operations = Some(parsed);
            }
            ("map", _) => {
                let bytes = field.bytes().await.map_err(failed)?;
                let parsed = serde_json::from_slice(&bytes)
                    .map_err(|e| bad(format!("the `map` part is not a JSON map of files to variables: {e}")))?;
                map = Some(parsed);
            }
            (_, Some(filename)) => {
                if files.len() >= limits.files {
                    return Err(bad(format!("a request carries at most {} files", limits.files)));
                }
                let content_type = field.content_type().map(ToString::to_string);
                let spool = tempfile::tempfile().map_err(spool_failed)?;
                let mut file = tokio::fs::File::from_std(spool);
                while let Some(chunk) = field.chunk().await.map_err(failed)? {
                    file.write_all(&chunk).await.map_err(spool_failed)?;
                }
                // A full disk may only show now: an upload cut short is refused, not imported.
                file.flush().await.map_err(spool_failed)?;
                let mut content = file.into_std().await;
                std::io::Seek::rewind(&mut content).map_err(|_| bad("cannot read the upload back"))?;
                files.push((
                    name,
                    UploadValue {
                        filename,
                        content_type,
                        content,
                    },
                ));
            }
            (other, None) => {
                return Err(bad(format!(
                    "unexpected part `{other}`: a GraphQL multipart request has `operations`, `map` and files"
                )))
            }
        }
    }
    let mut request = operations.ok_or_else(|| bad("the multipart request has no `operations` part"))?;
    let mut map = map.ok_or_else(|| bad("the multipart request has no `map` part"))?;
    for (name, upload) in files {
        let Some(paths) = map.remove(&name) else {
            continue;
        };
        for path in paths {
            let copy = upload.try_clone().map_err(|_| bad("cannot read the upload back"))?;
            match &mut request {
                BatchRequest::Single(r) => r.set_upload(&path, copy),
                BatchRequest::Batch(list) => {
                    let (index, rest) = path.split_once('.').unwrap_or((&path, ""));
                    match index.parse::<usize>().ok().and_then(|i| list.get_mut(i)) {
                        Some(r) if !rest.is_empty() => r.set_upload(rest, copy),
                        _ => return Err(bad(format!("the `map` path {path:?} names no operation of the batch"))),
                    }
                }
            }
        }
    }
    if let Some(missing) = map.keys().next() {
        return Err(bad(format!(
            "the `map` names the file `{missing}`, which the request does not carry"
        )));
    }
    Ok(request)
}
