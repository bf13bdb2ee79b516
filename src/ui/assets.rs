//! Owns the page's files, embedded in the binary at build time so the
//! dashboard needs nothing at run time: no CDN, no files on disk. The type
//! filter's options come from the event catalog, so a new event type shows
//! up in the page without editing it.

use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::catalog::{Category, EventType};

const INDEX_TEMPLATE: &str = include_str!("assets/index.html");
pub const APP_JS: &[u8] = include_bytes!("assets/app.js");
pub const APP_CSS: &[u8] = include_bytes!("assets/app.css");

/// Where index.html wants the event type options.
const TYPE_OPTIONS: &str = "            <!-- event types: filled from the catalog when served (ui/assets.rs) -->\n";

/// index.html with one `<option>` per category (`process_*`) and per event
/// type, in catalog order.
pub fn index_html() -> &'static [u8] {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        let mut options = String::new();
        for cat in Category::ALL {
            let _ = writeln!(options, "            <option value=\"{0}_*\">{0}_*</option>", cat.name());
            for t in EventType::ALL.into_iter().filter(|t| t.category() == cat) {
                let _ = writeln!(options, "            <option value=\"{0}\">{0}</option>", t.as_str());
            }
        }
        INDEX_TEMPLATE.replacen(TYPE_OPTIONS, &options, 1)
    })
    .as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_filter_lists_every_category_and_event_type() {
        assert!(INDEX_TEMPLATE.contains(TYPE_OPTIONS), "index.html lost its options placeholder");
        let page = std::str::from_utf8(index_html()).expect("utf-8");
        for t in EventType::ALL {
            assert!(page.contains(&format!("<option value=\"{0}\">{0}</option>", t.as_str())), "{}", t.as_str());
        }
        for c in Category::ALL {
            assert!(page.contains(&format!("<option value=\"{}_*\">", c.name())));
        }
        assert!(page.contains("<option value=\"alert\">alert</option>"));
    }
}
