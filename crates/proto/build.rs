//! Compiles every `.proto` under the workspace's `proto/` directory with
//! protox (pure Rust, no system protoc) and generates prost messages, tonic
//! clients and servers, and protojson-compatible serde impls (pbjson). The
//! encoded descriptor set is written next to the generated code for gRPC
//! reflection.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use prost_types::{DescriptorProto, FileDescriptorProto, FileDescriptorSet};

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
    let descriptor_set = prost::Message::encode_to_vec(&fds);
    std::fs::write(out_dir.join("spire_descriptor.bin"), &descriptor_set)?;

    let pbjson_files = pbjson_files(&fds);
    let presence_fields = proto3_optional_fields(&fds);

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;

    // serde impls following Go's protojson as the SPIRE CLIs configure it
    // (`UseProtoNames`, `EmitUnpopulated`): snake_case names, defaults
    // emitted, 64-bit integers as strings, bytes as base64, enums by name.
    let mut pbjson = pbjson_build::Builder::new();
    for file in pbjson_files {
        pbjson.register_file_descriptor(file);
    }
    let generated = pbjson
        .preserve_proto_field_names()
        .emit_fields()
        // Its `claims` is a google.protobuf.Struct, for which prost-types has
        // no serde impls; the CLI prints that response by hand.
        .exclude([".google", ".workload.ValidateJWTSVIDResponse"])
        .generate(&["."], |_| Ok(Vec::new()))?;
    for (package, code) in generated {
        let code = String::from_utf8(code)?;
        let code = emit_unset_messages_as_null(&code, &presence_fields);
        std::fs::write(out_dir.join(format!("{package}.serde.rs")), code)?;
    }
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

/// Name under which pbjson sees the package-less workload.proto; the serde
/// impls it generates land in `workload.serde.rs`.
const WORKLOAD_PSEUDO_PACKAGE: &str = "workload";

/// The files handed to pbjson. pbjson insists on a proto package, so the
/// package-less workload.proto is given a pseudo package (with every type
/// reference inside it requalified). The generated impls refer to sibling
/// types by bare name, so they still fit the real, package-less Rust module.
fn pbjson_files(fds: &FileDescriptorSet) -> Vec<FileDescriptorProto> {
    fds.file
        .iter()
        .map(|file| {
            if file.package.as_deref().unwrap_or_default().is_empty() {
                with_pseudo_package(file.clone())
            } else {
                file.clone()
            }
        })
        .collect()
}

fn with_pseudo_package(mut file: FileDescriptorProto) -> FileDescriptorProto {
    file.package = Some(WORKLOAD_PSEUDO_PACKAGE.to_owned());
    for message in &mut file.message_type {
        requalify(message);
    }
    file
}

fn requalify(message: &mut DescriptorProto) {
    for field in &mut message.field {
        if let Some(name) = field.type_name.as_mut()
            && !name.starts_with(".google.")
        {
            *name = format!(".{WORKLOAD_PSEUDO_PACKAGE}{name}");
        }
    }
    for nested in &mut message.nested_type {
        requalify(nested);
    }
}

/// Names of fields declared `optional` in proto3. protojson treats them like
/// oneof members: left out when unset, even with `EmitUnpopulated`.
fn proto3_optional_fields(fds: &FileDescriptorSet) -> HashSet<String> {
    fn walk(message: &DescriptorProto, out: &mut HashSet<String>) {
        for field in &message.field {
            if field.proto3_optional() {
                out.insert(field.name().to_owned());
            }
        }
        for nested in &message.nested_type {
            walk(nested, out);
        }
    }
    let mut out = HashSet::new();
    for file in &fds.file {
        for message in &file.message_type {
            walk(message, &mut out);
        }
    }
    out
}

/// pbjson leaves an unset singular message field out of the JSON even with
/// `emit_fields`; Go's protojson with `EmitUnpopulated` writes it as `null`
/// (e.g. `"entry": null` in a failed batch result). Rewrite
///
/// ```text
/// if let Some(v) = self.NAME.as_ref() {
///     struct_ser.serialize_field("NAME", v)?;
/// }
/// ```
///
/// into an unconditional `serialize_field("NAME", &self.NAME)`, which serde
/// turns into `null` for `None`. Oneofs are generated differently (a
/// `match`) and proto3 `optional` fields are skipped, as protojson does.
fn emit_unset_messages_as_null(code: &str, presence_fields: &HashSet<String>) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < lines.len() {
        if let Some(rewritten) = rewrite_optional_field(&lines[i..], presence_fields) {
            out.push_str(&rewritten);
            i += 3;
        } else {
            out.push_str(lines[i]);
            out.push('\n');
            i += 1;
        }
    }
    out
}

fn rewrite_optional_field(lines: &[&str], presence_fields: &HashSet<String>) -> Option<String> {
    let [open, body, close, ..] = lines else {
        return None;
    };
    let indent = &open[..open.len() - open.trim_start().len()];
    let field = open
        .trim()
        .strip_prefix("if let Some(v) = self.")?
        .strip_suffix(".as_ref() {")?;
    let json_name = field.strip_prefix("r#").unwrap_or(field);
    let expected_body = format!("struct_ser.serialize_field(\"{json_name}\", v)?;");
    if body.trim() != expected_body || close.trim() != "}" || presence_fields.contains(json_name) {
        return None;
    }
    Some(format!(
        "{indent}struct_ser.serialize_field(\"{json_name}\", &self.{field})?;\n"
    ))
}
