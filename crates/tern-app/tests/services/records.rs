//! Records a traveller asks for: data exports and support tickets.

use tern_app::AppError;
use tern_app::tickets::NewTicket;
use tern_domain::export::ExportState;
use tern_domain::ticket::TicketState;

use crate::on_both;
use crate::world::{Db, World, code, field_code};

on_both!(
    an_export_is_built_by_a_job_and_asked_for_once_a_day,
    |db: Db| async move {
        let w = World::new(db).await;
        let who = w.traveller("noor@example.com").await;
        let export = tern_app::exports::request(&w.app, &who).await.unwrap();
        assert_eq!(export.state, ExportState::Pending);
        assert!(!export.for_closure);

        let err = tern_app::exports::request(&w.app, &who).await.unwrap_err();
        let AppError::Throttled { retry_after_secs, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(code(&err).as_str(), "export_rate_limited");
        assert!(retry_after_secs > 23 * 3600, "wait {retry_after_secs}s");

        tern_app::jobs::run_pending(&w.app).await.unwrap();
        let built = tern_app::exports::get(&w.app, &who, &export.id).await.unwrap();
        assert_eq!(built.state, ExportState::Ready);
        assert!(
            built.file_name.as_deref().is_some_and(|n| n.ends_with(".zip")),
            "{built:?}"
        );
        assert!(built.size_bytes.is_some_and(|n| n > 0));
        w.end().await;
    }
);

on_both!(a_ticket_names_only_the_travellers_own_esims, |db: Db| async move {
    let w = World::new(db).await;
    let who = w.traveller("ola@example.com").await;
    let ticket = |iccid: Option<&str>| NewTicket {
        category: "connectivity".into(),
        subject: "No data in Lisbon".into(),
        body: "Roaming is on; the phone shows no signal.".into(),
        order_id: None,
        iccid: iccid.map(str::to_owned),
    };
    // A well-formed ICCID that is not theirs, and one that is not an ICCID.
    for iccid in ["8988247000000000018", "not-an-iccid"] {
        let err = tern_app::tickets::open(&w.app, &who, &ticket(Some(iccid)))
            .await
            .unwrap_err();
        assert_eq!(field_code(&err), ("iccid", "ticket_esim_unknown"), "{iccid}");
    }
    let opened = tern_app::tickets::open(&w.app, &who, &ticket(None)).await.unwrap();
    assert_eq!(opened.state, TicketState::Open);
    assert_eq!(opened.iccid, None);
    w.end().await;
});
