//! The pretend phone: scanning the activation code installs the profile and
//! the operator hears about it through HandleDownloadProgressInfo.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tern_esim::ProfileState;
use tern_esim::client::{ConfirmOrder, DownloadOrder};
use tern_esim::emulator::DeviceInstallResponse;
use tern_esim::wire::HandleDownloadProgressInfoRequest;

use crate::helpers::{Running, eid, start_capture, start_notifying, start_with};

/// Posts to the device endpoint.
async fn install(smdp: &Running, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/device/install", smdp.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn installing_notifies_the_operator_with_points_3_then_4() {
    let capture = start_capture().await;
    let smdp = start_notifying(&capture, "s3cret-callback").await;
    let client = smdp.client();
    let p = client.provision_new().await.unwrap();
    let phone = eid(42);
    let before = Utc::now();

    let (status, body) = install(
        &smdp,
        json!({"activationCode": p.activation_code.to_string(), "eid": phone.as_str()}),
    )
    .await;

    assert_eq!(status, 200, "{body}");
    let done: DeviceInstallResponse = serde_json::from_value(body).unwrap();
    assert_eq!(done.state, ProfileState::Installed);
    assert_eq!(done.iccid, p.iccid.as_str());
    assert_eq!(done.notifications.len(), 2);
    assert!(done.notifications.iter().all(|n| n.delivered));

    let status = smdp.profile(&p.iccid).await;
    assert_eq!(status.state, ProfileState::Installed);
    assert_eq!(status.eid.as_deref(), Some(phone.as_str()));

    let seen = capture.requests.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for (request, point) in seen.iter().zip([3, 4]) {
        assert_eq!(request.path, "/gsma/rsp2/es2plus/handleDownloadProgressInfo");
        assert_eq!(request.headers["x-admin-protocol"].to_str().unwrap(), "gsma/rsp/v2.5.0");
        assert_eq!(
            request.headers["authorization"].to_str().unwrap(),
            "Bearer s3cret-callback"
        );
        assert_eq!(request.body["notificationPointId"], point);
        assert_eq!(
            request.body["notificationPointStatus"],
            json!({"status": "Executed-Success"})
        );
        assert_eq!(request.body["eid"], phone.as_str());
        assert_eq!(request.body["iccid"], p.iccid.as_str());
        assert_eq!(request.body["profileType"], "tern-standard");
        assert_eq!(request.body["header"]["functionRequesterIdentifier"], "smdp.tern.test");
        let stamp = request.body["timestamp"].as_str().unwrap();
        let at = DateTime::parse_from_rfc3339(stamp).unwrap();
        assert!(at >= before - chrono::Duration::seconds(1));
        // The shared wire type reads it, as Tern's HTTP layer will.
        let typed: HandleDownloadProgressInfoRequest = serde_json::from_value(request.body.clone()).unwrap();
        assert_eq!(typed.notification_point_id, point);
    }
    let ids: Vec<&Value> = seen
        .iter()
        .map(|r| &r.body["header"]["functionCallIdentifier"])
        .collect();
    assert_ne!(ids[0], ids[1]);

    // The activation code is single-use.
    let (status, body) = install(
        &smdp,
        json!({"activationCode": p.activation_code.to_string(), "eid": phone.as_str()}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "matching_id_already_used");
    assert_eq!(body["error"]["subjectCode"], "8.2.6");
    assert_eq!(body["error"]["reasonCode"], "3.8");
}

#[tokio::test]
async fn nineteen_digit_iccids_are_f_padded_in_notifications() {
    let capture = start_capture().await;
    let smdp = crate::helpers::start(tern_esim::EmulatorConfig {
        profile_count: 2,
        iccid_len: 19,
        callback: Some(tern_esim::emulator::CallbackConfig {
            base_url: format!("{}/", capture.url),
            bearer_secret: Some("x".into()),
            tls: Default::default(),
        }),
        ..tern_esim::EmulatorConfig::default()
    })
    .await;
    let p = smdp.client().provision_new().await.unwrap();
    let (status, _) = install(
        &smdp,
        json!({"activationCode": p.activation_code.to_string(), "eid": eid(1).as_str()}),
    )
    .await;
    assert_eq!(status, 200);
    let seen = capture.requests.lock().unwrap().clone();
    assert_eq!(seen[0].body["iccid"], format!("{}F", p.iccid));
}

#[tokio::test]
async fn the_phone_is_refused_with_stable_codes() {
    let smdp = start_with(5, 20).await;
    let client = smdp.client();
    let p = client.provision_new().await.unwrap();
    let code = p.activation_code.to_string();
    let cases = [
        (json!({"eid": eid(1).as_str()}), 422, "activation_code_missing"),
        (
            json!({"activationCode": "LPA:1$smdp.tern.test", "eid": eid(1).as_str()}),
            422,
            "activation_code_invalid",
        ),
        (
            json!({"activationCode": code, "eid": "89049032123451234512345678901236"}),
            422,
            "eid_bad_check_digits",
        ),
        (
            json!({"activationCode": format!("LPA:1$smdp.other.test${}", p.matching_id), "eid": eid(1).as_str()}),
            403,
            "smdp_address_mismatch",
        ),
        (
            json!({"activationCode": "LPA:1$smdp.tern.test$NO-SUCH-ORDER", "eid": eid(1).as_str()}),
            404,
            "matching_id_refused",
        ),
        (json!([1, 2]), 400, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let (got_status, got) = install(&smdp, body.clone()).await;
        assert_eq!(got_status, status, "{body}: {got}");
        assert_eq!(got["error"]["code"], code, "{body}: {got}");
    }

    // A linked order installs only on its eUICC.
    let linked = client
        .download_order(&DownloadOrder {
            eid: Some(eid(1)),
            ..DownloadOrder::default()
        })
        .await
        .unwrap();
    let confirmed = client
        .confirm_order(&ConfirmOrder::new(linked.clone(), false))
        .await
        .unwrap();
    let body = json!({"activationCode": confirmed.activation_code.to_string(), "eid": eid(2).as_str()});
    let (status, got) = install(&smdp, body).await;
    assert_eq!(
        (status, got["error"]["code"].as_str()),
        (409, Some("profile_not_released"))
    );
    client.release_profile(&linked).await.unwrap();
    let body = json!({"activationCode": confirmed.activation_code.to_string(), "eid": eid(2).as_str()});
    let (status, got) = install(&smdp, body).await;
    assert_eq!((status, got["error"]["code"].as_str()), (403, Some("eid_refused")));
    assert_eq!(got["error"]["subjectCode"], "8.1.1");
    let body = json!({"activationCode": confirmed.activation_code.to_string(), "eid": eid(1).as_str()});
    let (status, _) = install(&smdp, body).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_confirmation_code_must_be_given_and_right() {
    let smdp = start_with(2, 20).await;
    let client = smdp.client();
    let iccid = client.download_order(&DownloadOrder::default()).await.unwrap();
    let mut confirm = ConfirmOrder::new(iccid, true);
    confirm.confirmation_code = Some("4711".into());
    let code = client
        .confirm_order(&confirm)
        .await
        .unwrap()
        .activation_code
        .to_string();

    let (status, got) = install(&smdp, json!({"activationCode": code, "eid": eid(1).as_str()})).await;
    assert_eq!(
        (status, got["error"]["code"].as_str()),
        (403, Some("confirmation_code_missing"))
    );
    let (_, got) = install(
        &smdp,
        json!({"activationCode": code, "eid": eid(1).as_str(), "confirmationCode": "0000"}),
    )
    .await;
    assert_eq!(got["error"]["code"], "confirmation_code_refused");
    let (status, _) = install(
        &smdp,
        json!({"activationCode": code, "eid": eid(1).as_str(), "confirmationCode": "4711"}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_failed_installation_reports_error_and_can_be_cancelled() {
    let capture = start_capture().await;
    let smdp = start_notifying(&capture, "s").await;
    let client = smdp.client();
    let p = client.provision_new().await.unwrap();

    let (status, body) = install(
        &smdp,
        json!({"activationCode": p.activation_code.to_string(), "eid": eid(3).as_str(), "simulateFailure": true}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "Error");
    let seen = capture.requests.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body["notificationPointId"], 3);
    assert_eq!(seen[0].body["notificationPointStatus"]["status"], "Failed");
    assert_eq!(
        seen[0].body["notificationPointStatus"]["statusCodeData"]["subjectCode"],
        "8.2.10"
    );

    client
        .cancel_order(&tern_esim::client::CancelOrder {
            iccid: p.iccid.clone(),
            eid: None,
            matching_id: Some(p.matching_id),
            final_status: tern_esim::wire::FinalProfileStatus::Available,
        })
        .await
        .unwrap();
    assert_eq!(smdp.emulator.profile_state(&p.iccid), Some(ProfileState::Available));
}

#[tokio::test]
async fn an_unreachable_operator_does_not_undo_the_installation() {
    let smdp = crate::helpers::start(tern_esim::EmulatorConfig {
        profile_count: 1,
        callback: Some(tern_esim::emulator::CallbackConfig {
            base_url: "http://127.0.0.1:9".into(),
            bearer_secret: Some("x".into()),
            tls: Default::default(),
        }),
        ..tern_esim::EmulatorConfig::default()
    })
    .await;
    let p = smdp.client().provision_new().await.unwrap();
    let (status, body) = install(
        &smdp,
        json!({"activationCode": p.activation_code.to_string(), "eid": eid(1).as_str()}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "Installed");
    assert_eq!(body["notifications"][0]["delivered"], false);
}
