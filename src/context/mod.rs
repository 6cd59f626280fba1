//! PURE build context: the `.dockerignore` matcher (moby semantics) and the context tar + digest.
//!
//! [`create`] sends what `docker build` (classic builder) sends: every path under the context
//! directory that the ignore file does not exclude, plus the Dockerfile and `.dockerignore`
//! themselves even when they are listed (the daemon needs them to parse the build and re-applies
//! `.dockerignore` to exactly those two files, so `COPY .` still leaves them out).

pub mod ignore;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use ignore::{MatchInfo, Matcher};

/// Files at least this large are worth a warning: they usually do not belong in a context.
pub const LARGE_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// A build context ready to send: an uncompressed tar and a digest of its contents.
#[derive(Debug, Clone)]
pub struct Context {
    pub tar: Vec<u8>,
    /// sha256 over every (path, type, mode, size, content or link target) sent, stable across
    /// runs and machines (mtimes and owners are not part of it).
    pub digest: String,
    /// Regular files sent.
    pub files: usize,
    /// Bytes of regular-file content sent.
    pub bytes: u64,
    /// The Dockerfile path inside the tar, `/`-separated: what to pass as the build's
    /// `dockerfile` parameter.
    pub dockerfile: String,
    /// The ignore file that applied, if any.
    pub ignore_file: Option<PathBuf>,
    /// Paths that were sent and usually should not be: `.git` and `node_modules` directories
    /// and files of [`LARGE_FILE_BYTES`] or more.
    pub heavy: Vec<Heavy>,
    /// The tar carries files that `COPY` must not see and that only the engine's classic
    /// builder drops, by reading the sent `.dockerignore`: a Dockerfile or `.dockerignore` the
    /// user's patterns exclude, or a Dockerfile from outside the context. BuildKit fed a tar
    /// applies no ignore file, so such a context must go to the classic builder.
    pub needs_classic: bool,
}

/// One path in the context worth a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heavy {
    /// `/`-separated, relative to the context root.
    pub path: String,
    pub kind: HeavyKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeavyKind {
    /// A `.git` directory.
    Git,
    /// A `node_modules` directory.
    NodeModules,
    /// A file of this many bytes.
    LargeFile(u64),
}

/// Where the Dockerfile of a build comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dockerfile<'a> {
    /// A file, relative to the context directory (or absolute).
    Path(&'a str),
    /// `build.dockerfile_inline`: the Dockerfile's text itself.
    Inline(&'a str),
}

/// Builds the context for `dir` with the Dockerfile at `dockerfile` (relative to `dir`).
pub fn create(dir: &Path, dockerfile: &str) -> io::Result<Context> {
    create_with(dir, Dockerfile::Path(dockerfile))
}

/// Builds the context for `dir` with this Dockerfile.
///
/// The ignore file is `<dockerfile>.dockerignore` beside the Dockerfile when it exists (BuildKit's
/// per-Dockerfile ignore file), else `<dir>/.dockerignore`. A Dockerfile outside `dir`, or an
/// inline one, is added to the tar under a generated `.dockerfile.<hash>` name, as the docker
/// CLI does for a Dockerfile from elsewhere. Entries carry the files' modes and mtimes
/// (seconds) with root as owner, as the docker CLI sends them.
pub fn create_with(dir: &Path, source: Dockerfile) -> io::Result<Context> {
    let (dockerfile, inline) = match source {
        Dockerfile::Path(path) => (path, None),
        Dockerfile::Inline(text) => ("", Some(text.as_bytes().to_vec())),
    };
    let df_path = dir.join(dockerfile);
    if inline.is_none() && !df_path.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("cannot find Dockerfile {}", df_path.display()),
        ));
    }
    let inside = match inline {
        Some(_) => None,
        None => relative_inside(dir, dockerfile),
    };
    let ignore_file = match inline {
        Some(_) => pick_ignore_file(dir, &dir.join("Dockerfile")),
        None => pick_ignore_file(dir, &df_path),
    };
    let root_ignore = ignore_file.as_deref() == Some(dir.join(".dockerignore").as_path());
    let mut patterns = match &ignore_file {
        Some(path) => ignore::read_patterns(&fs::read_to_string(path)?),
        None => Vec::new(),
    };
    let bad = |e| io::Error::new(io::ErrorKind::InvalidData, e);
    let user = Matcher::new(&patterns).map_err(bad)?;

    // The docker CLI's `TrimBuildFilesFromExcludes`: the daemon must receive the Dockerfile and
    // `.dockerignore`, so exceptions re-include them when the user's patterns exclude them.
    // The classic builder then drops them before `COPY` if the *sent* `.dockerignore` lists
    // them; names it cannot learn that way go into `hide`, appended to the sent file.
    let mut hide = Vec::new();
    let mut needs_classic = false;
    let (dockerfile, outside) = match inside {
        Some(rel) => {
            if user.matches(&rel) {
                needs_classic = true;
                patterns.push(format!("!{rel}"));
                if !root_ignore {
                    hide.push(rel.clone());
                }
            }
            (rel, None)
        }
        None => {
            let content = match inline {
                Some(text) => text,
                None => fs::read(&df_path)?,
            };
            let name = format!(
                ".dockerfile.{}",
                &hex::encode(Sha256::digest(&content))[..20]
            );
            hide.push(name.clone());
            needs_classic = true;
            (name, Some(content))
        }
    };
    if root_ignore && user.matches(".dockerignore") {
        needs_classic = true;
        patterns.push("!.dockerignore".into());
    }
    let matcher = Matcher::new(&patterns).map_err(bad)?;

    let mut out = Writer::new(hide);
    walk(dir, "", &matcher, &MatchInfo::default(), &mut out)?;
    if let Some(content) = outside {
        // As the docker CLI adds a Dockerfile from elsewhere: mode 0600, mtime now.
        out.file(&dockerfile, 0o600, unix_now(), &content)?;
    }
    let mut context = out.finish(dockerfile, ignore_file)?;
    context.needs_classic = needs_classic;
    Ok(context)
}

/// The Dockerfile as a clean `/`-separated path inside `dir`, or `None` when it lies outside.
fn relative_inside(dir: &Path, dockerfile: &str) -> Option<String> {
    let path = Path::new(dockerfile);
    let rel = if path.is_absolute() {
        path.strip_prefix(dir).ok()?.to_string_lossy().into_owned()
    } else {
        dockerfile.replace('\\', "/")
    };
    let rel = ignore::clean(&rel);
    (rel != ".." && !rel.starts_with("../") && !rel.starts_with('/')).then_some(rel)
}

/// `<Dockerfile>.dockerignore` beside the Dockerfile wins over `<dir>/.dockerignore`.
fn pick_ignore_file(dir: &Path, dockerfile: &Path) -> Option<PathBuf> {
    let mut specific = dockerfile.as_os_str().to_owned();
    specific.push(".dockerignore");
    [PathBuf::from(specific), dir.join(".dockerignore")]
        .into_iter()
        .find(|p| p.is_file())
}

/// Walks `abs` (the directory for relative path `rel`) in sorted order, as moby's `TarWithOptions`
/// does: an excluded directory is skipped unless an exception pattern starts inside it, in which
/// case it is walked but not itself sent.
fn walk(
    abs: &Path,
    rel: &str,
    matcher: &Matcher,
    parent: &MatchInfo,
    out: &mut Writer,
) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(abs)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = if rel.is_empty() {
            name.into_owned()
        } else {
            format!("{rel}/{name}")
        };
        let meta = fs::symlink_metadata(entry.path())?;
        let (skip, info) = matcher.matches_using_parent(&path, parent);
        if skip {
            if meta.is_dir() && matcher.must_walk_excluded_dir(&path) {
                walk(&entry.path(), &path, matcher, &info, out)?;
            }
            continue;
        }
        let mode = mode_of(&meta);
        let mtime = mtime_of(&meta);
        let kind = meta.file_type();
        if kind.is_dir() {
            out.dir(&path, mode, mtime)?;
            walk(&entry.path(), &path, matcher, &info, out)?;
        } else if kind.is_symlink() {
            out.symlink(&path, mode, mtime, &fs::read_link(entry.path())?)?;
        } else if kind.is_file() {
            out.file(&path, mode, mtime, &fs::read(entry.path())?)?;
        }
        // Sockets, fifos and devices have no place in a build context; moby skips sockets too.
    }
    Ok(())
}

/// The modification time in whole seconds, as the docker CLI's tar truncates it (0 when the
/// platform cannot tell, or for times before 1970).
fn mtime_of(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(meta: &fs::Metadata) -> u32 {
    if meta.is_dir() {
        0o755
    } else {
        0o644
    }
}

/// Appends entries to the tar and to the digest at once. Owners are root (the docker CLI's
/// `ChownOpts`); mtimes are the files' own, so `COPY` keeps them (web servers derive `ETag` and
/// `Last-Modified` from them). The digest leaves mtimes out: a `touch` changes no fingerprint.
struct Writer {
    tar: tar::Builder<Vec<u8>>,
    hash: Sha256,
    files: usize,
    bytes: u64,
    heavy: Vec<Heavy>,
    /// Names appended to the `.dockerignore` sent, so the daemon leaves them out of `COPY`.
    hide: Vec<String>,
    ignore_sent: bool,
}

impl Writer {
    fn new(hide: Vec<String>) -> Writer {
        Writer {
            tar: tar::Builder::new(Vec::new()),
            hash: Sha256::new(),
            files: 0,
            bytes: 0,
            heavy: Vec::new(),
            hide,
            ignore_sent: false,
        }
    }

    /// Sends a `.dockerignore` naming the hidden files when none was sent (the CLI does the
    /// same for a Dockerfile from outside the context), and closes the tar.
    fn finish(mut self, dockerfile: String, ignore_file: Option<PathBuf>) -> io::Result<Context> {
        if !self.hide.is_empty() && !self.ignore_sent {
            let mut content = String::from(".dockerignore\n");
            for name in &self.hide {
                content.push_str(name);
                content.push('\n');
            }
            self.hide.clear();
            self.file(".dockerignore", 0o600, unix_now(), content.as_bytes())?;
        }
        Ok(Context {
            tar: self.tar.into_inner()?,
            digest: hex::encode(self.hash.finalize()),
            files: self.files,
            bytes: self.bytes,
            dockerfile,
            ignore_file,
            heavy: self.heavy,
            needs_classic: false,
        })
    }

    fn header(kind: tar::EntryType, mode: u32, mtime: u64, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        header
    }

    /// Feeds one entry into the digest; fields are length-prefixed so no two different
    /// contexts can produce the same byte stream.
    fn digest(&mut self, kind: u8, path: &str, mode: u32, body: &[u8]) {
        self.hash.update([kind]);
        self.hash.update((path.len() as u64).to_le_bytes());
        self.hash.update(path.as_bytes());
        self.hash.update(mode.to_le_bytes());
        self.hash.update((body.len() as u64).to_le_bytes());
        self.hash.update(body);
    }

    fn dir(&mut self, path: &str, mode: u32, mtime: u64) -> io::Result<()> {
        self.digest(b'd', path, mode, &[]);
        let name = path.rsplit('/').next().unwrap_or(path);
        let kind = match name {
            ".git" => Some(HeavyKind::Git),
            "node_modules" => Some(HeavyKind::NodeModules),
            _ => None,
        };
        // Only the outermost heavy directory is worth naming.
        let nested = self
            .heavy
            .iter()
            .any(|h| path.starts_with(&format!("{}/", h.path)));
        if let (Some(kind), false) = (kind, nested) {
            self.heavy.push(Heavy {
                path: path.to_string(),
                kind,
            });
        }
        let mut header = Self::header(tar::EntryType::Directory, mode, mtime, 0);
        self.tar
            .append_data(&mut header, format!("{path}/"), io::empty())
    }

    fn symlink(&mut self, path: &str, mode: u32, mtime: u64, target: &Path) -> io::Result<()> {
        let target_text = target.to_string_lossy();
        self.digest(b'l', path, mode, target_text.as_bytes());
        let mut header = Self::header(tar::EntryType::Symlink, mode, mtime, 0);
        self.tar.append_link(&mut header, path, target)
    }

    fn file(&mut self, path: &str, mode: u32, mtime: u64, content: &[u8]) -> io::Result<()> {
        let amended;
        let content = if path == ".dockerignore" && !self.hide.is_empty() {
            self.ignore_sent = true;
            let mut text = content.to_vec();
            text.push(b'\n');
            for name in &self.hide {
                text.extend_from_slice(name.as_bytes());
                text.push(b'\n');
            }
            amended = text;
            &amended[..]
        } else {
            content
        };
        self.digest(b'f', path, mode, content);
        let size = content.len() as u64;
        self.files += 1;
        self.bytes += size;
        if size >= LARGE_FILE_BYTES {
            self.heavy.push(Heavy {
                path: path.to_string(),
                kind: HeavyKind::LargeFile(size),
            });
        }
        let mut header = Self::header(tar::EntryType::Regular, mode, mtime, size);
        self.tar.append_data(&mut header, path, content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Writes `files` (path → content; a trailing `/` makes a directory) under a fresh temp dir.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, content) in files {
            let full = dir.path().join(path);
            if path.ends_with('/') {
                fs::create_dir_all(&full).expect("mkdir");
            } else {
                fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
                fs::write(&full, content).expect("write");
            }
        }
        dir
    }

    /// Entry names in tar order, directories with a trailing `/`.
    fn names(ctx: &Context) -> Vec<String> {
        let mut archive = tar::Archive::new(ctx.tar.as_slice());
        let entries = archive.entries().expect("tar entries");
        entries
            .map(|e| {
                let e = e.expect("tar entry");
                let path = e.path().expect("path").to_string_lossy().into_owned();
                match e.header().entry_type() {
                    tar::EntryType::Directory => format!("{}/", path.trim_end_matches('/')),
                    _ => path,
                }
            })
            .collect()
    }

    #[test]
    fn anchoring_matches_the_conformance_case() {
        let dir = tree(&[
            (
                ".dockerignore",
                "/datasets/*\nbuild/\nnode_modules\n**/*.pyc\n/.cache\n",
            ),
            ("Dockerfile", "FROM scratch\n"),
            (".cache/blob", "x"),
            ("build/out.o", "x"),
            ("datasets/big.bin", "x"),
            ("datasets/raw/part1", "x"),
            ("keep.txt", "x"),
            ("node_modules/a.js", "x"),
            ("pkg/node_modules/b.js", "x"),
            ("src/app.py", "x"),
            ("src/app.pyc", "x"),
            ("src/deep/mod.pyc", "x"),
            ("sub/build/out.o", "x"),
            ("top.pyc", "x"),
        ]);
        let ctx = create(dir.path(), "Dockerfile").expect("context");
        assert_eq!(
            names(&ctx),
            [
                ".dockerignore",
                "Dockerfile",
                "datasets/",
                "keep.txt",
                "pkg/",
                "pkg/node_modules/",
                "pkg/node_modules/b.js",
                "src/",
                "src/app.py",
                "src/deep/",
                "sub/",
                "sub/build/",
                "sub/build/out.o",
            ]
        );
        assert_eq!(ctx.files, 6);
        assert_eq!(ctx.dockerfile, "Dockerfile");
        assert!(
            !ctx.needs_classic,
            "nothing for the engine to drop: BuildKit will do"
        );
        assert_eq!(
            ctx.heavy,
            [Heavy {
                path: "pkg/node_modules".into(),
                kind: HeavyKind::NodeModules
            }]
        );
    }

    #[test]
    fn dockerfile_and_ignore_file_are_always_sent() {
        let dir = tree(&[
            (".dockerignore", "Dockerfile\n.dockerignore\n*.md\n"),
            ("Dockerfile", "FROM scratch\n"),
            ("app/README.md", "x"),
            ("notes.md", "x"),
            ("data.csv", "x"),
        ]);
        let ctx = create(dir.path(), "Dockerfile").expect("context");
        assert_eq!(
            names(&ctx),
            [
                ".dockerignore",
                "Dockerfile",
                "app/",
                "app/README.md",
                "data.csv"
            ]
        );
        assert!(
            ctx.needs_classic,
            "only the classic builder drops them before COPY"
        );
    }

    #[test]
    fn dockerfile_in_an_excluded_dir_is_still_sent() {
        let dir = tree(&[
            (".dockerignore", "docker\n"),
            ("docker/app.Dockerfile", "FROM scratch\n"),
            ("docker/other", "x"),
            ("main.sh", "x"),
        ]);
        let ctx = create(dir.path(), "docker/app.Dockerfile").expect("context");
        assert_eq!(
            names(&ctx),
            [".dockerignore", "docker/app.Dockerfile", "main.sh"]
        );
    }

    #[test]
    fn dockerfile_specific_ignore_file_wins() {
        let dir = tree(&[
            (".dockerignore", "a.txt\n"),
            ("docker/app.Dockerfile", "FROM scratch\n"),
            ("docker/app.Dockerfile.dockerignore", "b.txt\n"),
            ("a.txt", "x"),
            ("b.txt", "x"),
        ]);
        let ctx = create(dir.path(), "docker/app.Dockerfile").expect("context");
        assert_eq!(
            ctx.ignore_file.as_deref(),
            Some(
                dir.path()
                    .join("docker/app.Dockerfile.dockerignore")
                    .as_path()
            )
        );
        let got = names(&ctx);
        assert!(got.contains(&"a.txt".to_string()), "{got:?}");
        assert!(!got.contains(&"b.txt".to_string()), "{got:?}");
    }

    #[test]
    fn exceptions_reach_into_excluded_dirs_only_when_they_start_there() {
        let dir = tree(&[
            (".dockerignore", "vendor\n!vendor/keep/x\nlib\n!**/y\n"),
            ("Dockerfile", "FROM scratch\n"),
            ("vendor/keep/x", "x"),
            ("vendor/keep/z", "x"),
            ("vendor/other", "x"),
            ("lib/y", "x"),
        ]);
        let ctx = create(dir.path(), "Dockerfile").expect("context");
        // `lib/y` matches `!**/y`, but moby never walks into `lib`: no exception starts with it.
        assert_eq!(
            names(&ctx),
            [".dockerignore", "Dockerfile", "vendor/keep/x"]
        );
    }

    #[test]
    fn no_ignore_file_sends_everything_with_modes_and_symlinks() {
        let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("bin/run", "#!/bin/sh\n")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let run = dir.path().join("bin/run");
            fs::set_permissions(&run, fs::Permissions::from_mode(0o755)).expect("chmod");
            std::os::unix::fs::symlink("bin/run", dir.path().join("run")).expect("symlink");
        }
        let ctx = create(dir.path(), "Dockerfile").expect("context");
        assert_eq!(ctx.ignore_file, None);
        let mut archive = tar::Archive::new(ctx.tar.as_slice());
        let mut seen = Vec::new();
        for entry in archive.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            let header = entry.header().clone();
            let path = entry.path().expect("path").to_string_lossy().into_owned();
            let link = entry
                .link_name()
                .expect("link")
                .map(|l| l.to_string_lossy().into_owned());
            let mut body = String::new();
            entry.read_to_string(&mut body).expect("read");
            assert_eq!(
                (header.uid().expect("uid"), header.gid().expect("gid")),
                (0, 0)
            );
            seen.push((path, header.mode().expect("mode"), link, body));
        }
        #[cfg(unix)]
        {
            let run = seen
                .iter()
                .find(|s| s.0 == "bin/run")
                .expect("bin/run sent");
            assert_eq!(run.1, 0o755);
            assert_eq!(run.3, "#!/bin/sh\n");
            let link = seen.iter().find(|s| s.0 == "run").expect("symlink sent");
            assert_eq!(link.2.as_deref(), Some("bin/run"));
        }
        assert_eq!(
            ctx.bytes,
            ("FROM scratch\n".len() + "#!/bin/sh\n".len()) as u64
        );
    }

    /// Sets the mtime of `path` under `dir` to `secs` after the epoch.
    fn set_mtime(dir: &Path, path: &str, secs: u64) {
        let file = fs::File::options()
            .write(true)
            .open(dir.join(path))
            .expect("open");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        file.set_modified(t).expect("set mtime");
    }

    /// The mtime of each entry in the context tar, by path.
    fn mtimes(ctx: &Context) -> std::collections::BTreeMap<String, u64> {
        let mut archive = tar::Archive::new(ctx.tar.as_slice());
        archive
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                let path = e.path().expect("path").to_string_lossy().into_owned();
                (path, e.header().mtime().expect("mtime"))
            })
            .collect()
    }

    #[test]
    fn entries_carry_real_mtimes_but_the_digest_ignores_them() {
        let files = [("Dockerfile", "FROM scratch\n"), ("a/b.txt", "one")];
        let first_dir = tree(&files);
        set_mtime(first_dir.path(), "a/b.txt", 1_700_000_000);
        let first = create(first_dir.path(), "Dockerfile").expect("context");
        assert_eq!(mtimes(&first)["a/b.txt"], 1_700_000_000);
        assert!(
            mtimes(&first)["Dockerfile"] > 1_700_000_000,
            "{:?}",
            mtimes(&first)
        );

        let again_dir = tree(&files);
        set_mtime(again_dir.path(), "a/b.txt", 1_800_000_000);
        let again = create(again_dir.path(), "Dockerfile").expect("context");
        assert_eq!(mtimes(&again)["a/b.txt"], 1_800_000_000);
        assert_ne!(first.tar, again.tar);
        assert_eq!(first.digest, again.digest, "a touch changes no fingerprint");
        assert_eq!(first.digest.len(), 64);

        let changed = tree(&[("Dockerfile", "FROM scratch\n"), ("a/b.txt", "two")]);
        let changed = create(changed.path(), "Dockerfile").expect("context");
        assert_ne!(first.digest, changed.digest);

        let renamed = tree(&[("Dockerfile", "FROM scratch\n"), ("a/c.txt", "one")]);
        let renamed = create(renamed.path(), "Dockerfile").expect("context");
        assert_ne!(first.digest, renamed.digest);
    }

    #[test]
    fn heavy_paths_are_reported_once() {
        let dir = tree(&[
            ("Dockerfile", "FROM scratch\n"),
            (".git/HEAD", "ref"),
            ("web/node_modules/x/node_modules/y.js", "x"),
        ]);
        let ctx = create(dir.path(), "Dockerfile").expect("context");
        assert_eq!(
            ctx.heavy,
            [
                Heavy {
                    path: ".git".into(),
                    kind: HeavyKind::Git
                },
                Heavy {
                    path: "web/node_modules".into(),
                    kind: HeavyKind::NodeModules
                },
            ]
        );
    }

    /// The content of `path` in the context tar.
    fn read(ctx: &Context, path: &str) -> Option<String> {
        let mut archive = tar::Archive::new(ctx.tar.as_slice());
        for entry in archive.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            if entry.path().expect("path").to_string_lossy() == path {
                let mut body = String::new();
                entry.read_to_string(&mut body).expect("read");
                return Some(body);
            }
        }
        None
    }

    #[test]
    fn dockerfile_outside_the_context_gets_a_generated_name() {
        let root = tree(&[("Dockerfile", "FROM scratch\n"), ("ctx/a.txt", "x")]);
        let ctx = create(&root.path().join("ctx"), "../Dockerfile").expect("context");
        assert!(
            ctx.dockerfile.starts_with(".dockerfile."),
            "{}",
            ctx.dockerfile
        );
        assert_eq!(
            names(&ctx),
            ["a.txt", ctx.dockerfile.as_str(), ".dockerignore"]
        );
        assert_eq!(
            read(&ctx, &ctx.dockerfile).as_deref(),
            Some("FROM scratch\n")
        );
        // As the docker CLI does, the sent .dockerignore names the generated file (and itself)
        // so the classic builder leaves both out of `COPY .`.
        assert_eq!(
            read(&ctx, ".dockerignore"),
            Some(format!(".dockerignore\n{}\n", ctx.dockerfile))
        );
    }

    #[test]
    fn outside_dockerfile_is_appended_to_an_existing_dockerignore() {
        let root = tree(&[
            ("Dockerfile", "FROM scratch\n"),
            ("ctx/.dockerignore", "*.log"),
        ]);
        let ctx = create(&root.path().join("ctx"), "../Dockerfile").expect("context");
        assert_eq!(
            read(&ctx, ".dockerignore"),
            Some(format!("*.log\n{}\n", ctx.dockerfile))
        );
    }

    #[test]
    fn dockerfile_hidden_by_its_own_ignore_file_is_named_for_the_daemon() {
        let dir = tree(&[
            ("docker/app.Dockerfile", "FROM scratch\n"),
            ("docker/app.Dockerfile.dockerignore", "docker\n"),
            ("main.sh", "x"),
        ]);
        let ctx = create(dir.path(), "docker/app.Dockerfile").expect("context");
        assert_eq!(
            names(&ctx),
            ["docker/app.Dockerfile", "main.sh", ".dockerignore"]
        );
        assert_eq!(
            read(&ctx, ".dockerignore").as_deref(),
            Some(".dockerignore\ndocker/app.Dockerfile\n")
        );
    }

    #[test]
    fn root_dockerignore_is_sent_unchanged() {
        let dir = tree(&[
            (".dockerignore", "Dockerfile\n"),
            ("Dockerfile", "FROM scratch\n"),
        ]);
        let ctx = create(dir.path(), "Dockerfile").expect("context");
        assert_eq!(read(&ctx, ".dockerignore").as_deref(), Some("Dockerfile\n"));
    }

    #[test]
    fn inline_dockerfile_is_sent_under_a_generated_hidden_name() {
        let dir = tree(&[("app.txt", "x"), (".dockerignore", "*.log\n")]);
        let text = "FROM scratch\nCOPY app.txt /\n";
        let ctx = create_with(dir.path(), Dockerfile::Inline(text)).expect("context");
        assert!(
            ctx.dockerfile.starts_with(".dockerfile."),
            "{}",
            ctx.dockerfile
        );
        assert_eq!(read(&ctx, &ctx.dockerfile).as_deref(), Some(text));
        assert_eq!(
            read(&ctx, ".dockerignore"),
            Some(format!("*.log\n\n{}\n", ctx.dockerfile))
        );
        assert!(
            ctx.needs_classic,
            "only the classic builder hides it from COPY"
        );
        let other = create_with(dir.path(), Dockerfile::Inline("FROM busybox\n")).expect("context");
        assert_ne!(
            ctx.digest, other.digest,
            "the inline text is part of the digest"
        );
    }

    #[test]
    fn a_missing_dockerfile_is_named() {
        let dir = tree(&[("app.txt", "x")]);
        let err = create(dir.path(), "docker/Missing.Dockerfile").expect_err("no Dockerfile");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            format!(
                "cannot find Dockerfile {}",
                dir.path().join("docker/Missing.Dockerfile").display()
            )
        );
    }

    #[test]
    fn bad_pattern_is_an_error() {
        let dir = tree(&[(".dockerignore", "[\n"), ("Dockerfile", "FROM scratch\n")]);
        let err = create(dir.path(), "Dockerfile").expect_err("bad pattern");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
