//! Ceilings for Presale's event list page: a bare actix-web server, with no database and no
//! authentication, that answers every request with the page saved in a JSON file (the exact
//! bytes of a `GET /api/v1/organizers/{o}/events/` response of a running Presale).
//!
//! - `bytes`: serves the file's bytes from memory, as they are.
//! - `serialize`: reads the file once at start into typed structs that mirror Presale's event
//!   output, and serializes them with serde_json on every request.
//!
//! `presale-bench-ceiling <bytes|serialize> <PAGE.json> --bind 127.0.0.1:8091 --workers 2`

use actix_web::http::header::ContentType;
use actix_web::{web, App, HttpResponse, HttpServer};
use clap::{Parser, ValueEnum};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Serve the file's bytes as they are.
    Bytes,
    /// Serialize the page from typed structs on every request.
    Serialize,
}

/// Serves one event list page from memory, as bytes or serialized on every request.
#[derive(Debug, Parser)]
#[command(name = "presale-bench-ceiling")]
struct Cli {
    /// What each request costs: copying bytes, or serializing typed structs.
    #[arg(value_enum)]
    mode: Mode,
    /// The event list page, exactly as Presale answered it.
    page: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8091")]
    bind: String,
    /// HTTP worker threads (the same number as the server measured).
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

/// A JSON object whose keys keep the order they were read in (as Presale writes them).
#[derive(Debug, Clone, PartialEq, Default)]
struct OrderedMap<V>(Vec<(String, V)>);

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::with_capacity(access.size_hint().unwrap_or(0));
                while let Some(pair) = access.next_entry()? {
                    pairs.push(pair);
                }
                Ok(OrderedMap(pairs))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

/// A localized text: language code → text, in Presale's order.
type I18n = OrderedMap<String>;

/// pretix's list envelope.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<Event>,
}

/// `valid_keys` of an event detail (absent from lists).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidKeys {
    pretix_sig1: Vec<String>,
}

/// An event as Presale writes it, fields in pretix's order. Date-times stay the strings they
/// were read as.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    name: I18n,
    slug: String,
    live: bool,
    testmode: bool,
    currency: String,
    date_from: String,
    date_to: Option<String>,
    date_admission: Option<String>,
    is_public: bool,
    presale_start: Option<String>,
    presale_end: Option<String>,
    location: Option<I18n>,
    geo_lat: Option<f64>,
    geo_lon: Option<f64>,
    has_subevents: bool,
    meta_data: OrderedMap<String>,
    seating_plan: Option<u64>,
    plugins: Vec<String>,
    seat_category_mapping: OrderedMap<String>,
    timezone: String,
    item_meta_properties: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_keys: Option<ValidKeys>,
    all_sales_channels: bool,
    limit_sales_channels: Vec<String>,
    public_url: String,
    sales_channels: Vec<String>,
}

async fn serve_bytes(page: web::Data<web::Bytes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(page.get_ref().clone())
}

async fn serve_serialized(page: web::Data<Page>) -> HttpResponse {
    match serde_json::to_vec(page.get_ref()) {
        Ok(body) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

/// Reads the page; in `serialize` mode checks that the structs write it back byte for byte.
fn load(mode: Mode, path: &Path) -> Result<(web::Bytes, Option<Page>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if mode == Mode::Bytes {
        return Ok((web::Bytes::from(bytes), None));
    }
    let page: Page = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not an event list page: {e}", path.display()))?;
    let again = serde_json::to_vec(&page).map_err(|e| e.to_string())?;
    if again != bytes {
        let at = again
            .iter()
            .zip(&bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(again.len().min(bytes.len()));
        return Err(format!(
            "{}: the typed structs do not write the page back as read (first difference at byte {at})",
            path.display()
        ));
    }
    Ok((web::Bytes::from(bytes), Some(page)))
}

async fn serve(cli: Cli) -> Result<(), String> {
    let (bytes, page) = load(cli.mode, &cli.page)?;
    let bytes = web::Data::new(bytes);
    let server = match page {
        None => HttpServer::new(move || {
            App::new()
                .app_data(bytes.clone())
                .default_service(web::to(serve_bytes))
        })
        .workers(cli.workers.max(1))
        .bind(&cli.bind)
        .map_err(|e| format!("{}: {e}", cli.bind))?
        .run(),
        Some(page) => {
            let page = web::Data::new(page);
            HttpServer::new(move || {
                App::new()
                    .app_data(page.clone())
                    .default_service(web::to(serve_serialized))
            })
            .workers(cli.workers.max(1))
            .bind(&cli.bind)
            .map_err(|e| format!("{}: {e}", cli.bind))?
            .run()
        }
    };
    server.await.map_err(|e| e.to_string())
}

#[actix_web::main]
async fn main() -> ExitCode {
    match serve(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
    use super::*;

    #[test]
    fn a_page_is_written_back_byte_for_byte() {
        let text = r#"{"count":1,"next":null,"previous":null,"results":[{"name":{"en":"B","de":"A"},"slug":"e1","live":false,"testmode":false,"currency":"EUR","date_from":"2030-01-01T10:00:00Z","date_to":null,"date_admission":null,"is_public":true,"presale_start":null,"presale_end":null,"location":{"en":"Hall"},"geo_lat":52.5,"geo_lon":null,"has_subevents":false,"meta_data":{"room":"A1","format":"talk"},"seating_plan":null,"plugins":["pretix.plugins.banktransfer"],"seat_category_mapping":{},"timezone":"UTC","item_meta_properties":{"colour":"red"},"all_sales_channels":true,"limit_sales_channels":[],"public_url":"http://x/o/e1/","sales_channels":["web"]}]}"#;
        let page: Page = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&page).unwrap(), text);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = r#"{"count":0,"next":null,"previous":null,"results":[],"extra":1}"#;
        assert!(serde_json::from_str::<Page>(text).is_err());
    }
}
