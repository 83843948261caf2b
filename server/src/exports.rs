//! Data exports waiting to be downloaded: `export` (GraphQL) registers what to export
//! and answers with a URL; `GET /exports/{id}` (`downloads`) streams the ZIP to the
//! user who asked, for ten minutes. Registrations live in this process, so a download
//! goes to the replica that answered `export` (Intrudect's export route uses both in
//! one request).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sea_orm::DatabaseConnection;
use tokio_stream::wrappers::ReceiverStream;

use crate::domain::data::{self, ExportTable};

/// How long an export may be downloaded after it was asked for.
pub const VALID_FOR: Duration = Duration::from_secs(600);

/// What one export holds, and for whom.
#[derive(Clone)]
pub struct Export {
    pub user_id: i64,
    pub tables: Vec<ExportTable>,
    pub timezone: chrono_tz::Tz,
    pub until: Instant,
}

/// The exports of this process, by ID.
#[derive(Clone, Default)]
pub struct Exports(Arc<Mutex<HashMap<String, Export>>>);

impl Exports {
    /// Registers an export; its ID is random (it is half of the download's credentials).
    pub fn register(&self, export: Export) -> String {
        let mut bytes = [0u8; 24];
        OsRng.fill_bytes(&mut bytes);
        let id = URL_SAFE_NO_PAD.encode(bytes);
        let mut all = self.0.lock().expect("not poisoned");
        let now = Instant::now();
        all.retain(|_, e| e.until > now);
        all.insert(id.clone(), export);
        id
    }

    /// The export `id` of user `user_id`, while it is valid.
    pub fn get(&self, id: &str, user_id: i64) -> Option<Export> {
        let all = self.0.lock().expect("not poisoned");
        all.get(id)
            .filter(|e| e.user_id == user_id && e.until > Instant::now())
            .cloned()
    }
}

/// The ZIP of `export` as a streamed response: chunks leave as batches are written.
pub fn stream(db: DatabaseConnection, export: Export) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        if let Err(e) = data::export(&db, &export.tables, export.timezone, tx.clone()).await {
            // Headers are gone already: cut the body short so the client sees a broken ZIP.
            tracing::error!(error = %e, "export failed");
            let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/zip"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"pivot-export.zip\""),
        ],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response()
}
