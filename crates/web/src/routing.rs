//! The router as a list: every route is registered here once, so the paths the server answers
//! can be listed ([`crate::route_paths`]) for the tests that must reach every one of them (the
//! consent sweep fails when a route that names a child is missing from it).

use std::convert::Infallible;

use axum::{
    extract::Request,
    response::IntoResponse,
    routing::{MethodRouter, Route},
};
use tower::{Layer, Service};

/// An `axum::Router` that remembers its paths.
pub struct Router<S> {
    inner: axum::Router<S>,
    paths: Vec<&'static str>,
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Router {
            inner: axum::Router::new(),
            paths: Vec::new(),
        }
    }

    pub fn route(mut self, path: &'static str, method_router: MethodRouter<S>) -> Self {
        self.paths.push(path);
        self.inner = self.inner.route(path, method_router);
        self
    }

    pub fn merge(mut self, other: Router<S>) -> Self {
        self.paths.extend(other.paths);
        self.inner = self.inner.merge(other.inner);
        self
    }

    /// A layer over this router's routes (a body limit, say).
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.inner = self.inner.layer(layer);
        self
    }

    /// A layer run only for requests that matched one of this router's routes.
    pub fn route_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.inner = self.inner.route_layer(layer);
        self
    }

    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }

    pub fn into_axum(self) -> axum::Router<S> {
        self.inner
    }
}
