//! The size and shape limits of HTTPS outcalls (interface specification, `http_request`): the
//! URL, the header count and sizes, and the whole request or response. The same header and body
//! limits apply to the canister's request and to the server's response.

use ic_management_canister_types::HttpHeader;

/// Longest URL, bytes.
pub const MAX_URL_BYTES: usize = 8192;
/// Most headers in a request or a response.
pub const MAX_HEADERS: usize = 64;
/// Longest header name or value, bytes.
pub const MAX_HEADER_NAME_OR_VALUE_BYTES: usize = 8 * 1024;
/// Largest total of all header names and values, bytes.
pub const MAX_HEADERS_TOTAL_BYTES: usize = 48 * 1024;
/// Largest request or response (header names and values plus body), bytes.
pub const MAX_MESSAGE_BYTES: usize = 2_000_000;

/// Bytes of all header names and values.
pub fn headers_size(headers: &[HttpHeader]) -> usize {
    headers.iter().map(|h| h.name.len() + h.value.len()).sum()
}

/// Checks the header count and sizes and the total size of `headers` and `body`; the error is the
/// IC's message for the first limit exceeded.
pub fn check_headers_and_body(headers: &[HttpHeader], body: &[u8]) -> Result<(), String> {
    if headers.len() > MAX_HEADERS {
        return Err(format!(
            "number of all http headers {} exceeds {MAX_HEADERS}",
            headers.len()
        ));
    }
    let longest_name = headers.iter().map(|h| h.name.len()).max().unwrap_or(0);
    if longest_name > MAX_HEADER_NAME_OR_VALUE_BYTES {
        return Err(format!(
            "number of bytes to represent some http header name {longest_name} exceeds {MAX_HEADER_NAME_OR_VALUE_BYTES}"
        ));
    }
    let longest_value = headers.iter().map(|h| h.value.len()).max().unwrap_or(0);
    if longest_value > MAX_HEADER_NAME_OR_VALUE_BYTES {
        return Err(format!(
            "number of bytes to represent some http header value {longest_value} exceeds {MAX_HEADER_NAME_OR_VALUE_BYTES}"
        ));
    }
    let total = headers_size(headers);
    if total > MAX_HEADERS_TOTAL_BYTES {
        return Err(format!(
            "total number of bytes to represent all http header names and values {total} exceeds {MAX_HEADERS_TOTAL_BYTES}"
        ));
    }
    let whole = total + body.len();
    if whole > MAX_MESSAGE_BYTES {
        return Err(format!(
            "total number of bytes to represent all http header names and values and http body {whole} exceeds {MAX_MESSAGE_BYTES}"
        ));
    }
    Ok(())
}

/// Checks the URL's length. The message never repeats the URL: webhook URLs carry secrets.
pub fn check_url_length(url: &str) -> Result<(), String> {
    if url.len() > MAX_URL_BYTES {
        return Err(format!("url size {} exceeds {MAX_URL_BYTES}", url.len()));
    }
    Ok(())
}

/// Whether the URL is an `https://` URL naming a host, without spaces or control characters (the
/// IC makes only HTTPS requests).
pub fn is_https_url(url: &str) -> bool {
    let Some(scheme) = url.get(..8) else {
        return false;
    };
    let rest = &url[8..];
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    scheme.eq_ignore_ascii_case("https://")
        && !host.is_empty()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, value_len: usize) -> HttpHeader {
        HttpHeader {
            name: name.into(),
            value: "v".repeat(value_len),
        }
    }

    #[test]
    fn only_https_urls_with_a_host_pass() {
        assert!(is_https_url("https://example.com"));
        assert!(is_https_url("HTTPS://example.com:8443/hook?token=x"));
        assert!(!is_https_url("http://example.com"));
        assert!(!is_https_url("https://"));
        assert!(!is_https_url("https:///path"));
        assert!(!is_https_url("https://exa mple.com"));
        assert!(!is_https_url("ftp://x"));
    }

    #[test]
    fn the_url_length_limit_is_8192_bytes() {
        let url = format!("https://{}", "a".repeat(MAX_URL_BYTES - 8));
        assert!(check_url_length(&url).is_ok());
        let too_long = format!("{url}a");
        assert_eq!(
            check_url_length(&too_long).unwrap_err(),
            "url size 8193 exceeds 8192"
        );
    }

    #[test]
    fn header_limits_are_checked_in_the_ics_order() {
        let many: Vec<_> = (0..65).map(|i| header(&format!("h{i}"), 1)).collect();
        assert!(check_headers_and_body(&many, &[])
            .unwrap_err()
            .contains("65 exceeds 64"));
        let long_value = [header("x", MAX_HEADER_NAME_OR_VALUE_BYTES + 1)];
        assert!(check_headers_and_body(&long_value, &[])
            .unwrap_err()
            .contains("header value 8193 exceeds 8192"));
        let big: Vec<_> = (0..7).map(|i| header(&format!("h{i}"), 8000)).collect();
        assert!(check_headers_and_body(&big, &[])
            .unwrap_err()
            .contains("names and values 56014 exceeds 49152"));
        let body = vec![0; MAX_MESSAGE_BYTES];
        assert!(check_headers_and_body(&[header("a", 1)], &body)
            .unwrap_err()
            .contains("2000002 exceeds 2000000"));
        assert!(check_headers_and_body(&[], &body).is_ok());
    }
}
