//! pretix's page-number pagination (docs/api-compatibility.md), one piece for every list endpoint.

use crate::error::ApiError;
use crate::query::{ParamKind, Query};
use crate::state::AppState;
use actix_web::HttpRequest;
use presale_domain::pagination::{Page, PageNumber, Window, MAX_PAGE_SIZE};
use serde::Serialize;

/// What a client asked for with `page` and `page_size`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    page: PageNumber,
    size: u64,
}

impl PageRequest {
    /// Reads `page` (a positive integer or `last`; anything else is `Invalid page.`) and
    /// `page_size` (clamped to 50; 0, negative or non-numeric values are ignored).
    pub(crate) fn from_request(req: &HttpRequest) -> Result<Self, ApiError> {
        Self::from_query(&Query::of(req))
    }

    /// [`PageRequest::from_request`] on a query already read.
    pub(crate) fn from_query(query: &Query) -> Result<Self, ApiError> {
        query.note("page", ParamKind::Page);
        query.note("page_size", ParamKind::PageSize);
        let page = match query.get("page") {
            None => PageNumber::Number(1),
            Some("last") => PageNumber::Last,
            Some(v) => PageNumber::Number(v.parse::<u64>().map_err(|_| invalid_page())?),
        };
        let size = query
            .get("page_size")
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|n| *n > 0)
            .map(|n| n.unsigned_abs().min(MAX_PAGE_SIZE))
            .unwrap_or(MAX_PAGE_SIZE);
        Ok(PageRequest { page, size })
    }
}

fn invalid_page() -> ApiError {
    ApiError::NotFound("Invalid page.".into())
}

/// The pretix list envelope.
#[derive(Serialize)]
pub(crate) struct Envelope<T> {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<T>,
}

impl<T> Envelope<T> {
    /// The same page with each result viewed through `f` (which may borrow from it).
    pub(crate) fn map_results<'a, U>(&'a self, f: impl Fn(&'a T) -> U) -> Envelope<U> {
        Envelope {
            count: self.count,
            next: self.next.clone(),
            previous: self.previous.clone(),
            results: self.results.iter().map(f).collect(),
        }
    }
}

/// Loads one page with `load` (which gets the window for the requested page once the total is
/// known, or `None` to ask for the total first) and wraps it in the envelope with absolute
/// `next`/`previous` links that keep every other query parameter.
pub(crate) async fn paginate<T, U, F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    request: PageRequest,
    load: F,
    render: impl Fn(T) -> U,
) -> Result<Envelope<U>, ApiError>
where
    F: Fn(Window) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, presale_domain::RepositoryError>>,
{
    // The first page needs no count beforehand; `page=last` and later pages are resolved
    // against the count of a first, cheap load of the requested window.
    let guess = match request.page {
        PageNumber::Number(n) if n >= 1 => Window {
            offset: (n - 1).saturating_mul(request.size),
            limit: request.size,
        },
        PageNumber::Number(_) => return Err(invalid_page()),
        PageNumber::Last => Window {
            offset: 0,
            limit: request.size,
        },
    };
    let mut page = load(guess).await?;
    let (number, window) = request
        .page
        .resolve(page.total, request.size)
        .map_err(|_| invalid_page())?;
    if window != guess {
        page = load(window).await?;
    }
    let link = |n: u64| page_link(req, state, n);
    Ok(Envelope {
        count: page.total,
        next: PageNumber::has_next(number, page.total, request.size).then(|| link(number + 1)),
        previous: (number > 1).then(|| link(number - 1)),
        results: page.items.into_iter().map(render).collect(),
    })
}

/// The absolute URL of page `n`: query parameters sorted by name, `page` dropped for page 1.
fn page_link(req: &HttpRequest, state: &AppState, n: u64) -> String {
    let mut pairs: Vec<(String, String)> = Query::of(req)
        .into_pairs()
        .into_iter()
        .filter(|(k, _)| k != "page")
        .collect();
    if n > 1 {
        pairs.push(("page".into(), n.to_string()));
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let base = format!("{}{}", state.base_url_for(req), req.path());
    if query.is_empty() {
        base
    } else {
        format!("{base}?{query}")
    }
}
