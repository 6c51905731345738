//! Paging through lists, as pretix does it: 1-based page numbers, a total count, and a page
//! size of at most [`MAX_PAGE_SIZE`].

/// Objects per page, and the most a client may ask for with `page_size`.
pub const MAX_PAGE_SIZE: u64 = 50;

/// A window on an ordered list: skip `offset` objects, return at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// The page a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageNumber {
    /// A 1-based page number.
    Number(u64),
    /// `page=last`.
    Last,
}

/// Why a page does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Invalid page.")]
pub struct InvalidPage;

impl PageNumber {
    /// Resolves the page against the total count: the 1-based page number and the window
    /// to load. Page 1 of an empty list exists; any page past the last does not.
    pub fn resolve(self, total: u64, page_size: u64) -> Result<(u64, Window), InvalidPage> {
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let last = total.div_ceil(page_size).max(1);
        let number = match self {
            PageNumber::Number(n) if n >= 1 && n <= last => n,
            PageNumber::Number(_) => return Err(InvalidPage),
            PageNumber::Last => last,
        };
        Ok((
            number,
            Window {
                offset: (number - 1) * page_size,
                limit: page_size,
            },
        ))
    }

    /// Whether a page after `number` exists.
    pub fn has_next(number: u64, total: u64, page_size: u64) -> bool {
        number.saturating_mul(page_size.clamp(1, MAX_PAGE_SIZE)) < total
    }
}

/// One page of a list, with the total size of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub total: u64,
    pub items: Vec<T>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_list_has_page_one_only() {
        assert_eq!(
            PageNumber::Number(1).resolve(0, 50),
            Ok((
                1,
                Window {
                    offset: 0,
                    limit: 50
                }
            ))
        );
        assert_eq!(PageNumber::Number(2).resolve(0, 50), Err(InvalidPage));
        assert_eq!(
            PageNumber::Last.resolve(0, 50),
            Ok((
                1,
                Window {
                    offset: 0,
                    limit: 50
                }
            ))
        );
    }

    #[test]
    fn exact_multiple_has_no_extra_page() {
        assert_eq!(PageNumber::Last.resolve(100, 50).map(|p| p.0), Ok(2));
        assert_eq!(PageNumber::Number(3).resolve(100, 50), Err(InvalidPage));
        assert!(PageNumber::has_next(1, 100, 50));
        assert!(!PageNumber::has_next(2, 100, 50));
    }

    #[test]
    fn page_zero_is_invalid_and_size_is_clamped() {
        assert_eq!(PageNumber::Number(0).resolve(10, 50), Err(InvalidPage));
        assert_eq!(
            PageNumber::Number(2).resolve(120, 500),
            Ok((
                2,
                Window {
                    offset: 50,
                    limit: 50
                }
            ))
        );
        assert_eq!(
            PageNumber::Number(4).resolve(10, 3),
            Ok((
                4,
                Window {
                    offset: 9,
                    limit: 3
                }
            ))
        );
    }
}
