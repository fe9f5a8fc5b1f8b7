//! What the SM-DP+ refuses, and the typed errors the client turns it into.

use serde_json::json;
use tern_domain::ids::Iccid;
use tern_esim::client::{CancelOrder, ConfirmOrder, DownloadOrder};
use tern_esim::codes;
use tern_esim::wire::{Es2Function, FinalProfileStatus};
use tern_esim::{Es2Error, ProfileState};

use crate::helpers::{eid, start_with};

/// Asserts `error` is a refusal with `code`.
fn assert_refused(error: &Es2Error, code: codes::StatusCode) {
    assert!(error.is(code), "expected {code}, got {error:?}");
    assert_eq!(error.code(), "es2_failed");
}

#[tokio::test]
async fn unknown_iccid_is_8_2_1_and_3_9() {
    let smdp = start_with(2, 20).await;
    let client = smdp.client();
    let stranger = Iccid::from_prefix_and_serial("8988247999", 1, 20).unwrap();

    let error = client.release_profile(&stranger).await.unwrap_err();
    assert!(error.is_iccid_unknown(), "{error:?}");
    match &error {
        Es2Error::Failed {
            function,
            subject_code,
            reason_code,
            subject_identifier,
            ..
        } => {
            assert_eq!(*function, Es2Function::ReleaseProfile);
            assert_eq!((subject_code.as_str(), reason_code.as_str()), ("8.2.1", "3.9"));
            assert_eq!(subject_identifier.as_deref(), Some(stranger.as_str()));
        }
        other => panic!("not a refusal: {other:?}"),
    }
    for e in [
        client
            .confirm_order(&ConfirmOrder::new(stranger.clone(), true))
            .await
            .unwrap_err(),
        client
            .download_order(&DownloadOrder {
                iccid: Some(stranger.clone()),
                ..DownloadOrder::default()
            })
            .await
            .unwrap_err(),
    ] {
        assert!(e.is_iccid_unknown(), "{e:?}");
    }
}

#[tokio::test]
async fn an_exhausted_inventory_is_8_2_5_and_3_7() {
    let smdp = start_with(2, 20).await;
    let client = smdp.client();
    client.provision_new().await.unwrap();
    client.provision_new().await.unwrap();

    let error = client.provision_new().await.unwrap_err();
    assert!(error.is_inventory_exhausted(), "{error:?}");
    assert_refused(&error, codes::NO_PROFILE_AVAILABLE);
    assert_eq!(smdp.emulator.available_count(), 0);
}

#[tokio::test]
async fn cancel_after_install_is_an_invalid_transition() {
    let smdp = start_with(2, 20).await;
    let client = smdp.client();
    let p = client.provision_new().await.unwrap();
    let phone = eid(7);
    let response = reqwest::Client::new()
        .post(format!("{}/device/install", smdp.url()))
        .json(&json!({"activationCode": p.activation_code.to_string(), "eid": phone.as_str()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    for to in [FinalProfileStatus::Available, FinalProfileStatus::Unavailable] {
        let error = client
            .cancel_order(&CancelOrder {
                iccid: p.iccid.clone(),
                eid: Some(phone.clone()),
                matching_id: Some(p.matching_id.clone()),
                final_status: to,
            })
            .await
            .unwrap_err();
        assert!(error.is_invalid_transition(), "{error:?}");
        assert_refused(&error, codes::INVALID_TRANSITION);
    }
    assert_eq!(smdp.emulator.profile_state(&p.iccid), Some(ProfileState::Installed));
}

#[tokio::test]
async fn cancel_checks_the_eid_and_matching_id_of_the_order() {
    let smdp = start_with(2, 20).await;
    let client = smdp.client();
    let iccid = client
        .download_order(&DownloadOrder {
            eid: Some(eid(1)),
            ..DownloadOrder::default()
        })
        .await
        .unwrap();
    let confirmed = client
        .confirm_order(&ConfirmOrder::new(iccid.clone(), true))
        .await
        .unwrap();
    let cancel = |eid, matching_id| CancelOrder {
        iccid: iccid.clone(),
        eid,
        matching_id,
        final_status: FinalProfileStatus::Available,
    };

    let e = client.cancel_order(&cancel(Some(eid(2)), None)).await.unwrap_err();
    assert!(e.is_eid_different(), "{e:?}");
    let e = client
        .cancel_order(&cancel(None, Some("SOMEONE-ELSES".into())))
        .await
        .unwrap_err();
    assert!(e.is_matching_id_different(), "{e:?}");
    assert_refused(&e, codes::MATCHING_ID_DIFFERENT);

    client
        .cancel_order(&cancel(Some(eid(1)), Some(confirmed.matching_id.clone())))
        .await
        .unwrap();
    // A repeat of a cancel that took effect changes nothing: the order is
    // gone, so its matching id no longer matches.
    let repeat = client
        .cancel_order(&cancel(None, Some(confirmed.matching_id)))
        .await
        .unwrap_err();
    assert!(repeat.is_matching_id_different(), "{repeat:?}");
    assert_eq!(smdp.emulator.profile_state(&iccid), Some(ProfileState::Available));
}

#[tokio::test]
async fn confirm_refuses_a_different_eid_a_reused_matching_id_and_a_repeat() {
    let smdp = start_with(3, 20).await;
    let client = smdp.client();
    let linked = client
        .download_order(&DownloadOrder {
            eid: Some(eid(1)),
            ..DownloadOrder::default()
        })
        .await
        .unwrap();
    let mut confirm = ConfirmOrder::new(linked.clone(), true);
    confirm.eid = Some(eid(2));
    let e = client.confirm_order(&confirm).await.unwrap_err();
    assert_refused(&e, codes::EID_DIFFERENT);

    confirm.eid = None;
    confirm.matching_id = Some("SHARED-ID".into());
    client.confirm_order(&confirm).await.unwrap();
    let e = client.confirm_order(&confirm).await.unwrap_err();
    assert_refused(&e, codes::INVALID_TRANSITION);

    let other = client.download_order(&DownloadOrder::default()).await.unwrap();
    let mut reuse = ConfirmOrder::new(other.clone(), true);
    reuse.matching_id = Some("SHARED-ID".into());
    let e = client.confirm_order(&reuse).await.unwrap_err();
    assert_refused(&e, codes::MATCHING_ID_IN_USE);

    reuse.matching_id = Some("NOT$VALID".into());
    let e = client.confirm_order(&reuse).await.unwrap_err();
    assert_refused(&e, codes::MATCHING_ID_INVALID);

    let mut via_smds = ConfirmOrder::new(other, true);
    via_smds.smds_address = Some("smds.example.com".into());
    let e = client.confirm_order(&via_smds).await.unwrap_err();
    assert_refused(&e, codes::EID_REQUIRED);
}

#[tokio::test]
async fn download_order_refusals() {
    let smdp = start_with(2, 20).await;
    let client = smdp.client();
    let e = client
        .download_order(&DownloadOrder {
            profile_type: Some("gold".into()),
            ..DownloadOrder::default()
        })
        .await
        .unwrap_err();
    assert_refused(&e, codes::PROFILE_TYPE_UNKNOWN);

    let taken = client.download_order(&DownloadOrder::default()).await.unwrap();
    let e = client
        .download_order(&DownloadOrder {
            iccid: Some(taken),
            ..DownloadOrder::default()
        })
        .await
        .unwrap_err();
    assert_refused(&e, codes::ICCID_NOT_AVAILABLE);
}

#[tokio::test]
async fn only_the_ordering_operator_may_touch_an_order() {
    let smdp = start_with(2, 20).await;
    let iccid = smdp.client().download_order(&DownloadOrder::default()).await.unwrap();
    let intruder = smdp.client_as("someone-else");
    let e = intruder
        .confirm_order(&ConfirmOrder::new(iccid.clone(), true))
        .await
        .unwrap_err();
    assert_refused(&e, codes::ICCID_NOT_ALLOWED);
    assert_eq!(smdp.emulator.profile_state(&iccid), Some(ProfileState::Allocated));
}
