#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! Presale as a pretix stand-in in other projects' CI, as those projects run it: the built
//! binary started with `serve --ephemeral --seed docs/examples/ci-seed.yaml`, the fixed
//! tokens of the fixture used against every resource, refused fixtures, idempotent seeding
//! and the export → seed round trip, on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL.

mod common;

use common::{presale, stderr};

use presale_storage_diesel::testdb::{PostgresTestDatabase, TestDatabase};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "Token ci-admin-token-0000000000000001";
const CHECKIN: &str = "Token ci-checkin-token-000000000000001";
const RETIRED: &str = "Token ci-retired-token-00000000000001";
const DEVICE: &str = "Device ci-device-token-0000000000000001";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/ci-seed.yaml")
}

fn seed(db_url: &str, file: &Path) {
    let o = presale(db_url, &["seed", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!("seeded 1 organizer from {}\n", file.display())
    );
}

fn export(db_url: &str, organizer: &str) -> Value {
    let o = presale(db_url, &["export", organizer]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "presale-seed-test-{name}-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A response: status and body.
struct Response {
    status: u16,
    body: String,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    out
}

fn request(
    addr: &str,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Response {
        status,
        body: if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        },
    }
}

fn get(addr: &str, path: &str, auth: &str) -> Response {
    request(addr, "GET", path, Some(auth), None)
}

/// `GET` that must answer 200; the JSON body.
fn ok(addr: &str, path: &str, auth: &str) -> Value {
    let r = get(addr, path, auth);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.json()
}

fn results(addr: &str, path: &str, auth: &str) -> Vec<Value> {
    ok(addr, path, auth)["results"].as_array().unwrap().clone()
}

/// The temporary directories of `serve --ephemeral` started by process `pid`.
fn ephemeral_dirs(pid: u32) -> Vec<PathBuf> {
    let prefix = format!("presale-ephemeral-{pid}-");
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// `presale serve --ephemeral --seed <file>` on a free port; the child and its address.
fn serve_ephemeral(file: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_presale"))
        .args(["serve", "--ephemeral", "--bind", "127.0.0.1:0", "--seed"])
        .arg(file)
        .env_remove("PRESALE_DATABASE_URL")
        .env_remove("PRESALE_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        format!("seeded 1 organizer from {}", file.display())
    );
    let url = listening_address(lines);
    (child, url)
}

/// The address of the server's "Presale is listening" line, the next of `lines`; the rest of
/// its stderr is read on (so that the server never blocks on a full pipe).
fn listening_address(
    mut lines: impl Iterator<Item = std::io::Result<String>> + Send + 'static,
) -> String {
    let listening = lines.next().unwrap().unwrap();
    let url = listening
        .strip_prefix("Presale is listening on http://")
        .unwrap_or_else(|| panic!("{listening}"))
        .to_owned();
    std::thread::spawn(move || for _ in lines {});
    url
}

fn stop(child: &mut Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            return;
        }
        assert!(Instant::now() < deadline, "server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn without(mut v: Value, keys: &[&str]) -> Value {
    if let Value::Object(m) = &mut v {
        for k in keys {
            m.remove(*k);
        }
    }
    v
}

#[test]
fn seeded_ephemeral_server_serves_every_resource_with_the_fixed_tokens() {
    let (mut child, addr) = serve_ephemeral(&example());
    let pid = child.id();
    assert_eq!(ephemeral_dirs(pid).len(), 1);
    assert_eq!(request(&addr, "GET", "/readyz", None, None).status, 200);
    let o = "/api/v1/organizers/acme";

    assert_eq!(
        ok(&addr, "/api/v1/organizers/", ADMIN),
        json!({"count": 1, "next": null, "previous": null, "results": [{
            "name": "ACME Events", "slug": "acme", "public_url": format!("http://{addr}/acme/"),
            "plugins": ["pretix.plugins.banktransfer"]}]})
    );
    let teams = results(&addr, &format!("{o}/teams/"), ADMIN);
    let mut checkin =
        json!({"name": "Check-in", "all_events": false, "limit_events": ["conf2030"]});
    for p in [
        "can_create_events",
        "can_change_teams",
        "can_change_organizer_settings",
        "can_manage_gift_cards",
        "can_change_event_settings",
        "can_change_items",
        "can_view_orders",
        "can_change_orders",
        "can_view_vouchers",
        "can_change_vouchers",
        "can_checkin_orders",
        "can_manage_customers",
        "can_manage_reusable_media",
    ] {
        checkin[p] = json!(matches!(p, "can_view_orders" | "can_checkin_orders"));
    }
    assert_eq!(teams.len(), 2);
    assert_eq!(without(teams[1].clone(), &["id"]), checkin);
    assert_eq!(teams[0]["name"], "Administrators");
    assert_eq!(teams[0]["can_manage_reusable_media"], true);
    let tokens = results(
        &addr,
        &format!("{o}/teams/{}/tokens/", teams[1]["id"]),
        ADMIN,
    );
    let tokens: Vec<Value> = tokens.into_iter().map(|t| without(t, &["id"])).collect();
    assert_eq!(
        tokens,
        [
            json!({"name": "ci-checkin", "active": true}),
            json!({"name": "retired", "active": false})
        ]
    );

    assert_eq!(
        results(&addr, &format!("{o}/meta_properties/"), ADMIN),
        [
            json!({"id": 1, "name": "type", "default": "conference", "required": false,
                   "allowed_values": ["conference", "workshop"], "protected": false, "filter_allowed": true}),
            json!({"id": 2, "name": "region", "default": "", "required": false,
                   "allowed_values": null, "protected": false, "filter_allowed": true}),
        ]
    );
    assert_eq!(
        results(&addr, &format!("{o}/saleschannels/"), ADMIN),
        [
            json!({"identifier": "web", "label": {"en": "Online shop"}, "type": "web", "position": 0}),
            json!({"identifier": "api.kiosk", "label": {"en": "Kiosk", "de": "Kiosk"}, "type": "api", "position": 1}),
        ]
    );

    let events = results(&addr, &format!("{o}/events/"), ADMIN);
    let slugs: Vec<&Value> = events.iter().map(|e| &e["slug"]).collect();
    assert_eq!(slugs, ["conf2030", "workshops"]);
    let conf = ok(&addr, &format!("{o}/events/conf2030/"), ADMIN);
    assert!(conf["valid_keys"]["pretix_sig1"][0].is_string());
    assert_eq!(
        without(conf, &["valid_keys"]),
        json!({
            "name": {"en": "ACME Conference 2030", "de": "ACME Konferenz 2030"},
            "slug": "conf2030", "live": true, "testmode": false, "currency": "EUR",
            "date_from": "2030-06-01T07:00:00Z", "date_to": "2030-06-02T16:00:00Z",
            "date_admission": "2030-06-01T06:30:00Z", "is_public": true,
            "presale_start": "2030-01-01T00:00:00Z", "presale_end": null,
            "location": {"en": "Berlin"}, "geo_lat": 52.52, "geo_lon": 13.405,
            "has_subevents": false, "meta_data": {"region": "eu", "type": "conference"},
            "seating_plan": null,
            "plugins": ["pretix.plugins.banktransfer", "pretix.plugins.sendmail"],
            "seat_category_mapping": {}, "timezone": "Europe/Berlin",
            "item_meta_properties": {"colour": ""}, "all_sales_channels": false,
            "limit_sales_channels": ["api.kiosk", "web"],
            "public_url": format!("http://{addr}/acme/conf2030/"),
            "sales_channels": ["api.kiosk", "web"],
        })
    );
    let workshops = ok(&addr, &format!("{o}/events/workshops/"), ADMIN);
    assert_eq!(workshops["has_subevents"], true);
    assert_eq!(workshops["live"], false);
    assert_eq!(workshops["timezone"], "Europe/Berlin");

    let settings = ok(&addr, &format!("{o}/events/conf2030/settings/"), ADMIN);
    assert_eq!(
        settings["imprint_url"],
        json!({"en": "https://acme.example/imprint"})
    );
    assert_eq!(settings["max_items_per_order"], 5);
    assert_eq!(settings["locales"], json!(["en", "de"]));
    assert_eq!(settings["contact_mail"], "tickets@acme.example");
    let org_settings = ok(&addr, &format!("{o}/settings/"), ADMIN);
    assert_eq!(org_settings["timezone"], "Europe/Berlin");

    let e = format!("{o}/events/conf2030");
    assert_eq!(
        results(&addr, &format!("{e}/items/"), ADMIN),
        [
            json!({"id": 101, "name": {"en": "Regular ticket"}, "default_price": "120.00", "active": true,
                   "description": null, "category": null, "admission": true, "position": 0,
                   "has_variations": false, "variations": []}),
            json!({"id": 102, "name": {"en": "T-shirt"}, "default_price": "25.00", "active": true,
                   "description": {"en": "Organic cotton"}, "category": null, "admission": false,
                   "position": 1, "has_variations": true, "variations": [
                       {"id": 201, "value": {"en": "S"}, "default_price": null, "active": true, "position": 0},
                       {"id": 202, "value": {"en": "M"}, "default_price": "27.00", "active": true, "position": 1}]}),
        ]
    );
    assert_eq!(
        ok(&addr, &format!("{e}/items/102/variations/202/"), ADMIN),
        json!({"id": 202, "value": {"en": "M"}, "default_price": "27.00", "active": true, "position": 1})
    );
    assert_eq!(
        results(&addr, &format!("{e}/quotas/"), ADMIN),
        [
            json!({"id": 301, "name": "Tickets", "size": 500, "items": [101], "variations": [], "subevent": null}),
            json!({"id": 302, "name": "Shirts", "size": 100, "items": [102], "variations": [201, 202], "subevent": null}),
        ]
    );
    assert_eq!(
        results(&addr, &format!("{e}/digitalcontents/"), ADMIN),
        [
            json!({"id": 401, "subevent": null, "title": {"en": "Livestream"}, "content_type": "livestream",
                "url": "https://stream.acme.example/conf2030", "description": {"en": "Watch the **main stage**."},
                "all_products": false, "limit_products": [101], "available_from": "2030-06-01T06:00:00Z",
                "available_until": "2030-06-02T18:00:00Z", "position": 0})
        ]
    );
    let secrets: Vec<Value> = results(&addr, &format!("{e}/imported_secrets/"), ADMIN)
        .into_iter()
        .map(|s| without(s, &["id"]))
        .collect();
    assert_eq!(
        secrets,
        [
            json!({"secret": "CONF-0001", "used": false, "item": 101, "variation": null, "subevent": null}),
            json!({"secret": "CONF-0002", "used": true, "item": 101, "variation": null, "subevent": null}),
            json!({"secret": "SHIRT-S-0001", "used": false, "item": 102, "variation": 201, "subevent": null}),
        ]
    );
    let w = format!("{o}/events/workshops");
    assert_eq!(
        results(&addr, &format!("{w}/subevents/"), ADMIN),
        [
            json!({"id": 501, "name": {"en": "Workshop 1"}, "event": "workshops", "active": true,
                   "date_from": "2030-09-01T08:00:00Z", "date_to": "2030-09-01T14:00:00Z",
                   "presale_start": null, "presale_end": null, "location": {"en": "Room A"}}),
            json!({"id": 502, "name": {"en": "Workshop 2"}, "event": "workshops", "active": true,
                   "date_from": "2030-09-08T08:00:00Z", "date_to": null,
                   "presale_start": null, "presale_end": null, "location": null}),
        ]
    );
    let quotas = results(&addr, &format!("{w}/quotas/"), ADMIN);
    assert_eq!(
        quotas[1],
        json!({"id": 312, "name": "Seats W2", "size": 20, "items": [111], "variations": [], "subevent": 502})
    );
    assert_eq!(
        results(&addr, &format!("{w}/digitalcontents/"), ADMIN)[0]["subevent"],
        501
    );
    assert_eq!(
        results(&addr, &format!("{w}/imported_secrets/"), ADMIN)[0]["subevent"],
        501
    );

    let devices: Vec<Value> = results(&addr, &format!("{o}/devices/"), ADMIN)
        .into_iter()
        .map(|d| without(d, &["created", "initialized"]))
        .collect();
    assert_eq!(
        devices[0],
        json!({"device_id": 1, "unique_serial": "CISCANNER0000001", "initialization_token": "ci-scanner-init-0001",
               "all_events": false, "limit_events": ["conf2030"], "revoked": false, "name": "Entrance scanner",
               "hardware_brand": "Zebra", "hardware_model": "TC21", "os_name": null, "os_version": null,
               "software_brand": "pretixSCAN", "software_version": "1.20.0", "security_profile": "pretixscan"})
    );
    assert_eq!(devices[1]["initialization_token"], "ci-boxoffice-init-01");

    // The device's fixed token: the device API, and the events it is limited to.
    assert_eq!(
        ok(&addr, "/api/v1/device/info", DEVICE)["device"],
        json!({"organizer": "acme", "device_id": 1, "unique_serial": "CISCANNER0000001",
               "api_token": "ci-device-token-0000000000000001", "name": "Entrance scanner",
               "security_profile": "pretixscan", "gate": null})
    );
    let seen: Vec<Value> = results(&addr, &format!("{o}/events/"), DEVICE)
        .into_iter()
        .map(|e| e["slug"].clone())
        .collect();
    assert_eq!(seen, ["conf2030"]);
    // The other device initializes with the fixture's initialization token.
    let init = request(
        &addr,
        "POST",
        "/api/v1/device/initialize",
        None,
        Some(
            &json!({"token": "ci-boxoffice-init-01", "hardware_brand": "x", "hardware_model": "y",
                     "software_brand": "z", "software_version": "1"}),
        ),
    );
    assert_eq!(init.status, 200, "{}", init.body);
    assert_eq!(init.json()["device_id"], 2);

    // The check-in token sees its one event and nothing that needs other permissions.
    let seen: Vec<Value> = results(&addr, &format!("{o}/events/"), CHECKIN)
        .into_iter()
        .map(|e| e["slug"].clone())
        .collect();
    assert_eq!(seen, ["conf2030"]);
    assert_eq!(get(&addr, &format!("{o}/teams/"), CHECKIN).status, 403);
    let retired = get(&addr, "/api/v1/organizers/", RETIRED);
    assert_eq!(
        (retired.status, retired.body.as_str()),
        (401, r#"{"detail":"Token inactive or deleted."}"#)
    );

    stop(&mut child);
    assert_eq!(
        ephemeral_dirs(pid),
        Vec::<PathBuf>::new(),
        "removed on exit"
    );
}

fn refused(db_url: &str, dir: &Path, name: &str, document: Value) -> String {
    let file = dir.join(name);
    std::fs::write(&file, document.to_string()).unwrap();
    let o = presale(db_url, &["seed", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    stderr(&o).replace(&file.display().to_string(), name)
}

fn run_refused_fixtures(db_url: &str) {
    let dir = temp_dir("refused");
    let event =
        |slug: &str| json!({"name": "E", "slug": slug, "date_from": "2030-01-01T00:00:00Z"});
    // A bad field, a bad reference and a duplicate: every error, with the entry's path.
    let mut conference = event("conference");
    conference["date_from"] = Value::Null;
    conference["colour"] = json!("red");
    let mut expo = event("expo");
    expo["items"] = json!([{"id": 7, "name": "Ticket", "default_price": "10.00"}]);
    expo["quotas"] = json!([{"name": "Q", "items": [8]}]);
    let got = refused(
        db_url,
        &dir,
        "bad.json",
        json!({"organizers": [{"slug": "bigevents", "name": "Big Events", "events": [
            expo, conference, event("expo")],
            "teams": [{"name": "Scanners", "limit_events": ["nope"]}]}]}),
    );
    assert_eq!(
        got,
        "organizers[0].events[0].quotas[0] (Q): items: Invalid pk \"8\" - object does not exist.\n\
         organizers[0].events[1] (conference): colour: Unknown field.\n\
         organizers[0].events[1] (conference): date_from: This field may not be null.\n\
         organizers[0].events[2] (expo): slug: This slug has already been used for a different event.\n\
         organizers[0].teams[0] (Scanners): limit_events: Object with slug=nope does not exist.\n\
         error: bad.json: 5 errors; nothing was written\n"
    );
    let o = presale(db_url, &["export", "bigevents"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "error: organizer 'bigevents' does not exist\n");

    // Against what is stored: a reseed that breaks a rule of the API writes nothing either.
    seed(db_url, &example());
    let before = export(db_url, "acme");
    let got = refused(
        db_url,
        &dir,
        "change.json",
        json!({"organizers": [{"slug": "acme", "name": "Renamed", "events": [
            {"name": "W", "slug": "workshops", "date_from": "2030-09-01T08:00:00Z", "has_subevents": false},
            {"name": "N", "slug": "new", "date_from": "2030-01-01T00:00:00Z",
             "items": [{"id": 101, "name": "Stolen", "default_price": "1.00"}],
             "imported_secrets": [{"secret": "A"}, {"secret": "A"}]}],
            "teams": [{"name": "T", "limit_events": [], "tokens": [
                {"name": "one", "token": "ci-fresh-token-0000000000000001"},
                {"name": "two", "token": "ci-fresh-token-0000000000000001"},
                {"name": "short", "token": "abc"}]}]},
            {"slug": "other", "name": "Other", "teams": [{"name": "T", "limit_events": [], "tokens": [
                {"name": "t", "token": "ci-checkin-token-000000000000001"}]}]}]}),
    );
    assert_eq!(
        got,
        "organizers[0].events[0] (workshops): has_subevents: Once created an event cannot change between an series and a single event.\n\
         organizers[0].events[1].items[0] (Stolen): id: Product 101 belongs to another event.\n\
         organizers[0].events[1].imported_secrets[1]: secret: This secret is contained in the request more than once.\n\
         organizers[0].teams[0].tokens[1] (two): token: An earlier entry of the document has this token.\n\
         organizers[0].teams[0].tokens[2] (short): token: A token has 16 to 128 characters of a-z, A-Z, 0-9, '-' and '_'.\n\
         organizers[1].teams[0].tokens[0] (t): token: This token is used by another organizer.\n\
         error: change.json: 6 errors; nothing was written\n"
    );
    assert_eq!(export(db_url, "acme"), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Seeding twice gives the same state; the export of a seeded organizer seeds an identical
/// one into an empty database (JSON and YAML alike), whose tokens are the same.
fn run_idempotent_round_trip(db_url: &str, fresh_url: &str) -> Value {
    seed(db_url, &example());
    let first = export(db_url, "acme");
    // An exported event has the event body's writable fields, in its order, then what it nests.
    let event = first["organizers"][0]["events"][0].as_object().unwrap();
    let nested = "settings items subevents quotas digital_contents imported_secrets";
    let fields: Vec<&str> = event
        .keys()
        .map(String::as_str)
        .filter(|k| !nested.split(' ').any(|n| n == *k))
        .collect();
    assert_eq!(
        fields.join(" "),
        "name slug live testmode currency date_from date_to date_admission is_public \
         presale_start presale_end location geo_lat geo_lon has_subevents meta_data plugins \
         timezone item_meta_properties all_sales_channels limit_sales_channels"
    );
    seed(db_url, &example());
    assert_eq!(
        export(db_url, "acme"),
        first,
        "seeding twice changes nothing"
    );

    let dir = temp_dir("roundtrip");
    let exported = dir.join("acme.yaml");
    let o = presale(
        db_url,
        &["export", "acme", "-o", exported.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    seed(fresh_url, &exported);
    assert_eq!(export(fresh_url, "acme"), first, "round trip");
    std::fs::remove_dir_all(&dir).unwrap();
    first
}

#[test]
fn seeding_is_idempotent_and_exports_round_trip_on_sqlite() {
    let db = TestDatabase::sqlite().unwrap();
    let fresh = TestDatabase::sqlite().unwrap();
    let document = run_idempotent_round_trip(&db.url_string(), &fresh.url_string());
    // Tokens are exported as the hashes that are stored, never in plain text.
    let text = document.to_string();
    assert!(!text.contains("ci-admin-token"));
    assert!(text.contains(
        r#""token_sha256":"b8b51fdd61bad38d54cfc8da8b83f22855ff096b84c48c67da1c283b13c9c622""#
    ));
}

#[test]
fn seeding_is_idempotent_and_exports_round_trip_on_postgres() {
    let (db, fresh) = match (
        TestDatabase::postgres().unwrap(),
        TestDatabase::postgres().unwrap(),
    ) {
        (PostgresTestDatabase::Ready(a), PostgresTestDatabase::Ready(b)) => (a, b),
        (PostgresTestDatabase::Skipped(why), _) | (_, PostgresTestDatabase::Skipped(why)) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let on_postgres = run_idempotent_round_trip(&db.url_string(), &fresh.url_string());
    // The same document as on SQLite: the fixture means the same on both backends.
    let sqlite = TestDatabase::sqlite().unwrap();
    seed(&sqlite.url_string(), &example());
    // (but for the serial generated for the device that the fixture gives none)
    let generated = |mut d: Value| {
        d["organizers"][0]["devices"][1]["unique_serial"] = Value::Null;
        d
    };
    assert_eq!(
        generated(on_postgres),
        generated(export(&sqlite.url_string(), "acme"))
    );
    // Rows added later without an id continue after the fixture's ids.
    let o = presale(
        &db.url_string(),
        &["organizer", "create", "later", "--name", "L"],
    );
    assert!(o.status.success());
    let next = serde_json::json!({"organizers": [{"slug": "later", "name": "L", "events": [
        {"name": "E", "slug": "e", "date_from": "2030-01-01T00:00:00Z",
         "items": [{"name": "No id", "default_price": "1.00"}]}]}]});
    let dir = temp_dir("sequence");
    let file = dir.join("later.json");
    std::fs::write(&file, next.to_string()).unwrap();
    seed(&db.url_string(), &file);
    assert_eq!(
        export(&db.url_string(), "later")["organizers"][0]["events"][0]["items"][0]["id"],
        112
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ephemeral_is_not_combined_with_a_database_url_and_leaves_nothing_behind_on_errors() {
    let o = Command::new(env!("CARGO_BIN_EXE_presale"))
        .args([
            "serve",
            "--ephemeral",
            "--database-url",
            "sqlite:///tmp/x.sqlite3",
        ])
        .env_remove("PRESALE_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: --ephemeral cannot be combined with --database-url (or PRESALE_DATABASE_URL)\n"
    );

    let dir = temp_dir("ephemeral");
    let file = dir.join("bad.json");
    std::fs::write(&file, r#"{"organizers": [{"slug": "x"}]}"#).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_presale"))
        .args(["serve", "--ephemeral", "--bind", "127.0.0.1:0", "--seed"])
        .arg(&file)
        .env_remove("PRESALE_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "organizers[0] (x): name: This field is required.\nerror: {}: 1 error; nothing was written\n",
            file.display()
        )
    );
    assert_eq!(ephemeral_dirs(pid), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `presale serve` on `db_url` on a free port, with answers and credentials kept for ten
/// minutes: the child and its address.
fn serve_keeping(db_url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_presale"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(["--cache-ms", "600000", "--credential-cache-ms", "600000"])
        .env("PRESALE_DATABASE_URL", db_url)
        .env_remove("PRESALE_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = listening_address(lines);
    (child, url)
}

/// What the command line writes next to a running server is seen by it within the bound,
/// although the server keeps answers for ten minutes: the database announces the change.
fn run_cli_writes_are_seen_by_a_running_server(db_url: &str) {
    seed(db_url, &example());
    let (mut child, addr) = serve_keeping(db_url);
    let teams = "/api/v1/organizers/acme/teams/";
    let names = |addr: &str| -> Vec<String> {
        results(addr, teams, ADMIN)
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = names(&addr);
    assert!(!before.contains(&"Box office".to_owned()));
    assert_eq!(names(&addr), before, "kept");
    let o = presale(
        db_url,
        &["team", "create", "acme", "Box office", "--all-events"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = names(&addr);
    while !seen.contains(&"Box office".to_owned()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
        seen = names(&addr);
    }
    assert_eq!(seen.len(), before.len() + 1, "{seen:?}");
    assert!(seen.contains(&"Box office".to_owned()));
    stop(&mut child);
}

on_both_backends!(
    refused_fixtures_name_the_entry_and_write_nothing,
    run_refused_fixtures
);

on_both_backends!(
    cli_writes_are_seen_by_a_running_server,
    run_cli_writes_are_seen_by_a_running_server
);
