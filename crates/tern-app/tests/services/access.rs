//! Who may do what: travellers as they sign up, and integrators' API keys.

use tern_app::AppError;
use tern_domain::{AccountStatus, KeyRole, Role};

use crate::on_both;
use crate::world::{Db, World, field_code};

on_both!(a_new_traveller_is_a_verified_active_user, |db: Db| async move {
    let w = World::new(db).await;
    let who = w.traveller("mei@example.com").await;
    assert_eq!(who.role, Role::User);
    assert_eq!(who.status, AccountStatus::Active);
    let me = tern_app::accounts::me(&w.app, &who).await.unwrap();
    assert_eq!(me.email, "mei@example.com");
    assert!(me.email_verified);
    assert_eq!(me.role, Role::User);
    assert_eq!(serde_json::to_value(&me).unwrap()["role"], "user");
    w.end().await;
});

on_both!(api_keys_only_take_the_network_role, |db: Db| async move {
    let w = World::new(db).await;
    let err = tern_app::usage::create_api_key(&w.app, "Partner", "admin")
        .await
        .unwrap_err();
    assert_eq!(field_code(&err), ("role", "api_key_role_invalid"));
    // A bad name and a bad role are both reported at once.
    let err = tern_app::usage::create_api_key(&w.app, " ", "root").await.unwrap_err();
    let AppError::Validation(fields) = &err else {
        panic!("{err:?}")
    };
    let codes: Vec<_> = fields.iter().map(|f| (f.field.as_str(), f.code)).collect();
    assert_eq!(
        codes,
        [("name", "api_key_name_invalid"), ("role", "api_key_role_invalid")]
    );

    let (key, secret) = tern_app::usage::create_api_key(&w.app, "Partner", "network")
        .await
        .unwrap();
    assert_eq!(key.role, KeyRole::Network);
    let seen = tern_app::usage::authenticate_network(&w.app, &secret).await.unwrap();
    assert_eq!((seen.id.as_str(), seen.role), (key.id.as_str(), KeyRole::Network));
    assert!(tern_app::usage::revoke_api_key(&w.app, &key.id).await.unwrap());
    let err = tern_app::usage::authenticate_network(&w.app, &secret)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Unauthenticated), "{err:?}");
    w.end().await;
});
