//! What `GET /api/v1/esims…` shows.

use bytes::Bytes;
use futures::future::BoxFuture;
use serde::Serialize;
use tern_store::esims::{self, EsimDetailRow, EsimRead, EsimRow, PackageDetailRow, SessionEsim, SessionEsimKey};
use tern_store::sessions;

use crate::App;
use crate::auth::{self, Principal};
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};

/// An eSIM in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EsimSummary {
    #[schema(value_type = String)]
    pub iccid: tern_domain::ids::Iccid,
    /// `released` (ready to install), `downloaded`, `installed`, `error`, `canceled`, `barred`.
    #[schema(value_type = String)]
    pub state: tern_domain::esim::EsimState,
    pub created_at: String,
}

/// A package (a bought plan) on an eSIM, with what is used and left.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PackageView {
    pub plan_code: String,
    #[schema(value_type = String)]
    pub order_id: tern_domain::OrderId,
    /// `pending` (validity not started), `active`, `expired`, `canceled`.
    #[schema(value_type = String)]
    pub state: tern_domain::usage::PackageState,
    pub countries: Vec<String>,
    /// None for unlimited plans.
    pub data_limit_bytes: Option<i64>,
    pub data_used_bytes: i64,
    /// None for unlimited plans.
    pub data_left_bytes: Option<i64>,
    pub fair_use_bytes: Option<i64>,
    pub voice_limit_seconds: i64,
    pub voice_used_seconds: i64,
    pub sms_limit: i64,
    pub sms_used: i64,
    /// `on_purchase`, `on_install` or `on_first_use`.
    pub activation: String,
    pub validity_days: i64,
    pub starts_at: Option<String>,
    pub expires_at: Option<String>,
}

/// Everything needed to install and follow an eSIM.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EsimDetail {
    #[schema(value_type = String)]
    pub iccid: tern_domain::ids::Iccid,
    #[schema(value_type = String)]
    pub state: tern_domain::esim::EsimState,
    /// `LPA:1$<SM-DP+ address>$<matching id>`: what the QR code holds.
    pub activation_code: String,
    /// For typing in by hand ("Enter details manually").
    pub smdp_address: String,
    pub matching_id: String,
    /// Opens the eSIM install sheet on iOS 17.4 and later.
    pub ios_install_link: String,
    pub qr_svg_url: String,
    pub eid: Option<String>,
    pub installed_at: Option<String>,
    pub last_error: Option<String>,
    pub packages: Vec<PackageView>,
}

pub(crate) fn package_view(p: PackageDetailRow) -> PackageView {
    PackageView {
        data_left_bytes: p.data_limit_bytes.map(|l| (l - p.used_data_bytes).max(0)),
        plan_code: p.plan_code,
        order_id: p.order_id,
        state: p.state,
        countries: p.countries.split_whitespace().map(str::to_owned).collect(),
        data_limit_bytes: p.data_limit_bytes,
        data_used_bytes: p.used_data_bytes,
        fair_use_bytes: p.fair_use_bytes,
        voice_limit_seconds: p.voice_limit_seconds,
        voice_used_seconds: p.used_voice_seconds,
        sms_limit: p.sms_limit,
        sms_used: p.used_sms,
        activation: p.activation,
        validity_days: p.validity_days,
        starts_at: p.starts_at.map(rfc3339),
        expires_at: p.expires_at.map(rfc3339),
    }
}

/// The caller's eSIMs, newest first.
pub async fn list(app: &App, who: &Principal) -> AppResult<Vec<EsimSummary>> {
    let mut conn = app.db.conn().await?;
    Ok(esims::for_account(&mut conn, &who.account_id)
        .await?
        .into_iter()
        .map(|e| EsimSummary {
            iccid: e.iccid,
            state: e.state,
            created_at: rfc3339(e.created_at),
        })
        .collect())
}

/// One of the caller's eSIMs; someone else's, or a malformed ICCID, is
/// simply not found.
pub async fn own(app: &App, who: &Principal, iccid: &str) -> AppResult<EsimRow> {
    let iccid = tern_domain::ids::Iccid::known(iccid).map_err(|_| AppError::NotFound)?;
    let mut conn = app.db.conn().await?;
    match esims::by_iccid(&mut conn, &iccid).await? {
        Some(e) if e.account_id == who.account_id => Ok(e),
        _ => Err(AppError::NotFound),
    }
}

/// One of the caller's eSIMs with its packages (one query).
pub async fn get(app: &App, who: &Principal, iccid: &str) -> AppResult<EsimDetail> {
    let iccid = tern_domain::ids::Iccid::known(iccid).map_err(|_| AppError::NotFound)?;
    let mut conn = app.db.conn().await?;
    match esims::with_packages(&mut conn, &iccid, &who.account_id).await? {
        Some((e, packages)) => Ok(detail(e, packages)),
        None => Err(AppError::NotFound),
    }
}

/// `GET /api/v1/esims/{iccid}`, the hot read path: authenticates `token`
/// and reads the eSIM and its packages in one query, with the same rules
/// as [`crate::auth::authenticate`] and [`get`], and answers the detail as
/// JSON. Concurrent requests share that query (see [`crate::batch`]);
/// each still reads the database after it arrived, so a sign-out or a
/// frozen account counts at once. The JSON is rendered again only when
/// the database says the eSIM changed (see [`super::Rendered`]).
///
/// The outer error is the authentication's (the caller is not signed in);
/// the inner result is the read's, for the signed-in caller.
pub async fn get_signed_in(app: &App, token: &str, iccid: &str) -> AppResult<(Principal, AppResult<Bytes>)> {
    let Ok(iccid) = tern_domain::ids::Iccid::known(iccid) else {
        // Not an ICCID: nothing to read, but the caller must still be
        // signed in to learn that.
        // Boxed, as is the touch below: rare paths kept out of the hot
        // path's future, which every request allocates.
        return Ok((Box::pin(auth::authenticate(app, token)).await?, Err(AppError::NotFound)));
    };
    let now = app.now_ms();
    let kept = app.esim_pages.get(iccid.as_str());
    let key = SessionEsimKey {
        token_hash: auth::token_hash(token)?,
        now,
        iccid: iccid.as_str().to_owned(),
        known: kept.as_ref().map_or(0, |(fingerprint, _)| *fingerprint),
    };
    let (session, esim) = match app.esim_reads.get(app, key).await? {
        Some(found) => (Some(found.session), found.esim),
        None => (None, EsimRead::Missing),
    };
    let (who, stale) = auth::principal(session, now)?;
    if stale {
        Box::pin(touch(app, &who.session_id, now)).await?;
    }
    let read = match esim {
        EsimRead::Missing => Err(AppError::NotFound),
        EsimRead::Unchanged { fingerprint } => match kept {
            Some((known, body)) if known == fingerprint => Ok(body),
            _ => Err(AppError::Internal(
                "the eSIM lookup answered a fingerprint it was not asked about".into(),
            )),
        },
        EsimRead::Changed {
            fingerprint,
            esim,
            packages,
        } => render(&detail(*esim, packages))
            .inspect(|body| app.esim_pages.put(iccid.as_str(), fingerprint, body.clone())),
    };
    Ok((who, read))
}

/// The detail as the API answers it: JSON, written into a buffer of about
/// its size at once (serde_json's writer would start small and grow by
/// copying).
fn render(detail: &EsimDetail) -> AppResult<Bytes> {
    let mut body = Vec::with_capacity(1024 + 512 * detail.packages.len());
    serde_json::to_writer(&mut body, detail).map_err(|e| AppError::Internal(format!("eSIM as JSON: {e}")))?;
    Ok(Bytes::from(body))
}

/// Records that the session was used (see [`auth::principal`]).
async fn touch(app: &App, session_id: &tern_domain::SessionId, now: i64) -> AppResult<()> {
    let mut conn = app.db.reader().await?;
    sessions::touch(&mut conn, session_id, now).await?;
    conn.release();
    Ok(())
}

/// The lookup behind [`get_signed_in`], for a batch of requests.
pub(crate) fn lookup_signed_in(
    app: App,
    keys: Vec<SessionEsimKey>,
) -> BoxFuture<'static, AppResult<Vec<Option<SessionEsim>>>> {
    Box::pin(async move {
        // PostgreSQL answers rows over a native connection, SQLite one JSON
        // value (see the two store functions for why).
        if let Some(mut conn) = app.db.pg_reader().await? {
            let found = esims::with_packages_for_sessions_pg(&mut conn, &keys).await?;
            conn.release();
            return Ok(found);
        }
        let mut conn = app.db.reader().await?;
        let found = esims::with_packages_for_sessions(&mut conn, &keys).await?;
        conn.release();
        Ok(found)
    })
}

fn detail(e: EsimDetailRow, packages: Vec<PackageDetailRow>) -> EsimDetail {
    EsimDetail {
        ios_install_link: format!(
            "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata={}",
            urlencode(&e.activation_code)
        ),
        qr_svg_url: format!("/api/v1/esims/{}/qr.svg", e.iccid),
        iccid: e.iccid,
        state: e.state,
        activation_code: e.activation_code,
        smdp_address: e.smdp_address,
        matching_id: e.matching_id,
        eid: e.eid,
        installed_at: e.installed_at.map(rfc3339),
        last_error: e.last_error,
        packages: packages.into_iter().map(package_view).collect(),
    }
}

/// The activation code as a QR code, in SVG.
pub async fn qr_svg(app: &App, who: &Principal, iccid: &str) -> AppResult<String> {
    let e = own(app, who, iccid).await?;
    let code = qrcode::QrCode::with_error_correction_level(e.activation_code.as_bytes(), qrcode::EcLevel::M)
        .map_err(|err| AppError::Internal(format!("QR code: {err}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::urlencode;

    #[test]
    fn urlencode_escapes_all_but_unreserved_characters() {
        assert_eq!(
            urlencode("LPA:1$smdp.tern.test$AB-c_9~"),
            "LPA%3A1%24smdp.tern.test%24AB-c_9~"
        );
        assert_eq!(urlencode("é /"), "%C3%A9%20%2F");
    }
}
