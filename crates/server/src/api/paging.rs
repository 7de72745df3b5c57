//! Paging of list RPCs. SPIRE lists everything when a client sends no page size; here every
//! list pages (SECURITY.md: client-chosen page sizes are capped), so a missing or oversized
//! page size becomes [`MAX_PAGE_SIZE`] and the client follows `next_page_token`.

use spire_datastore::{MAX_PAGE_SIZE, Pagination};

/// The datastore page for a wire `page_size` / `page_token` pair.
pub fn pagination(page_size: i32, page_token: &str) -> Pagination {
    let size = u32::try_from(page_size)
        .ok()
        .filter(|s| *s > 0)
        .map_or(MAX_PAGE_SIZE, |s| s.min(MAX_PAGE_SIZE));
    Pagination {
        token: page_token.to_owned(),
        page_size: size,
    }
}

/// A count for the wire's `int32` fields, saturating rather than wrapping.
pub fn count_i32(count: u64) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_capped_and_defaulted() {
        assert_eq!(pagination(0, "").page_size, MAX_PAGE_SIZE);
        assert_eq!(pagination(-5, "").page_size, MAX_PAGE_SIZE);
        assert_eq!(pagination(1_000_000, "").page_size, MAX_PAGE_SIZE);
        assert_eq!(pagination(7, "tok").page_size, 7);
        assert_eq!(pagination(7, "tok").token, "tok");
    }

    #[test]
    fn counts_saturate() {
        assert_eq!(count_i32(u64::MAX), i32::MAX);
        assert_eq!(count_i32(3), 3);
    }
}
