use std::time::Duration;

use super::*;

#[test]
fn postgres_key_value_dsn_sets_every_field() {
    let o = postgres_options(
        "dbname=spire user=spire password='se cret' host=db.example port=6543 sslmode=disable",
    )
    .expect("valid DSN");
    assert_eq!(o.get_database(), Some("spire"));
    assert_eq!(o.get_username(), "spire");
    assert_eq!(o.get_host(), "db.example");
    assert_eq!(o.get_port(), 6543);
    assert!(matches!(o.get_ssl_mode(), PgSslMode::Disable));
}

#[test]
fn postgres_url_is_accepted() {
    let o = postgres_options("postgres://u:p@10.0.0.1:5433/spire?sslmode=disable").expect("url");
    assert_eq!(o.get_database(), Some("spire"));
    assert_eq!(o.get_port(), 5433);
    assert_eq!(o.get_host(), "10.0.0.1");
}

#[test]
fn postgres_errors_name_the_bad_part() {
    let cases = [
        ("", "must not be empty"),
        ("dbname=spire bogus=1", "unsupported parameter \"bogus\""),
        ("dbname=spire port=x", "port \"x\""),
        ("dbname=spire sslmode=sometimes", "sslmode \"sometimes\""),
        ("dbname='spire", "closing quote"),
        ("just-a-word", "not followed by '='"),
    ];
    for (input, want) in cases {
        let err = postgres_options(input).expect_err(input).to_string();
        assert!(err.contains(want), "{input:?}: {err}");
        assert!(err.contains("postgres connection_string"), "{err}");
    }
}

#[test]
fn mysql_go_dsn_sets_every_field() {
    let o =
        mysql_options("spire:p@ss:w/rd@tcp(db.example:3307)/spire?parseTime=true&charset=utf8mb4")
            .expect("valid DSN");
    assert_eq!(o.get_database(), Some("spire"));
    assert_eq!(o.get_username(), "spire");
    assert_eq!(o.get_host(), "db.example");
    assert_eq!(o.get_port(), 3307);
    assert_eq!(o.get_charset(), "utf8mb4");
}

#[test]
fn mysql_dsn_defaults_and_socket() {
    let o = mysql_options("root@/spire").expect("defaults");
    assert_eq!((o.get_host(), o.get_port()), ("127.0.0.1", 3306));
    let o = mysql_options("u:p@unix(/run/mysqld/mysqld.sock)/spire").expect("socket");
    assert_eq!(
        o.get_socket().map(|p| p.display().to_string()),
        Some("/run/mysqld/mysqld.sock".to_owned())
    );
    let o = mysql_options("u@tcp([::1]:3310)/spire").expect("ipv6");
    assert_eq!((o.get_host(), o.get_port()), ("::1", 3310));
}

#[test]
fn mysql_errors_name_the_bad_part() {
    let cases = [
        ("", "must not be empty"),
        ("spire:pw@tcp(db:3306)", "no '/dbname'"),
        ("u@tcp(db:port)/spire", "port \"port\""),
        ("u@tcp(db:3306/spire", "closing ')'"),
        ("u@udp(db:3306)/spire", "network \"udp\""),
        ("u@tcp(db:3306)/spire?tls=true", "tls=\"true\""),
        (
            "u@tcp(db:3306)/spire?frobnicate=1",
            "unsupported parameter \"frobnicate\"",
        ),
    ];
    for (input, want) in cases {
        let err = mysql_options(input).expect_err(input).to_string();
        assert!(err.contains(want), "{input:?}: {err}");
        assert!(!err.contains("pw@"), "password leaked: {err}");
    }
}

#[test]
fn go_durations_parse_like_time_parse_duration() {
    let d = |s| go_duration(s, "conn_max_lifetime").expect(s);
    assert_eq!(d("90s"), Duration::from_secs(90));
    assert_eq!(d("1h30m"), Duration::from_secs(5400));
    assert_eq!(d("250ms"), Duration::from_millis(250));
    assert_eq!(d("1.5m"), Duration::from_secs(90));
    assert_eq!(d("0"), Duration::ZERO);
}

#[test]
fn bad_go_duration_names_the_field() {
    for input in ["", "10", "5 minutes", "s", "-1s"] {
        let err = go_duration(input, "conn_max_lifetime")
            .expect_err(input)
            .to_string();
        assert!(err.contains("conn_max_lifetime"), "{input:?}: {err}");
    }
}
