//! `/dump`: everything the store holds as one download (N-Quads, or TriG on request), streamed
//! while the store writes it, so that a large store never sits in the server's memory.
//!
//! At most [`MAX_CONCURRENT_DUMPS`] run at once (429 beyond). A client that goes away stops
//! the dump. A dump that fails half-way ends the transfer without its last chunk, so a client
//! sees a broken download, never a complete-looking file.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use belfort_store::DumpFormat;
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::{AppState, negotiate, respond};

/// Dumps that may run at the same time.
pub const MAX_CONCURRENT_DUMPS: usize = 2;

/// Bytes sent to the client at a time.
const CHUNK_BYTES: usize = 256 * 1024;

/// Chunks written ahead of the client.
const CHUNKS_AHEAD: usize = 4;

/// A dump is a snapshot of a version: a client may keep it for a minute.
const CACHE_CONTROL: &str = "public, max-age=60";

const OFFERED: &[&str] = &["application/n-quads", "application/trig"];

/// Counts the dumps running.
#[derive(Default)]
pub struct DumpSlots(Arc<AtomicUsize>);

/// A running dump; its slot is given back when it is dropped.
struct DumpSlot(Arc<AtomicUsize>);

impl DumpSlots {
    fn enter(&self) -> Option<DumpSlot> {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < MAX_CONCURRENT_DUMPS).then_some(n + 1)
            })
            .ok()
            .map(|_| DumpSlot(Arc::clone(&self.0)))
    }
}

impl Drop for DumpSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

type Chunk = Result<web::Bytes, std::io::Error>;

/// Hands what the store writes to the response, a chunk at a time; fails once the client is
/// gone, which stops the store's dump.
struct ChunkSender {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Chunk>,
}

impl ChunkSender {
    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        self.sender
            .blocking_send(Ok(web::Bytes::from(chunk)))
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
            })
    }
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}

/// `GET /dump`.
pub async fn dump(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let media_type =
        negotiate::choose(&request, OFFERED).ok_or_else(|| ApiError::not_acceptable(OFFERED))?;
    let etag = respond::entity_tag(state.store.data_version(), &request, media_type);
    if respond::is_not_modified(&request, &etag) {
        return Ok(respond::not_modified(&etag, CACHE_CONTROL));
    }
    let (format, file) = if media_type == "application/trig" {
        (DumpFormat::TriG, "belfort.trig")
    } else {
        (DumpFormat::NQuads, "belfort.nq")
    };
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, media_type))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::VARY, "Accept"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ));
    if request.method() == Method::HEAD {
        return Ok(response.finish());
    }
    let slot = state.dumps.enter().ok_or_else(|| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "overloaded",
            "Too many requests",
            format!("{MAX_CONCURRENT_DUMPS} dumps are running, the most this server runs at once"),
        )
        .with_retry_after(30)
    })?;
    let (sender, receiver) = mpsc::channel::<Chunk>(CHUNKS_AHEAD);
    let store = Arc::clone(&state.store);
    std::thread::spawn(move || {
        let _slot = slot;
        let mut out = ChunkSender {
            buffer: Vec::with_capacity(CHUNK_BYTES),
            sender,
        };
        let written = store
            .dump(format, &mut out)
            .map_err(|e| e.to_string())
            .and_then(|_| out.flush().map_err(|e| e.to_string()));
        if let Err(message) = written {
            tracing::warn!("dump stopped: {message}");
            let _ = out
                .sender
                .blocking_send(Err(std::io::Error::other(message)));
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(response.streaming(body))
}
