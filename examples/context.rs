//! Shows what a build would send: `cargo run --example context -- DIR [DOCKERFILE]`.
//! Prints every path in the context tar, then counts, the digest and any heavy paths.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let dockerfile = args.next().unwrap_or_else(|| "Dockerfile".into());
    let ctx = mls::context::create(&dir, &dockerfile)?;
    let mut archive = tar::Archive::new(ctx.tar.as_slice());
    for entry in archive.entries()? {
        println!("{}", entry?.path()?.display());
    }
    eprintln!(
        "{} files, {} bytes, dockerfile {}, ignore file {:?}",
        ctx.files, ctx.bytes, ctx.dockerfile, ctx.ignore_file
    );
    eprintln!("digest {}", ctx.digest);
    for heavy in &ctx.heavy {
        eprintln!("heavy: {} ({:?})", heavy.path, heavy.kind);
    }
    Ok(())
}
