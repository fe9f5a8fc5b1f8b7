//! The operator's happy paths: order, confirm, release, cancel, read status.

use tern_domain::activation_code::ActivationCode;
use tern_domain::ids::Iccid;
use tern_esim::ProfileState;
use tern_esim::client::{CancelOrder, ConfirmOrder, DownloadOrder};
use tern_esim::wire::FinalProfileStatus;

use crate::helpers::{eid, start_with};

#[tokio::test]
async fn provision_new_returns_a_scannable_code_for_a_released_profile() {
    let smdp = start_with(1000, 20).await;
    let client = smdp.client();

    let p = client.provision_new().await.unwrap();

    assert_eq!(
        p.activation_code.to_string(),
        format!("LPA:1$smdp.tern.test${}", p.matching_id)
    );
    assert_eq!(p.smdp_address, "smdp.tern.test");
    // Iccid::parse checks length, prefix and the Luhn digit.
    assert_eq!(Iccid::parse(p.iccid.as_str()).unwrap(), p.iccid);
    assert!(p.iccid.as_str().starts_with("8988247000"));
    assert_eq!(p.iccid.as_str().len(), 20);
    assert_eq!(
        ActivationCode::parse(&p.activation_code.to_string()).unwrap(),
        p.activation_code
    );

    let status = smdp.profile(&p.iccid).await;
    assert_eq!(status.iccid, p.iccid.to_es2_wire());
    assert_eq!(status.state, ProfileState::Released);
    assert_eq!(status.matching_id.as_deref(), Some(p.matching_id.as_str()));
    assert_eq!(status.profile_type, "tern-standard");
    assert_eq!(status.owner.as_deref(), Some(crate::helpers::OPERATOR));
    assert_eq!(smdp.emulator.available_count(), 999);

    // Each call gets its own profile and matching id.
    let q = client.provision_new().await.unwrap();
    assert_ne!(q.iccid, p.iccid);
    assert_ne!(q.matching_id, p.matching_id);
}

#[tokio::test]
async fn the_state_machine_step_by_step() {
    let smdp = start_with(5, 20).await;
    let client = smdp.client();
    let state = |iccid: &Iccid| smdp.emulator.profile_state(iccid).unwrap();

    let iccid = client.download_order(&DownloadOrder::default()).await.unwrap();
    assert_eq!(state(&iccid), ProfileState::Allocated);

    let confirmed = client
        .confirm_order(&ConfirmOrder::new(iccid.clone(), false))
        .await
        .unwrap();
    assert_eq!(state(&iccid), ProfileState::Confirmed);
    assert_eq!(confirmed.eid, None);

    client.release_profile(&iccid).await.unwrap();
    assert_eq!(state(&iccid), ProfileState::Released);

    // Releasing again is an invalid transition, reported as such.
    let again = client.release_profile(&iccid).await.unwrap_err();
    assert!(again.is_invalid_transition(), "{again}");

    // An order for one EID is Linked, and the EID comes back on confirm.
    let phone = eid(1);
    let linked = client
        .download_order(&DownloadOrder {
            eid: Some(phone.clone()),
            ..DownloadOrder::default()
        })
        .await
        .unwrap();
    assert_eq!(state(&linked), ProfileState::Linked);
    let confirmed = client
        .confirm_order(&ConfirmOrder::new(linked.clone(), true))
        .await
        .unwrap();
    assert_eq!(confirmed.eid, Some(phone.clone()));
    let status = smdp.profile(&linked).await;
    assert_eq!(status.eid.as_deref(), Some(phone.as_str()));
    assert_eq!(status.state, ProfileState::Released);
    assert_eq!(smdp.profile(&iccid).await.state, ProfileState::Released);
}

#[tokio::test]
async fn cancel_before_download_returns_the_profile_or_retires_it() {
    let smdp = start_with(3, 20).await;
    let client = smdp.client();

    let a = client.provision_new().await.unwrap();
    client
        .cancel_order(&CancelOrder {
            iccid: a.iccid.clone(),
            eid: None,
            matching_id: Some(a.matching_id.clone()),
            final_status: FinalProfileStatus::Available,
        })
        .await
        .unwrap();
    let status = smdp.profile(&a.iccid).await;
    assert_eq!(status.state, ProfileState::Available);
    assert_eq!(status.matching_id, None);
    assert!(status.canceled_before);
    assert_eq!(smdp.emulator.available_count(), 3);

    let b = client.download_order(&DownloadOrder::default()).await.unwrap();
    assert_eq!(b, a.iccid, "the lowest available profile is picked again");
    client
        .cancel_order(&CancelOrder {
            iccid: b.clone(),
            eid: None,
            matching_id: None,
            final_status: FinalProfileStatus::Unavailable,
        })
        .await
        .unwrap();
    assert_eq!(smdp.emulator.profile_state(&b), Some(ProfileState::Unavailable));
    assert_eq!(smdp.emulator.available_count(), 2);

    // The old activation code no longer works for the cancelled order.
    let reordered = client.download_order(&DownloadOrder::default()).await.unwrap();
    assert_ne!(reordered, b, "an unavailable profile is never picked");
}

#[tokio::test]
async fn nineteen_digit_iccids_travel_f_padded() {
    let smdp = start_with(3, 19).await;
    let client = smdp.client();

    let p = client.provision_new().await.unwrap();
    assert_eq!(p.iccid.as_str().len(), 19);
    assert!(smdp.emulator.profile_state(&p.iccid).is_some());

    // On the wire the emulator answers with the F-padded form.
    let header = serde_json::json!({"functionRequesterIdentifier": "x", "functionCallIdentifier": "1"});
    let (_, body) = smdp
        .post_raw(
            "downloadOrder",
            serde_json::json!({"header": header, "profileType": "tern-standard"}).to_string(),
        )
        .await;
    let wire = body["iccid"].as_str().unwrap().to_owned();
    assert_eq!(wire.len(), 20);
    assert!(wire.ends_with('F'));

    // And it accepts the plain digits too.
    let (_, body) = smdp
        .post_raw(
            "confirmOrder",
            serde_json::json!({"header": header, "iccid": wire.trim_end_matches('F'), "releaseFlag": true}).to_string(),
        )
        .await;
    assert_eq!(
        body["header"]["functionExecutionStatus"]["status"], "Executed-Success",
        "{body}"
    );
    let iccid = Iccid::from_smdp(&wire).unwrap();
    assert_eq!(smdp.profile(&iccid).await.state, ProfileState::Released);
}

#[tokio::test]
async fn an_operator_can_order_a_named_profile_and_choose_the_matching_id() {
    let smdp = start_with(3, 20).await;
    let client = smdp.client();
    let wanted = Iccid::from_prefix_and_serial("8988247000", 3, 20).unwrap();

    let got = client
        .download_order(&DownloadOrder {
            iccid: Some(wanted.clone()),
            ..DownloadOrder::default()
        })
        .await
        .unwrap();
    assert_eq!(got, wanted);

    let mut confirm = ConfirmOrder::new(wanted.clone(), true);
    confirm.matching_id = Some("TERN-ORDER-42".into());
    let confirmed = client.confirm_order(&confirm).await.unwrap();
    assert_eq!(confirmed.matching_id, "TERN-ORDER-42");
    assert_eq!(
        confirmed.activation_code.to_string(),
        "LPA:1$smdp.tern.test$TERN-ORDER-42"
    );
}
