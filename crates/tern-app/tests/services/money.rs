//! Money in and out: vouchers, top-ups, what a closure would refund, and
//! the payout queue's states.

use tern_app::AppError;
use tern_domain::Money;
use tern_domain::payment::{RefundState, TopUpState};

use crate::on_both;
use crate::world::{Db, World, code, field_code};

on_both!(a_redeemed_voucher_is_refunded_in_full_at_closure, |db: Db| async move {
    let w = World::new(db).await;
    let who = w.funded_traveller("ana@example.com", 2_000).await;
    let wallet = tern_app::wallet::view(&w.app, &who).await.unwrap();
    assert_eq!(wallet.cash, Money::new(2_000, w.currency()));
    assert_eq!(wallet.promo, Money::new(0, w.currency()));
    let preview = tern_app::closure::preview(&w.app, &who).await.unwrap();
    assert_eq!(preview.wallet.refund, Money::new(2_000, w.currency()));
    assert_eq!(preview.wallet.forfeited, Money::new(0, w.currency()));
    assert!(preview.open_request.is_none());
    w.end().await;
});

on_both!(a_top_up_starts_pending_and_is_its_owners_alone, |db: Db| async move {
    let w = World::new(db).await;
    let who = w.traveller("li@example.com").await;
    let err = tern_app::payments::start(&w.app, &who, 99).await.unwrap_err();
    assert_eq!(field_code(&err), ("amount_minor", "top_up_amount_out_of_range"));
    let err = tern_app::payments::start(&w.app, &who, 50_001).await.unwrap_err();
    assert_eq!(field_code(&err), ("amount_minor", "top_up_amount_out_of_range"));

    let top_up = tern_app::payments::start(&w.app, &who, 1_000).await.unwrap();
    assert_eq!(top_up.state, TopUpState::Pending);
    assert_eq!(top_up.amount, Money::new(1_000, w.currency()));
    assert_eq!(serde_json::to_value(&top_up).unwrap()["state"], "pending");
    let again = tern_app::payments::get(&w.app, &who, &top_up.id).await.unwrap();
    assert_eq!(
        (again.id.as_str(), again.state),
        (top_up.id.as_str(), TopUpState::Pending)
    );

    let other = w.traveller("sam@example.com").await;
    let err = tern_app::payments::get(&w.app, &other, &top_up.id).await.unwrap_err();
    assert!(matches!(err, AppError::NotFound), "{err:?}");
    // Not paid yet, so nothing to refund.
    let preview = tern_app::closure::preview(&w.app, &who).await.unwrap();
    assert_eq!(preview.wallet.refund, Money::new(0, w.currency()));
    w.end().await;
});

on_both!(the_payout_queue_lists_known_states_only, |db: Db| async move {
    let w = World::new(db).await;
    assert_eq!(
        tern_app::console::refund_state(None).unwrap(),
        RefundState::AwaitingPayout
    );
    assert_eq!(
        tern_app::console::refund_state(Some("paid_out")).unwrap(),
        RefundState::PaidOut
    );
    let err = tern_app::console::refund_state(Some("paid")).unwrap_err();
    assert_eq!(field_code(&err), ("state", "refund_state_invalid"));
    assert_eq!(code(&err).as_str(), "validation_failed");
    for state in RefundState::ALL {
        assert!(tern_app::console::list_refunds(&w.app, state).await.unwrap().is_empty());
    }
    w.end().await;
});
