//! Compiles every `.proto` under the workspace's `proto/` directory with
//! protox (pure Rust, no system protoc) and generates prost messages plus
//! tonic clients and servers. The encoded descriptor set is written next to
//! the generated code for gRPC reflection.

use std::io;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut files = Vec::new();
    collect_protos(&proto_root, &proto_root, &mut files)?;
    files.sort();
    println!("cargo:rerun-if-changed={}", proto_root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", proto_root.join(file).display());
    }

    let fds = protox::compile(&files, [&proto_root])?;
    std::fs::write(
        out_dir.join("spire_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}

/// Every `.proto` below `dir`, as a path relative to `root` (protox wants
/// names relative to an include directory so imports resolve).
fn collect_protos(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(root, &path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            let rel = path
                .strip_prefix(root)
                .map_err(|e| io::Error::other(e.to_string()))?;
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}
