//! Routing: normalisation, prefixes, e-mail, portability overrides (SQLite).

use ferry_interconnect::{DeliveryMethod, Portability, Route, Router, RoutingConfig};
use ferry_service::db::Db;

fn config() -> RoutingConfig {
    toml::from_str(
        r#"
country_code = "49"
trunk_prefix = "0"
international_prefix = "00"
own_ranges = ["+49151", "+49160"]
local_domains = ["mms.a.example", "mail.a.example"]

[[operators]]
name = "b"
ranges = ["+49170", "+491711"]
mmsc_url = "smtp://mms.b.example:25"
method = "mm4"
mm4_domain = "mms.b.example"

[[operators]]
name = "c"
ranges = ["+4917"]
mmsc_url = "http://mmsc.c.example/mms"
method = "sender-hosted"
"#,
    )
    .unwrap()
}

fn local(m: &str) -> Route {
    Route::Local { msisdn: m.into() }
}

fn op_b(m: &str) -> Route {
    Route::Operator {
        name: "b".into(),
        msisdn: m.into(),
        mmsc_url: "smtp://mms.b.example:25".into(),
        method: DeliveryMethod::Mm4,
        mm4_domain: Some("mms.b.example".into()),
    }
}

fn op_c(m: &str) -> Route {
    Route::Operator {
        name: "c".into(),
        msisdn: m.into(),
        mmsc_url: "http://mmsc.c.example/mms".into(),
        method: DeliveryMethod::SenderHosted,
        mm4_domain: None,
    }
}

#[test]
fn normalisation_table() {
    let r = Router::new(config());
    let table: &[(&str, Result<&str, ()>)] = &[
        ("+4915112345678", Ok("+4915112345678")),
        ("015112345678", Ok("+4915112345678")),
        ("004915112345678", Ok("+4915112345678")),
        ("0151 1234-5678", Ok("+4915112345678")),
        ("(0151) 123.456.78", Ok("+4915112345678")),
        ("+4915112345678/TYPE=PLMN", Ok("+4915112345678")),
        ("tel:+4915112345678", Ok("+4915112345678")),
        ("4915112345678", Ok("+4915112345678")),
        ("+49abc", Err(())),
        ("+1234567890123456", Err(())),
        ("", Err(())),
    ];
    for (input, want) in table {
        assert_eq!(
            r.normalise(input).map_err(|_| ()),
            want.map(str::to_owned),
            "{input:?}"
        );
    }
}

#[test]
fn routes_table() {
    let r = Router::new(config());
    let table: Vec<(&str, Route)> = vec![
        ("+4915112345678/TYPE=PLMN", local("+4915112345678")),
        ("016012345678", local("+4916012345678")),
        ("+4917012345678", op_b("+4917012345678")),
        ("+4917112345678", op_b("+4917112345678")), // longest prefix: +491711 (b) over +4917 (c)
        ("+4917212345678", op_c("+4917212345678")),
        ("+4915112345678@mail.a.example", local("+4915112345678")),
        (
            "+4917012345678/TYPE=PLMN@mms.b.example",
            op_b("+4917012345678"),
        ),
        (
            "alice@example.org",
            Route::Email("alice@example.org".into()),
        ),
        (
            "<alice@example.org>",
            Route::Email("alice@example.org".into()),
        ),
    ];
    for (addr, want) in table {
        assert_eq!(r.resolve(addr), want, "{addr}");
    }
    for bad in [
        "+3312345678",
        "10.0.0.1/TYPE=IPv4",
        "nobody@localhost",
        "",
        "+49 15x",
    ] {
        assert!(
            matches!(r.resolve(bad), Route::Unroutable(_)),
            "{bad}: {:?}",
            r.resolve(bad)
        );
    }
    match r.resolve("+3312345678") {
        Route::Unroutable(reason) => assert!(reason.contains("+3312345678"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn portability_overrides_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("routing.db")).await.unwrap();
    let store = Portability::open(db.clone()).await.unwrap();
    let r = Router::with_portability(config(), &store).await.unwrap();

    // Ported out: one of our numbers now at operator b.
    assert_eq!(
        r.port(&store, "015112345678", Some("b")).await.unwrap(),
        "+4915112345678"
    );
    assert_eq!(r.resolve("+4915112345678"), op_b("+4915112345678"));
    // Ported in: b's number now ours.
    r.port(&store, "+4917099999999", Some("local"))
        .await
        .unwrap();
    assert_eq!(r.resolve("017099999999"), local("+4917099999999"));
    // Unknown operators are refused.
    assert!(r.port(&store, "+4915100000000", Some("zz")).await.is_err());
    // The table is durable: a new router sees it.
    let r2 = Router::with_portability(config(), &store).await.unwrap();
    assert_eq!(r2.resolve("+4915112345678"), op_b("+4915112345678"));
    assert_eq!(store.list().await.unwrap().len(), 2);
    // Ported back.
    r.port(&store, "+4915112345678", None).await.unwrap();
    assert_eq!(r.resolve("+4915112345678"), local("+4915112345678"));
    assert_eq!(store.get("+4915112345678").await.unwrap(), None);
    // An entry naming an operator no longer configured is a clear failure.
    store.set("+4916011111111", "gone").await.unwrap();
    r.reload(&store).await.unwrap();
    assert!(
        matches!(r.resolve("+4916011111111"), Route::Unroutable(ref why) if why.contains("gone"))
    );
    db.close().await;
}
