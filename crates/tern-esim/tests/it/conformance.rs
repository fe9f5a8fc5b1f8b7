//! Where Tern's client meets what SGP.22 allows an SM-DP+ to do, and the
//! emulator refuses what SGP.22 refuses (issue 17's items 4, 5, 8, 10).

use tern_esim::client::{CancelOrder, ConfirmOrder, DownloadOrder};
use tern_esim::emulator::Fault;
use tern_esim::wire::{Es2Function, FinalProfileStatus};
use tern_esim::{EmulatorConfig, Es2Client, Es2Config, ProfileState};

use crate::helpers::{OPERATOR, eid, start, start_with};

#[tokio::test]
async fn a_confirm_order_without_smdp_address_uses_the_configured_one() {
    let smdp = start_with(2, 20).await;
    smdp.emulator.inject(Es2Function::ConfirmOrder, Fault::NoSmdpAddress, 1);
    let mut config = Es2Config::new(smdp.url(), OPERATOR, "tern-standard");
    config.smdp_address = Some("rsp.operator.example".into());
    let client = Es2Client::new(config).unwrap();

    let p = client.provision_new().await.unwrap();

    assert_eq!(p.smdp_address, "rsp.operator.example");
    assert_eq!(
        p.activation_code.to_string(),
        format!("LPA:1$rsp.operator.example${}", p.matching_id)
    );
    assert_eq!(smdp.emulator.profile_state(&p.iccid), Some(ProfileState::Released));
}

#[tokio::test]
async fn without_a_configured_address_the_base_urls_host_is_the_smdp_address() {
    let smdp = start_with(2, 20).await;
    smdp.emulator.inject(Es2Function::ConfirmOrder, Fault::NoSmdpAddress, 1);
    // A base URL copied with the function prefix still reaches the server.
    let config = Es2Config::new(format!("{}/gsma/rsp2/es2plus/", smdp.url()), OPERATOR, "tern-standard");
    let client = Es2Client::new(config).unwrap();
    assert_eq!(client.smdp_address(), "127.0.0.1");

    let p = client.provision_new().await.unwrap();
    assert_eq!(p.smdp_address, "127.0.0.1");
}

#[tokio::test]
async fn profiles_without_a_check_digit_are_ordered_and_cancelled_as_sent() {
    let smdp = start(EmulatorConfig {
        profile_count: 3,
        iccid_prefix: "1234".into(),
        iccid_len: 19,
        iccid_check_digit: false,
        ..EmulatorConfig::default()
    })
    .await;
    let client = smdp.client();

    let p = client.provision_new().await.unwrap();
    assert_eq!(p.iccid.as_str(), "1234000000000000001");
    assert_eq!(smdp.profile(&p.iccid).await.iccid, "1234000000000000001F");
    client
        .cancel_order(&CancelOrder {
            iccid: p.iccid.clone(),
            eid: None,
            matching_id: Some(p.matching_id.clone()),
            final_status: FinalProfileStatus::Available,
        })
        .await
        .unwrap();
    assert_eq!(smdp.emulator.profile_state(&p.iccid), Some(ProfileState::Available));
}

#[tokio::test]
async fn a_lost_confirm_answer_is_cancelled_with_its_matching_id() {
    let smdp = start_with(2, 20).await;
    smdp.emulator.inject(Es2Function::ConfirmOrder, Fault::AnswerLost, 1);
    let client = smdp.client();

    let error = client.provision_new().await.unwrap_err();
    assert!(error.is_retryable(), "{error}");

    // The confirm took effect, the answer was lost; the cancel named the
    // matching id Tern chose, so the profile is back in the pool.
    assert!(
        smdp.emulator.profiles(None).is_empty(),
        "{:?}",
        smdp.emulator.profiles(None)
    );
    assert_eq!(smdp.emulator.available_count(), 2);
}

#[tokio::test]
async fn a_cancelled_orders_matching_id_cannot_be_used_again() {
    let smdp = start_with(3, 20).await;
    let client = smdp.client();
    let first = client.download_order(&DownloadOrder::default()).await.unwrap();
    let mut confirm = ConfirmOrder::new(first.clone(), true);
    confirm.matching_id = Some("ORDER-7".into());
    client.confirm_order(&confirm).await.unwrap();
    client
        .cancel_order(&CancelOrder {
            iccid: first,
            eid: None,
            matching_id: Some("ORDER-7".into()),
            final_status: FinalProfileStatus::Available,
        })
        .await
        .unwrap();

    let second = client.download_order(&DownloadOrder::default()).await.unwrap();
    let mut again = ConfirmOrder::new(second.clone(), true);
    again.matching_id = Some("ORDER-7".into());
    let refused = client.confirm_order(&again).await.unwrap_err();
    assert_eq!(refused.status_code(), Some(("8.2.6", "3.3")), "{refused}");
    assert_eq!(smdp.emulator.profile_state(&second), Some(ProfileState::Allocated));
}

#[tokio::test]
async fn a_cancel_naming_an_eid_is_refused_for_an_order_linked_to_none() {
    let smdp = start_with(2, 20).await;
    let client = smdp.client();
    let iccid = client.download_order(&DownloadOrder::default()).await.unwrap();

    let refused = client
        .cancel_order(&CancelOrder {
            iccid: iccid.clone(),
            eid: Some(eid(9)),
            matching_id: None,
            final_status: FinalProfileStatus::Available,
        })
        .await
        .unwrap_err();

    assert_eq!(refused.status_code(), Some(("8.1.1", "3.10")), "{refused}");
    assert_eq!(smdp.emulator.profile_state(&iccid), Some(ProfileState::Allocated));
}

#[tokio::test]
async fn the_inventory_read_lists_what_is_reserved() {
    let smdp = start_with(4, 20).await;
    let client = smdp.client();
    let p = client.provision_new().await.unwrap();
    let held = client.download_order(&DownloadOrder::default()).await.unwrap();

    let all: Vec<tern_esim::wire::ProfileStatusEntry> = reqwest::get(format!("{}/emulator/profiles", smdp.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let states: Vec<(String, ProfileState)> = all.iter().map(|e| (e.iccid.clone(), e.state)).collect();
    assert_eq!(
        states,
        vec![
            (p.iccid.to_es2_wire(), ProfileState::Released),
            (held.to_es2_wire(), ProfileState::Allocated),
        ]
    );
    let released: Vec<tern_esim::wire::ProfileStatusEntry> =
        reqwest::get(format!("{}/emulator/profiles?state=Released", smdp.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(released.len(), 1);
    // Timestamps in the SGP.22 form: whole seconds, Z.
    let raw: serde_json::Value = reqwest::get(format!("{}/emulator/profiles/{}", smdp.url(), held))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = raw["lastModified"].as_str().unwrap();
    assert_eq!(at.len(), "2026-12-07T01:02:03Z".len(), "{at}");
    assert!(at.ends_with('Z'));
}
