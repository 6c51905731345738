#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! The idempotency middleware against a mocked store: what it claims, replays, stores and
//! releases, including the cases the end-to-end tests cannot provoke (oversized and streamed
//! responses, a panicking handler, a store outage).

use actix_web::body::{BodyStream, MessageBody};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{test, web, App, HttpResponse};
use presale_domain::idempotency::{
    Claim, ClaimId, IdempotencyKey, MockIdempotencyRepository, StoredResponse,
};
use presale_domain::store::Ports;
use presale_domain::RepositoryError;
use presale_http_actix::{AppState, HttpOptions, Idempotency, MAX_STORED_RESPONSE_BYTES};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

static EXECUTED: AtomicUsize = AtomicUsize::new(0);

fn big() -> usize {
    usize::try_from(MAX_STORED_RESPONSE_BYTES).unwrap() + 1
}

async fn panics() -> HttpResponse {
    panic!("handler panicked")
}

/// The app's state: every token is valid (token id 1), nothing else is asked for.
fn state() -> web::Data<AppState> {
    use presale_domain::access::{EventScope, PermissionSet, Team};
    use presale_domain::ids::OrganizerId;
    use presale_domain::ids::{TeamId, TokenId};
    use presale_domain::team::{ApiToken, MockTokenRepository};
    let mut tokens = MockTokenRepository::new();
    tokens.expect_find_by_hash().returning(|_| {
        let team = Team {
            id: TeamId(1),
            organizer: OrganizerId(1),
            name: "Admins".into(),
            permissions: PermissionSet::all(),
            events: EventScope::All,
        };
        let token = ApiToken {
            id: TokenId(1),
            team: TeamId(1),
            name: "t".into(),
            active: true,
        };
        Ok(Some((token, team)))
    });
    web::Data::new(AppState::new(
        Arc::new(Ports {
            tokens: Arc::new(tokens),
            ..Ports::unexpected()
        }),
        HttpOptions::default(),
    ))
}

/// The idempotency key of the test requests: token 1's key `k`.
fn key_k() -> IdempotencyKey {
    IdempotencyKey::new(b"token:1", b"k").unwrap()
}

/// The app with the middleware on `store`, and routes that count their executions, answer
/// more than the size bound, stream, or panic.
macro_rules! app {
    ($store:expr) => {
        test::init_service(
            App::new()
                .app_data(state())
                .wrap(Idempotency::new(Arc::new($store)))
                .route(
                    "/api/v1/created/",
                    web::post().to(|| async {
                        EXECUTED.fetch_add(1, Ordering::SeqCst);
                        HttpResponse::Created()
                            .insert_header(("location", "/x/1/"))
                            .content_type("application/json")
                            .body(r#"{"id":1}"#)
                    }),
                )
                .route(
                    "/api/v1/big/",
                    web::post().to(|| async { HttpResponse::Ok().body(vec![b'x'; big()]) }),
                )
                .route(
                    "/api/v1/stream/",
                    web::post().to(|| async {
                        let chunks = futures_util::stream::iter([Ok::<_, Infallible>(
                            Bytes::from_static(b"streamed"),
                        )]);
                        HttpResponse::Ok().body(BodyStream::new(chunks))
                    }),
                )
                .route("/api/v1/panic/", web::post().to(panics)),
        )
        .await
    };
}

fn post(path: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri(path)
        .insert_header(("Authorization", "Token abc"))
        .insert_header(("X-Idempotency-Key", "k"))
}

fn claims(store: &mut MockIdempotencyRepository, claim: Claim) {
    store
        .expect_claim()
        .withf(|key, method, path, _, _| {
            *key == key_k() && method == "POST" && path.starts_with("/api/v1/")
        })
        .times(1)
        .returning(move |_, _, _, _, _| Ok(claim.clone()));
    store.expect_purge_expired().returning(|_| Ok(0));
}

async fn body_of(resp: ServiceResponse) -> (StatusCode, Bytes) {
    let status = resp.status();
    (status, test::read_body(resp).await)
}

#[actix_web::test]
async fn a_claimed_request_is_stored_with_status_headers_and_body() {
    let mut store = MockIdempotencyRepository::new();
    claims(&mut store, Claim::Claimed(ClaimId(3)));
    store
        .expect_complete()
        .withf(|claim, r| {
            let mut headers = r.headers.clone();
            headers.sort();
            *claim == ClaimId(3)
                && r.status == 201
                && r.body == br#"{"id":1}"#
                && headers
                    == [
                        ("content-type".to_owned(), "application/json".to_owned()),
                        ("location".to_owned(), "/x/1/".to_owned()),
                    ]
        })
        .times(1)
        .returning(|_, _| Ok(()));
    store.expect_release().never();
    let app = app!(store);
    let resp = test::call_service(&app, post("/api/v1/created/").to_request()).await;
    assert_eq!(
        body_of(resp).await,
        (StatusCode::CREATED, Bytes::from_static(br#"{"id":1}"#))
    );
}

#[actix_web::test]
async fn a_stored_response_is_replayed_without_executing() {
    let mut store = MockIdempotencyRepository::new();
    claims(
        &mut store,
        Claim::Completed(StoredResponse {
            status: 201,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-twice".into(), "a".into()),
                ("x-twice".into(), "b".into()),
            ],
            body: b"stored".to_vec(),
        }),
    );
    let app = app!(store);
    let before = EXECUTED.load(Ordering::SeqCst);
    let resp = test::call_service(&app, post("/api/v1/created/").to_request()).await;
    let twice: Vec<_> = resp.headers().get_all("x-twice").collect();
    assert_eq!(twice, ["a", "b"]);
    assert_eq!(
        body_of(resp).await,
        (StatusCode::CREATED, Bytes::from_static(b"stored"))
    );
    assert_eq!(EXECUTED.load(Ordering::SeqCst), before);
}

#[actix_web::test]
async fn a_request_in_flight_is_a_409_with_retry_after() {
    let mut store = MockIdempotencyRepository::new();
    claims(&mut store, Claim::InFlight);
    let app = app!(store);
    let resp = test::call_service(&app, post("/api/v1/created/").to_request()).await;
    assert_eq!(resp.headers().get("retry-after").unwrap(), "5");
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        body_of(resp).await,
        (
            StatusCode::CONFLICT,
            Bytes::from_static(br#"{"detail": "Concurrent request with idempotency key."}"#)
        )
    );
}

#[actix_web::test]
async fn oversized_and_streamed_responses_are_answered_but_not_stored() {
    let mut store = MockIdempotencyRepository::new();
    store
        .expect_claim()
        .times(2)
        .returning(|_, _, _, _, _| Ok(Claim::Claimed(ClaimId(5))));
    store.expect_purge_expired().returning(|_| Ok(0));
    store.expect_complete().never();
    store
        .expect_release()
        .withf(|c| *c == ClaimId(5))
        .times(2)
        .returning(|_| Ok(()));
    let app = app!(store);
    let resp = test::call_service(&app, post("/api/v1/big/").to_request()).await;
    let (status, body) = body_of(resp).await;
    assert_eq!((status, body.len()), (StatusCode::OK, big()));
    let resp = test::call_service(&app, post("/api/v1/stream/").to_request()).await;
    assert!(matches!(
        resp.response().body().size(),
        actix_web::body::BodySize::Stream
    ));
    assert_eq!(
        body_of(resp).await,
        (StatusCode::OK, Bytes::from_static(b"streamed"))
    );
}

#[actix_web::test]
async fn a_panicking_handler_releases_its_claim() {
    let mut store = MockIdempotencyRepository::new();
    claims(&mut store, Claim::Claimed(ClaimId(9)));
    store.expect_complete().never();
    store
        .expect_release()
        .withf(|c| *c == ClaimId(9))
        .times(1)
        .returning(|_| Ok(()));
    let app = app!(store);
    let result = app.call(post("/api/v1/panic/").to_request()).await;
    let Err(error) = result else {
        panic!("expected an error")
    };
    assert_eq!(
        error.as_response_error().status_code(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // The release runs in a task of its own.
    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
}

#[actix_web::test]
async fn a_store_outage_is_a_503_and_nothing_executes() {
    let mut store = MockIdempotencyRepository::new();
    store
        .expect_claim()
        .returning(|_, _, _, _, _| Err(RepositoryError::Unavailable("down".into())));
    let app = app!(store);
    let before = EXECUTED.load(Ordering::SeqCst);
    let resp = test::call_service(&app, post("/api/v1/created/").to_request()).await;
    assert_eq!(resp.headers().get("retry-after").unwrap(), "5");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(EXECUTED.load(Ordering::SeqCst), before);
}

#[actix_web::test]
async fn reads_and_requests_without_credential_or_key_are_not_tracked() {
    let mut store = MockIdempotencyRepository::new();
    store.expect_claim().never();
    let app = app!(store);
    let untracked = [
        test::TestRequest::get()
            .uri("/api/v1/created/")
            .insert_header(("Authorization", "Token abc"))
            .insert_header(("X-Idempotency-Key", "k")),
        test::TestRequest::post()
            .uri("/api/v1/created/")
            .insert_header(("X-Idempotency-Key", "k")),
        test::TestRequest::post()
            .uri("/api/v1/created/")
            .insert_header(("Authorization", "Token abc")),
        test::TestRequest::post()
            .uri("/api/v1/created/")
            .insert_header(("Authorization", "Token abc"))
            .insert_header(("X-Idempotency-Key", "")),
    ];
    for req in untracked {
        let resp = test::call_service(&app, req.to_request()).await;
        assert_ne!(resp.status(), StatusCode::CONFLICT);
    }
}
