#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! Handler tests against mocked ports: no database, the real routes and error mapping.

use actix_web::{test, web, App};
use presale_domain::access::{EventScope, PermissionSet, Team};
use presale_domain::ids::OrganizerId;
use presale_domain::ids::{TeamId, TokenId};
use presale_domain::organizer::{MockOrganizerRepository, Organizer};
use presale_domain::pagination::Page;
use presale_domain::store::Ports;
use presale_domain::team::{ApiToken, MockTeamRepository, MockTokenRepository};
use presale_domain::values::Slug;
use presale_domain::RepositoryError;
use presale_http_actix::{configure, AppState};
use serde_json::{json, Value};
use std::sync::Arc;

fn team() -> Team {
    Team {
        id: TeamId(1),
        organizer: OrganizerId(1),
        name: "Admins".into(),
        permissions: PermissionSet::all(),
        events: EventScope::All,
    }
}

fn tokens_accepting_any() -> MockTokenRepository {
    let mut tokens = MockTokenRepository::new();
    tokens.expect_find_by_hash().returning(|_| {
        Ok(Some((
            ApiToken {
                id: TokenId(1),
                team: TeamId(1),
                name: "t".into(),
                active: true,
            },
            team(),
        )))
    });
    tokens
}

fn organizer() -> Organizer {
    Organizer {
        id: OrganizerId(1),
        slug: Slug::parse("bigevents").unwrap(),
        name: "Big Events".into(),
        plugins: vec![],
    }
}

async fn call(
    organizers: MockOrganizerRepository,
    teams: MockTeamRepository,
    path: &str,
) -> (u16, Value) {
    let state = AppState::new(
        Arc::new(Ports {
            organizers: Arc::new(organizers),
            tokens: Arc::new(tokens_accepting_any()),
            teams: Arc::new(teams),
            ..Ports::unexpected()
        }),
        presale_http_actix::HttpOptions {
            base_url: Some("https://pretix.example".into()),
            ..Default::default()
        },
    );
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .configure(configure),
    )
    .await;
    let req = test::TestRequest::get()
        .uri(path)
        .insert_header(("Authorization", "Token abc"))
        .to_request();
    let resp = test::call_service(&app, req).await;
    let status = resp.status().as_u16();
    let body = test::read_body(resp).await;
    (status, serde_json::from_slice(&body).unwrap())
}

#[actix_web::test]
async fn empty_list_has_page_one_and_no_other() {
    let mut organizers = MockOrganizerRepository::new();
    organizers.expect_list().returning(|_, _| {
        Ok(Page {
            total: 0,
            items: vec![],
        })
    });
    let (status, body) = call(organizers, MockTeamRepository::new(), "/api/v1/organizers/").await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"count": 0, "next": null, "previous": null, "results": []})
        )
    );

    let mut organizers = MockOrganizerRepository::new();
    organizers.expect_list().returning(|_, _| {
        Ok(Page {
            total: 0,
            items: vec![],
        })
    });
    let (status, body) = call(
        organizers,
        MockTeamRepository::new(),
        "/api/v1/organizers/?page=2",
    )
    .await;
    assert_eq!((status, body), (404, json!({"detail": "Invalid page."})));
}

#[actix_web::test]
async fn page_last_of_empty_list_is_page_one() {
    let mut organizers = MockOrganizerRepository::new();
    organizers.expect_list().returning(|_, _| {
        Ok(Page {
            total: 0,
            items: vec![],
        })
    });
    let (status, body) = call(
        organizers,
        MockTeamRepository::new(),
        "/api/v1/organizers/?page=last",
    )
    .await;
    assert_eq!(
        (status, body["count"].clone(), body["results"].clone()),
        (200, json!(0), json!([]))
    );
}

#[actix_web::test]
async fn storage_outage_is_503_and_internal_errors_are_500_without_details() {
    let mut organizers = MockOrganizerRepository::new();
    organizers
        .expect_find_by_slug()
        .returning(|_| Ok(Some(organizer())));
    let mut teams = MockTeamRepository::new();
    teams
        .expect_list()
        .returning(|_, _| Err(RepositoryError::Unavailable("connection refused".into())));
    let (status, body) = call(organizers, teams, "/api/v1/organizers/bigevents/teams/").await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"detail": "The database is unavailable. Please try again later."})
        )
    );

    let mut organizers = MockOrganizerRepository::new();
    organizers
        .expect_find_by_slug()
        .returning(|_| Ok(Some(organizer())));
    let mut teams = MockTeamRepository::new();
    teams
        .expect_list()
        .returning(|_, _| Err(RepositoryError::Internal("syntax error at SELECT".into())));
    let (status, body) = call(organizers, teams, "/api/v1/organizers/bigevents/teams/").await;
    assert_eq!(
        (status, body),
        (500, json!({"detail": "Internal server error."}))
    );
}

#[actix_web::test]
async fn configured_base_url_is_used_for_links() {
    let mut organizers = MockOrganizerRepository::new();
    organizers.expect_list().returning(|_, w| {
        Ok(Page {
            total: 120,
            items: if w.offset == 50 {
                vec![organizer()]
            } else {
                vec![]
            },
        })
    });
    let (status, body) = call(
        organizers,
        MockTeamRepository::new(),
        "/api/v1/organizers/?page=2",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["next"],
        json!("https://pretix.example/api/v1/organizers/?page=3")
    );
    assert_eq!(
        body["previous"],
        json!("https://pretix.example/api/v1/organizers/")
    );
    assert_eq!(
        body["results"][0]["public_url"],
        json!("https://pretix.example/bigevents/")
    );
}
