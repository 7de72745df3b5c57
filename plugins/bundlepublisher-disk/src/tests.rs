use serde_json::json;
use spire_spiffe::bundle::{Bundle, X509Authority};

use super::*;

fn ca_der() -> Vec<u8> {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .self_signed(&key)
        .expect("self-signed CA")
        .der()
        .to_vec()
}

fn bundle_with(authorities: usize) -> Bundle {
    Bundle {
        trust_domain: "example.org".into(),
        x509_authorities: (0..authorities)
            .map(|_| X509Authority {
                der: ca_der(),
                tainted: false,
            })
            .collect(),
        sequence_number: 3,
        ..Bundle::default()
    }
}

#[test]
fn format_defaults_to_pem_and_path_is_required() {
    let c = DiskPublisherConfig::from_plugin_data(&json!({"path": "/x/b.pem"})).expect("valid");
    assert_eq!(c.format, BundleFormat::Pem);
    assert_eq!(c.path, std::path::PathBuf::from("/x/b.pem"));
    let err = DiskPublisherConfig::from_plugin_data(&json!({})).expect_err("no path");
    assert_eq!(err.to_string(), "plugin_data key \"path\": is required");
}

#[test]
fn unknown_keys_and_formats_are_named() {
    let err = DiskPublisherConfig::from_plugin_data(&json!({"path": "/b", "mode": "0600"}))
        .expect_err("unknown key");
    assert_eq!(
        err.to_string(),
        "plugin_data key \"mode\": unknown configuration key"
    );
    let err = DiskPublisherConfig::from_plugin_data(&json!({"path": "/b", "format": "der"}))
        .expect_err("bad format");
    assert_eq!(
        err.to_string(),
        "plugin_data key \"format\": \"der\" is not one of \"pem\", \"spiffe\""
    );
}

#[test]
fn pem_holds_every_x509_authority_and_reads_back() {
    let bundle = bundle_with(2);
    let bytes = render(&bundle, BundleFormat::Pem).expect("render");
    let text = String::from_utf8(bytes).expect("utf8");
    let back = Bundle::from_pem("example.org", &text).expect("parse");
    assert_eq!(back.x509_authorities, bundle.x509_authorities);
}

#[test]
fn spiffe_format_is_the_bundle_document() {
    let bundle = bundle_with(1);
    let bytes = render(&bundle, BundleFormat::Spiffe).expect("render");
    let text = String::from_utf8(bytes).expect("utf8");
    let back = Bundle::from_spiffe_json("example.org", &text).expect("parse");
    assert_eq!(back.x509_authorities, bundle.x509_authorities);
    assert_eq!(back.sequence_number, 3);
}

#[test]
fn refuses_to_write_an_empty_pem() {
    let err = render(&bundle_with(0), BundleFormat::Pem).expect_err("empty");
    assert_eq!(
        err.to_string(),
        "bundle of example.org has no X.509 authorities to write as PEM"
    );
}

#[test]
fn publish_replaces_the_file_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sub/bundle.pem");
    let publisher = DiskBundlePublisher::from_plugin_data(
        &json!({"path": path.display().to_string(), "format": "pem"}),
    )
    .expect("config");
    publisher.publish(&bundle_with(1)).expect("first");
    let second = bundle_with(2);
    publisher.publish(&second).expect("second");
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(text, second.x509_pem());
    let names: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("bundle.pem")]);
}

#[test]
fn a_failed_write_names_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").expect("write");
    let path = blocker.join("bundle.pem");
    let publisher =
        DiskBundlePublisher::from_plugin_data(&json!({"path": path.display().to_string()}))
            .expect("config");
    let err = publisher
        .publish(&bundle_with(1))
        .expect_err("parent is a file");
    assert!(
        err.to_string()
            .starts_with(&format!("writing {}: ", path.display())),
        "{err}"
    );
}
