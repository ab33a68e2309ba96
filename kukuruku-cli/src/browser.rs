//! A very small "browser" for the demo: plain HTTP/1 requests over hyper-util's client,
//! redirects followed one hop at a time, and the login page's forms read and submitted.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error_chain::chain;

/// The most redirects a navigation follows.
const MAX_REDIRECTS: usize = 10;

/// One answer.
pub(crate) struct Page {
    pub(crate) url: String,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Page {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `Location` of a redirect, made absolute against this page's URL.
    pub(crate) fn location(&self) -> Option<String> {
        let location = self.headers.get(LOCATION)?.to_str().ok()?;
        let base = url::Url::parse(&self.url).ok()?;
        base.join(location).ok().map(String::from)
    }
}

/// The browser: no cookies, no scripts; forms are posted as
/// `application/x-www-form-urlencoded`.
#[derive(Clone)]
pub(crate) struct Browser {
    client: HttpClient<HttpConnector, Full<Bytes>>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        Self {
            client: HttpClient::builder(TokioExecutor::new()).build(HttpConnector::new()),
        }
    }

    /// One request, no redirect followed; `body`: its content type and bytes.
    async fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<(&'static str, &str)>,
    ) -> Result<Page, String> {
        let mut builder = Request::builder().method(method).uri(url);
        let body = match body {
            Some((content_type, body)) => {
                builder = builder.header(CONTENT_TYPE, content_type);
                Bytes::copy_from_slice(body.as_bytes())
            }
            None => Bytes::new(),
        };
        let request = builder
            .body(Full::new(body))
            .map_err(|err| format!("bad request for {url}: {}", chain(&err)))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|err| format!("{url}: {}", chain(&err)))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|err| format!("{url}: reading the answer: {}", chain(&err)))?
            .to_bytes();
        Ok(Page {
            url: url.to_owned(),
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// A GET, no redirect followed.
    pub(crate) async fn get(&self, url: &str) -> Result<Page, String> {
        self.request(Method::GET, url, None).await
    }

    /// A form POST (`application/x-www-form-urlencoded`), no redirect followed.
    pub(crate) async fn post_form(&self, url: &str, form: &str) -> Result<Page, String> {
        let body = ("application/x-www-form-urlencoded", form);
        self.request(Method::POST, url, Some(body)).await
    }

    /// A JSON POST.
    pub(crate) async fn post_json(&self, url: &str, json: &str) -> Result<Page, String> {
        let body = ("application/json", json);
        self.request(Method::POST, url, Some(body)).await
    }

    /// Follows the redirects of `first` (GETs, as a browser does after 302/303), each hop
    /// reported to `hop`; returns the page that is no redirect.
    pub(crate) async fn follow(
        &self,
        first: Page,
        mut hop: impl FnMut(&Page, &str),
    ) -> Result<Page, String> {
        let mut page = first;
        for _ in 0..MAX_REDIRECTS {
            if !page.status.is_redirection() {
                return Ok(page);
            }
            let next = page.location().ok_or_else(|| {
                format!("{} answered {} without a Location", page.url, page.status)
            })?;
            hop(&page, &next);
            page = self.get(&next).await?;
        }
        Err(format!("more than {MAX_REDIRECTS} redirects"))
    }
}

/// The form on `html` that logs in `email` (the sandbox KukurukuID's login page lists one form
/// per user): its action and its fields, form-encoded.
pub(crate) fn login_form(html: &str, email: &str) -> Option<(String, String)> {
    html.split("<form ").skip(1).find_map(|rest| {
        let form = rest.split("</form>").next()?;
        let fields = inputs(form);
        if !fields
            .iter()
            .any(|(name, value)| name == "email" && value == email)
        {
            return None;
        }
        let action = unescape(attribute(form, "action")?);
        let mut body = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &fields {
            body.append_pair(name, value);
        }
        Some((action, body.finish()))
    })
}

/// The buttons' labels of the login page ("Log in as …").
pub(crate) fn login_choices(html: &str) -> Vec<String> {
    html.split("<button")
        .skip(1)
        .filter_map(|rest| {
            let label = rest.split_once('>')?.1.split("</button>").next()?;
            Some(unescape(label.trim_start_matches("Log in as ")))
        })
        .collect()
}

/// `(name, value)` of each `<input …>` in `html`.
fn inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input ")
        .skip(1)
        .filter_map(|rest| {
            let tag = rest.split('>').next()?;
            Some((
                unescape(attribute(tag, "name")?),
                unescape(attribute(tag, "value").unwrap_or_default()),
            ))
        })
        .collect()
}

/// The value of `name="…"` in a tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let rest = tag.get(start..)?;
    rest.split('"').next()
}

/// The HTML escapes the sandbox writes, undone.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_form_of_one_user() {
        let html = r#"<ul><li><form method="post" action="http://h/realms/public/protocol/openid-connect/auth"><input type="hidden" name="client_id" value="c"><input type="hidden" name="state" value="a&amp;b"><input type="hidden" name="email" value="ann@example.com"><button type="submit">Log in as Ann (ann@example.com)</button></form></li><li><form method="post" action="http://h/x"><input type="hidden" name="email" value="bob@example.com"><button type="submit" autofocus>Log in as Bob (bob@example.com)</button></form></li></ul>"#;
        let (action, body) = login_form(html, "ann@example.com").unwrap();
        assert_eq!(
            action,
            "http://h/realms/public/protocol/openid-connect/auth"
        );
        assert_eq!(body, "client_id=c&state=a%26b&email=ann%40example.com");
        assert_eq!(login_form(html, "bob@example.com").unwrap().0, "http://h/x");
        assert!(login_form(html, "eve@example.com").is_none());
        assert_eq!(
            login_choices(html),
            ["Ann (ann@example.com)", "Bob (bob@example.com)"]
        );
    }
}
