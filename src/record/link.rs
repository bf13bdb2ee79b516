//! Owns the body of `file_link` beyond its path (the link created): what
//! the link points at, and whether that is a resolved file or a symlink's
//! content.

use super::json::ObjectWriter;

/// linkat's AT_SYMLINK_FOLLOW (include/uapi/linux/fcntl.h).
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;

#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// A hard link: the existing file, absolute and normalized. A
    /// symlink: its content exactly as given (`symlink` is true), which
    /// the kernel resolves only when the link is followed.
    pub target: String,
    pub target_truncated: bool,
    pub target_detached: bool,
    pub symlink: bool,
    /// linkat with AT_SYMLINK_FOLLOW: a symlink named as the target was
    /// followed and its file linked. None for symlink and symlinkat.
    pub follow_symlinks: Option<bool>,
}

impl Link {
    pub fn write_json(&self, w: &mut ObjectWriter<'_>) {
        w.str("target", &self.target);
        w.bool("target_truncated", self.target_truncated);
        w.bool("target_detached", self.target_detached);
        w.bool("symlink", self.symlink);
        match self.follow_symlinks {
            Some(f) => w.bool("follow_symlinks", f),
            None => w.null("follow_symlinks"),
        }
    }
}

/// Where a symlink with `content` at `link_path` points, lexically: the
/// content itself when absolute, else joined to the link's directory. Only
/// ever a reason to keep a record, never to drop one (a symlink among the
/// components can make the kernel resolve it elsewhere).
pub fn symlink_points_at(content: &str, link_path: &str) -> String {
    if content.starts_with('/') {
        return content.to_string();
    }
    let dir = link_path.rfind('/').map_or("", |i| &link_path[..i]);
    format!("{dir}/{content}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_points_from_its_own_directory() {
        assert_eq!(symlink_points_at("/etc/shadow", "/tmp/x"), "/etc/shadow");
        assert_eq!(symlink_points_at("../etc/shadow", "/tmp/x"), "/tmp/../etc/shadow");
        assert_eq!(symlink_points_at("y", "/x"), "/y");
    }

    #[test]
    fn json_says_what_the_target_is() {
        let l = Link {
            target: "../s".into(),
            target_truncated: false,
            target_detached: false,
            symlink: true,
            follow_symlinks: None,
        };
        let mut out = Vec::new();
        let mut w = ObjectWriter::begin(&mut out);
        l.write_json(&mut w);
        w.end();
        assert_eq!(
            String::from_utf8_lossy(&out).trim_end(),
            r#"{"target":"../s","target_truncated":false,"target_detached":false,"symlink":true,"follow_symlinks":null}"#
        );
    }
}
