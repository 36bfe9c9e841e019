//! The web layer: the Japanese screens, the JSON API under `/api/v1/`, and the HTTP plumbing
//! (sessions, CSRF, security headers, request ids, error pages). Handlers are thin: they parse,
//! call the store, and render. No SQL here.

mod account;
mod agencies;
mod api;
mod areas;
mod assets;
mod audit;
mod auth;
mod capacity;
mod challenges;
mod children;
mod committee;
mod councils;
mod drafts;
mod error;
mod evaluation;
mod extract;
mod handovers;
mod home;
mod http;
mod layout;
mod meetings;
pub mod metrics;
mod network;
mod people;
mod plans;
mod printing;
mod referrals;
mod routing;
mod search;
mod state;
mod support_files;
mod tokens;
mod transitions;
mod unit;
mod users;
mod versions;

use axum::{middleware, Router};

use crate::routing::Router as Routes;

pub use error::AppError;
pub use evaluation::count_ahead as count_evaluation_ahead;
pub use state::{AppState, WebConfig};

/// Every route of the application, registered once: the server's router and the list of its
/// paths are made from this.
fn routes() -> Routes<AppState> {
    let admin = Routes::new()
        .merge(users::html::router())
        .merge(account::second_factor::admin_router())
        .merge(tokens::html::router())
        .merge(areas::html::admin_router())
        .merge(audit::html::router())
        .merge(agencies::kinds::admin_router())
        .merge(children::categories::admin_router())
        .merge(users::api::router())
        .merge(audit::api::router())
        .route_layer(middleware::from_fn(auth::require_admin));

    Routes::new()
        .merge(home::router())
        .merge(account::router())
        .merge(api::router())
        .merge(areas::api::router())
        .merge(agencies::html::router())
        .merge(agencies::api::router())
        .merge(councils::html::router())
        .merge(children::html::router())
        .merge(children::consents::router())
        .merge(children::team::router())
        .merge(children::timeline::router())
        .merge(children::consultations::router())
        .merge(children::api::router())
        .merge(children::attachments::router())
        .merge(referrals::router())
        .merge(search::router())
        .merge(meetings::router())
        .merge(plans::router())
        .merge(network::router())
        .merge(transitions::router())
        .merge(handovers::router())
        .merge(support_files::router())
        .merge(evaluation::router())
        .merge(capacity::router())
        .merge(challenges::router())
        .merge(committee::router())
        .merge(children::notes::router())
        .merge(drafts::router())
        .merge(account::notifications::router())
        .merge(children::quick_note::router())
        .merge(people::router())
        .merge(admin)
        .merge(assets::router())
        .merge(http::probes())
        .route("/metrics", axum::routing::get(metrics::endpoint))
}

/// The path of every route the server answers (`/children/{id}`, …), in registration order:
/// for the tests that must reach every route.
pub fn route_paths() -> Vec<&'static str> {
    routes().paths().to_vec()
}

/// The whole application: every route, with the middleware every request passes through.
pub fn router(state: AppState) -> Router {
    routes()
        .into_axum()
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .fallback(http::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::csrf_guard,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), unit::open))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::client_address,
        ))
        .layer(middleware::from_fn(error::render_errors))
        .layer(middleware::from_fn(http::security_headers))
        .layer(axum::extract::DefaultBodyLimit::max(http::BODY_LIMIT))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(http::request_span)
                .on_request(())
                .on_response(http::log_response),
        )
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            http::MakeRequestId,
        ))
        .layer(middleware::from_fn(http::screen_request_id))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .with_state(state)
}
