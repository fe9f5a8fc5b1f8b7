//! Whatever a client sends, the emulator answers in ES2+ shape: HTTP 200
//! with a Failed header and a status code (SGP.22 §6.3), never a 4xx/5xx.

use proptest::prelude::*;
use serde_json::{Value, json};
use tern_esim::wire::Es2Function;

use crate::helpers::start_with;

/// `(subjectCode, reasonCode)` of a Failed answer.
fn failure(body: &Value) -> (String, String) {
    let status = &body["header"]["functionExecutionStatus"];
    assert_eq!(status["status"], "Failed", "{body}");
    let data = &status["statusCodeData"];
    (
        data["subjectCode"].as_str().unwrap().to_owned(),
        data["reasonCode"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn garbage_bodies_get_a_failed_answer() {
    let smdp = start_with(3, 20).await;
    let header = json!({"functionRequesterIdentifier": "op", "functionCallIdentifier": "c1"});
    let cases: Vec<(&str, String, u16, (&str, &str))> = vec![
        ("downloadOrder", "not json".into(), 200, ("1.3.1", "2.1")),
        ("downloadOrder", "".into(), 200, ("1.3.1", "2.1")),
        ("confirmOrder", "[1,2,3]".into(), 200, ("1.3.1", "2.1")),
        ("cancelOrder", "null".into(), 200, ("1.3.1", "2.1")),
        (
            "confirmOrder",
            json!({"header": header, "iccid": 12, "releaseFlag": true}).to_string(),
            200,
            ("1.3.1", "2.1"),
        ),
        (
            "confirmOrder",
            json!({"header": header, "iccid": "89882470000000000014", "releaseFlag": "yes"}).to_string(),
            200,
            ("1.3.1", "2.1"),
        ),
        (
            "downloadOrder",
            json!({"header": header}).to_string(),
            200,
            ("1.3.1", "2.3"),
        ),
        (
            "releaseProfile",
            json!({"iccid": "x"}).to_string(),
            200,
            ("1.3.1", "2.2"),
        ),
        (
            "releaseProfile",
            json!({"header": {"functionRequesterIdentifier": "op"}, "iccid": "x"}).to_string(),
            200,
            ("1.3.1", "2.2"),
        ),
        (
            "releaseProfile",
            json!({"header": {"functionCallIdentifier": "c"}}).to_string(),
            200,
            ("1.3.1", "2.2"),
        ),
        (
            "releaseProfile",
            json!({"header": header}).to_string(),
            200,
            ("8.2.1", "2.2"),
        ),
        (
            "releaseProfile",
            json!({"header": header, "iccid": "898824700000000000X"}).to_string(),
            200,
            ("8.2.1", "2.1"),
        ),
        (
            // Digits with a wrong check digit are a well-formed ICCID the
            // SM-DP+ simply does not have.
            "releaseProfile",
            json!({"header": header, "iccid": "8988247000000000002"}).to_string(),
            200,
            ("8.2.1", "3.9"),
        ),
        (
            "downloadOrder",
            json!({"header": header, "eid": "123"}).to_string(),
            200,
            ("8.1.1", "2.1"),
        ),
        (
            "cancelOrder",
            json!({"header": header, "iccid": "89882470000000000014", "finalProfileStatusIndicator": "Gone"})
                .to_string(),
            200,
            ("1.3.1", "2.1"),
        ),
        (
            "cancelOrder",
            json!({"header": header, "iccid": "89882470000000000014"}).to_string(),
            200,
            ("8.2.1", "2.2"),
        ),
        (
            "confirmOrder",
            json!({"header": header, "iccid": "89882470000000000014"}).to_string(),
            200,
            ("1.3.1", "2.2"),
        ),
        // Not functions an SM-DP+ offers: getProfileStatus is no ES2+
        // function, and the operator serves handleDownloadProgressInfo.
        (
            "getProfileStatus",
            json!({"header": header, "iccidList": []}).to_string(),
            200,
            ("1.6", "3.1"),
        ),
        (
            "handleDownloadProgressInfo",
            json!({"header": header}).to_string(),
            200,
            ("1.6", "3.1"),
        ),
    ];
    for (function, body, status, (subject, reason)) in cases {
        let (got_status, got) = smdp.post_raw(function, body.clone()).await;
        assert_eq!(got_status, status, "{function} {body}: {got}");
        let (s, r) = failure(&got);
        assert_eq!((s.as_str(), r.as_str()), (subject, reason), "{function} {body}");
    }
}

#[tokio::test]
async fn the_admin_protocol_header_is_required_and_echoed() {
    let smdp = start_with(5, 20).await;
    let url = format!("{}/gsma/rsp2/es2plus/downloadOrder", smdp.url());
    let body = json!({
        "header": {"functionRequesterIdentifier": "op", "functionCallIdentifier": "c"},
        "profileType": "tern-standard",
    });
    let http = reqwest::Client::new();

    let refused = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(refused.status(), 200);
    assert_eq!(refused.headers()["x-admin-protocol"], "gsma/rsp/v2.5.0");
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(failure(&refused), ("1.3.2".into(), "3.1".into()));
    for wrong in [
        "gsma/rsp/v3.0.0",
        "gsma/rsp/v2.5",
        "gsma/rsp/v2",
        "v2.5.0",
        "gsma/rsp/v2.x.0",
    ] {
        let refused = http
            .post(&url)
            .header("X-Admin-Protocol", wrong)
            .json(&body)
            .send()
            .await
            .unwrap();
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(failure(&refused), ("1.3.2".into(), "3.1".into()), "{wrong}");
    }
    // Later minor and patch versions of v2 speak the same binding.
    for later in ["gsma/rsp/v2.5.1", "gsma/rsp/v2.6.0", "gsma/rsp/v2.10.3"] {
        let ok = http
            .post(&url)
            .header("X-Admin-Protocol", later)
            .json(&body)
            .send()
            .await
            .unwrap();
        let ok: Value = ok.json().await.unwrap();
        assert_eq!(
            ok["header"]["functionExecutionStatus"]["status"], "Executed-Success",
            "{later}: {ok}"
        );
    }

    let ok = http
        .post(&url)
        .header("X-Admin-Protocol", "gsma/rsp/v2.5.0")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["x-admin-protocol"], "gsma/rsp/v2.5.0");
    let ok: Value = ok.json().await.unwrap();
    assert_eq!(ok["header"]["functionExecutionStatus"]["status"], "Executed-Success");
    assert_eq!(ok["iccid"].as_str().unwrap().len(), 20);
}

/// Keys the functions know, and some they don't.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("header".to_owned()),
        Just("iccid".to_owned()),
        Just("eid".to_owned()),
        Just("matchingId".to_owned()),
        Just("releaseFlag".to_owned()),
        Just("finalProfileStatusIndicator".to_owned()),
        Just("iccidList".to_owned()),
        Just("profileType".to_owned()),
        Just("functionCallIdentifier".to_owned()),
        "[a-zA-Z]{1,8}",
    ]
}

/// Any JSON value, biased towards ES2+ field names.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,24}".prop_map(Value::from),
        "89[0-9]{16,18}F?".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A body: raw bytes, any JSON, or an object with a valid header and
/// random fields (to get past the header checks).
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec((key(), json_value()), 0..6).prop_map(|kv| {
            let mut map: serde_json::Map<String, Value> = kv.into_iter().collect();
            map.insert(
                "header".into(),
                json!({"functionRequesterIdentifier": "op", "functionCallIdentifier": "c"}),
            );
            Value::Object(map).to_string().into_bytes()
        }),
    ]
}

#[test]
fn any_body_gets_an_es2_answer_never_a_500() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let smdp = rt.block_on(start_with(50, 19));
    let functions: Vec<&str> = Es2Function::ALL.iter().map(|f| f.name()).collect();
    proptest!(ProptestConfig::with_cases(200), |(body in body(), f in 0..functions.len())| {
        let (status, answer) = rt.block_on(smdp.post_raw(functions[f], body));
        prop_assert_eq!(status, 200, "{}", answer);
        let outcome = answer["header"]["functionExecutionStatus"]["status"].as_str();
        prop_assert!(
            matches!(outcome, Some("Failed") | Some("Executed-Success")),
            "{answer}"
        );
    });
}

#[test]
fn any_body_to_the_device_endpoint_gets_a_json_error_never_a_500() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let smdp = rt.block_on(start_with(5, 20));
    let url = format!("{}/device/install", smdp.url());
    let http = reqwest::Client::new();
    proptest!(ProptestConfig::with_cases(100), |(body in body())| {
        let (status, answer) = rt.block_on(async {
            let r = http.post(&url).body(body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        });
        prop_assert!((400..500).contains(&status), "status {status}: {answer}");
        prop_assert!(answer["error"]["code"].is_string(), "{answer}");
    });
}
