//! Pagination edges (docs/api-compatibility.md) on the teams list, over HTTP, on both backends.

use presale::admin::EventSelection;
use presale_domain::access::PermissionSet;
use presale_tests::{both_backends, texts, TestApp};
use serde_json::{json, Value};

both_backends!(
    single_page_has_no_links,
    exact_multiple_of_fifty_has_no_empty_last_page,
    page_size_is_honoured_and_clamped,
    page_last_and_out_of_range,
    following_next_yields_every_object_once,
    links_keep_other_parameters,
);

const PATH: &str = "/api/v1/organizers/bigevents/teams/";

/// The organizer with `n` teams in all (the token's own team included); returns the token.
async fn with_teams(app: &TestApp, n: usize) -> String {
    let token = app.organizer_with_token("bigevents").await;
    for i in 1..n {
        app.team(
            "bigevents",
            &format!("team {i:03}"),
            PermissionSet::none(),
            EventSelection::All,
        )
        .await;
    }
    token
}

fn names(page: &Value) -> Vec<String> {
    texts(page, "/name")
}

async fn single_page_has_no_links(app: TestApp) {
    let token = with_teams(&app, 3).await;
    let page = app.get(PATH, &token).await.json();
    assert_eq!(page["count"], json!(3));
    assert_eq!(page["next"], Value::Null);
    assert_eq!(page["previous"], Value::Null);
    assert_eq!(names(&page), ["Admins", "team 001", "team 002"]);
}

async fn exact_multiple_of_fifty_has_no_empty_last_page(app: TestApp) {
    let token = with_teams(&app, 100).await;
    let first = app.get(PATH, &token).await.json();
    assert_eq!(first["count"], json!(100));
    assert_eq!(first["next"], json!(app.url(&format!("{PATH}?page=2"))));
    assert_eq!(names(&first).len(), 50);
    let second = app.get(&format!("{PATH}?page=2"), &token).await.json();
    assert_eq!(second["next"], Value::Null);
    assert_eq!(second["previous"], json!(app.url(PATH)));
    assert_eq!(names(&second).len(), 50);
    assert_eq!(names(&second)[49], "team 099");
    let third = app.get(&format!("{PATH}?page=3"), &token).await;
    assert_eq!(
        (third.status, third.text()),
        (404, r#"{"detail":"Invalid page."}"#.to_owned())
    );
}

async fn page_size_is_honoured_and_clamped(app: TestApp) {
    let token = with_teams(&app, 60).await;
    let small = app
        .get(&format!("{PATH}?page_size=7&page=2"), &token)
        .await
        .json();
    assert_eq!(
        names(&small),
        (7..14).map(|i| format!("team {i:03}")).collect::<Vec<_>>()
    );
    assert_eq!(
        small["next"],
        json!(app.url(&format!("{PATH}?page=3&page_size=7")))
    );
    assert_eq!(
        small["previous"],
        json!(app.url(&format!("{PATH}?page_size=7")))
    );
    for ignored in ["500", "0", "-3", "abc"] {
        let page = app
            .get(&format!("{PATH}?page_size={ignored}"), &token)
            .await
            .json();
        assert_eq!(names(&page).len(), 50, "page_size={ignored}");
        assert_eq!(page["count"], json!(60));
    }
}

async fn page_last_and_out_of_range(app: TestApp) {
    let token = with_teams(&app, 120).await;
    let last = app.get(&format!("{PATH}?page=last"), &token).await;
    assert_eq!(last.status, 200);
    let last = last.json();
    assert_eq!(names(&last).len(), 20);
    assert_eq!(last["next"], Value::Null);
    assert_eq!(last["previous"], json!(app.url(&format!("{PATH}?page=2"))));
    let last_small = app
        .get(&format!("{PATH}?page=last&page_size=50"), &token)
        .await
        .json();
    assert_eq!(names(&last_small), names(&last));
    for bad in ["0", "4", "-1", "abc", "1.5", ""] {
        let resp = app.get(&format!("{PATH}?page={bad}"), &token).await;
        assert_eq!(
            (resp.status, resp.text()),
            (404, r#"{"detail":"Invalid page."}"#.to_owned()),
            "page={bad}"
        );
    }
}

async fn following_next_yields_every_object_once(app: TestApp) {
    let token = with_teams(&app, 73).await;
    let mut url = Some(format!("{PATH}?page_size=10"));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(next) = url {
        let path = next.strip_prefix(&app.address).unwrap_or(&next).to_owned();
        let page = app.get(&path, &token).await.json();
        assert_eq!(page["count"], json!(73));
        seen.extend(
            page["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|t| t["id"].clone()),
        );
        url = page["next"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(pages, 8);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(seen.len(), 73);
    assert_eq!(unique.len(), 73);
}

async fn links_keep_other_parameters(app: TestApp) {
    let token = with_teams(&app, 60).await;
    let page = app
        .get(&format!("{PATH}?zeta=1&alpha=a+b&page=1"), &token)
        .await
        .json();
    assert_eq!(
        page["next"],
        json!(app.url(&format!("{PATH}?alpha=a+b&page=2&zeta=1")))
    );
    let page = app
        .get(&format!("{PATH}?zeta=1&alpha=a+b&page=2"), &token)
        .await
        .json();
    assert_eq!(
        page["previous"],
        json!(app.url(&format!("{PATH}?alpha=a+b&zeta=1")))
    );
}
