//! The request unit on the web. Every request that may touch data gets one
//! `tsunagu_store::Unit` ([`open`]): authentication reads the user on it, the handler reads and
//! writes through it, and when the handler is done its trail (audit entries, disclosure records,
//! 既読) is written before the response goes out. A failure to write the trail is the response:
//! nothing is shown that was not logged.

use std::{
    ops::{Deref, DerefMut},
    sync::Arc,
};

use axum::{
    extract::{FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use crate::{AppError, AppState};

/// The unit as the request's extensions hold it, for the middleware and the handler in turn.
#[derive(Clone)]
pub struct Shared(Arc<Mutex<Option<tsunagu_store::Unit>>>);

impl Shared {
    /// The unit, for a middleware's turn (authentication, the CSRF guard).
    pub async fn lock(&self) -> Result<Unit, AppError> {
        OwnedMutexGuard::try_map(self.0.clone().lock_owned().await, Option::as_mut)
            .map(Unit)
            .map_err(|_| AppError::Internal("the request's unit is gone".into()))
    }
}

/// Paths that touch no data: static files and the probes need no unit.
pub fn needs_no_unit(path: &str) -> bool {
    path.starts_with("/static/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
}

/// Opens the request's unit, runs the request, and finishes the unit.
pub async fn open(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if needs_no_unit(req.uri().path()) {
        return next.run(req).await;
    }
    let meta = crate::auth::request_meta_of(&req);
    let unit = tsunagu_store::Unit::new(state.db.clone(), meta, state.config.database_wait);
    let shared = Shared(Arc::new(Mutex::new(Some(unit))));
    req.extensions_mut().insert(shared.clone());
    let mut response = next.run(req).await;
    let unit = shared.0.lock().await.take();
    if let Some(unit) = unit {
        if let Err(e) = unit.finish().await {
            response = AppError::from(e).into_response();
        }
    }
    state.metrics.count_unavailable(&response);
    response
}

/// The request's unit, for a handler: `&mut u` goes wherever the store takes a `&mut Unit`.
pub struct Unit(OwnedMappedMutexGuard<Option<tsunagu_store::Unit>, tsunagu_store::Unit>);

impl Deref for Unit {
    type Target = tsunagu_store::Unit;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Unit {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Unit {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let shared = parts
            .extensions
            .get::<Shared>()
            .cloned()
            .ok_or_else(|| AppError::Internal("no request unit on this route".into()))?;
        shared.lock().await
    }
}

/// For a handler that works on the pool itself (the administrator's screens, the login): the
/// request's read snapshot, begun by authentication, is released first, so the request never
/// holds two connections at once. Its trail is still written at the end.
pub struct Pooled;

impl<S: Send + Sync> FromRequestParts<S> for Pooled {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut u = Unit::from_request_parts(parts, state).await?;
        u.release().await?;
        Ok(Pooled)
    }
}

impl<'a> From<&'a mut Unit> for tsunagu_store::db::On<'a> {
    fn from(u: &'a mut Unit) -> Self {
        tsunagu_store::db::On::Unit(&mut u.0)
    }
}

impl<'a> From<&'a mut Unit> for tsunagu_store::db::Exec<'a> {
    fn from(u: &'a mut Unit) -> Self {
        tsunagu_store::db::Exec::Unit(&mut u.0)
    }
}
