//! Owns the page's files, embedded in the binary at build time so the
//! dashboard needs nothing at run time: no CDN, no files on disk.

pub const INDEX_HTML: &[u8] = include_bytes!("assets/index.html");
pub const APP_JS: &[u8] = include_bytes!("assets/app.js");
pub const APP_CSS: &[u8] = include_bytes!("assets/app.css");
