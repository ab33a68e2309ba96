//! The page around every dashboard view: the header with its links, the CSS (tables become
//! cards below 640 px, so 360 px is readable), and the live script: it listens to
//! `GET /sandbox/events` and, on an event for what the page shows (and on each (re)connection,
//! to catch up with what happened before it), fetches the page again and swaps its `#live` part
//! (parsed with `DOMParser`, which runs no script). Only that script runs:
//! the Content-Security-Policy allows scripts carrying this answer's nonce and nothing else.

use axum::response::Response;
use http::StatusCode;
use http::header::{CACHE_CONTROL, HeaderName, HeaderValue};

use crate::html_escape::html_escape;
use crate::random::unique_bytes;
use crate::response::html_response;

const CSS: &str = "\
*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1f;background:#f6f6f8}\
header{background:#23233a;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}\
header a{color:#fff}header strong{font-size:1.1rem}#live-state{font-size:.8rem;padding:.1rem .5rem;border-radius:1rem;background:#666}\
#live-state.on{background:#1f7a3f}main{padding:1rem;max-width:88rem;margin:0 auto}\
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e3ea;vertical-align:top}\
code,pre{font-size:.85rem;word-break:break-all;white-space:pre-wrap}pre{background:#fff;border:1px solid #e3e3ea;padding:.5rem;margin:.3rem 0}\
.status{font-weight:600}.s-paid,.ok{color:#1f7a3f}.s-failed,.s-cancelled,.s-expired,.bad{color:#b3261e}.s-processing,.s-created,.pending{color:#8a5a00}\
form.inline{display:inline-block;margin:.2rem .3rem .2rem 0}button{font-size:1rem;padding:.35rem .9rem}\
.why{display:block;font-size:.75rem;color:#666}.refused{background:#fde7e7;border:1px solid #b3261e;padding:.6rem;margin:.5rem 0}\
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:.8rem}.delivery{background:#fff;border:1px solid #e3e3ea;padding:.5rem;margin:.6rem 0}\
#summary th{width:9rem}#feed{font-family:monospace;font-size:.8rem;max-height:12rem;overflow:auto;background:#fff;border:1px solid #e3e3ea;padding:.3rem .6rem;margin:0}\
@media (max-width:640px){table.cards thead{display:none}table.cards tr{display:block;border-bottom:2px solid #d0d0da;padding:.3rem 0}\
table.cards td{display:flex;justify-content:space-between;gap:1rem;border:0;padding:.15rem .5rem}\
table.cards td::before{content:attr(data-label);font-weight:600;color:#555}main{padding:.5rem}}";

const SCRIPT: &str = "(function(){\
var body=document.body,scope=body.getAttribute('data-order')||'',src=body.getAttribute('data-refresh');\
var state=document.getElementById('live-state'),feed=document.getElementById('feed'),busy=false,again=false;\
function refresh(){if(busy){again=true;return;}busy=true;\
fetch(src,{headers:{'Accept':'text/html'}}).then(function(r){return r.text();}).then(function(html){\
var next=new DOMParser().parseFromString(html,'text/html').getElementById('live'),cur=document.getElementById('live');\
if(next&&cur){cur.replaceWith(document.importNode(next,true));}}).catch(function(){}).then(function(){\
busy=false;if(again){again=false;refresh();}});}\
function line(d){if(!feed)return;var li=document.createElement('li'),a=d.attempt||{};\
li.textContent=new Date().toLocaleTimeString()+' '+d.kind+' '+(d.order_number||d.order_uuid||'')+\
(d.to?' \\u2192 '+d.to:'')+(d.url?' '+d.url:'')+(a.http_status?' HTTP '+a.http_status:'')+(a.error?' '+a.error:'')+\
(a.duration_ms!==undefined?' '+a.duration_ms+' ms':'')+(d.outcome?' '+d.outcome:'');\
feed.insertBefore(li,feed.firstChild);while(feed.children.length>50){feed.removeChild(feed.lastChild);}}\
var es=new EventSource('/sandbox/events');\
es.onopen=function(){state.textContent='live';state.className='on';refresh();};\
es.onerror=function(){state.textContent='reconnecting';state.className='';};\
es.onmessage=function(e){var d;try{d=JSON.parse(e.data);}catch(x){return;}\
if(scope&&d.order_uuid&&d.order_uuid!==scope)return;line(d);refresh();};})();";

/// A dashboard view.
pub(super) struct Page<'a> {
    /// The title (escaped here).
    pub(super) title: &'a str,
    /// The GET URL the live script fetches again (a path of the sandbox's).
    pub(super) refresh: &'a str,
    /// The order the page is about: events of other orders are ignored.
    pub(super) order: Option<&'a str>,
    /// Markup before the live part (not refreshed): e.g. a refused move's reason.
    pub(super) notice: String,
    /// The live part (swapped on each event), already escaped.
    pub(super) live: String,
}

/// The page as an answer, with its nonce-only script policy.
pub(super) fn render(status: StatusCode, page: &Page<'_>) -> Response {
    let nonce = const_hex::encode(unique_bytes::<16>());
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Kukuruku sandbox</title><style>{CSS}</style></head>\n\
         <body data-refresh=\"{refresh}\" data-order=\"{order}\">\
         <header><strong>Kukuruku sandbox</strong><a href=\"/sandbox\">Orders</a>\
         <a href=\"/sandbox/dashboard/people\">Users &amp; Kuna</a><a href=\"/sandbox/callbacks\">Callbacks (JSON)</a>\
         <span id=\"live-state\">connecting</span></header>\n<main><h1>{title}</h1>\n{notice}\n\
         <div id=\"live\">{live}</div></main>\n<script nonce=\"{nonce}\">{SCRIPT}</script></body></html>\n",
        title = html_escape(page.title),
        refresh = html_escape(page.refresh),
        order = html_escape(page.order.unwrap_or("")),
        notice = page.notice,
        live = page.live,
    );
    let mut response = html_response(status, html);
    let policy = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; \
         connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(HeaderName::from_static("content-security-policy"), value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A table cell with its label (shown beside the value on narrow screens).
pub(super) fn cell(label: &str, escaped_value: &str) -> String {
    format!("<td data-label=\"{label}\">{escaped_value}</td>")
}

/// A status, escaped, with its colour.
pub(super) fn status_badge(status: &str) -> String {
    let status = html_escape(status);
    format!("<span class=\"status s-{status}\">{status}</span>")
}
