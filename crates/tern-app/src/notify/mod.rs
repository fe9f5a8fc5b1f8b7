//! Putting messages in the outbox, inside the caller's transaction, with
//! a delivery job beside them.

use serde_json::{Value, json};
use tern_domain::Locale;
use tern_store::Conn;
use tern_store::outbox::{self, OutboxRow};

use crate::App;
use crate::error::AppResult;
use crate::jobs;

mod deliver_job;

pub use deliver_job::DeliverNotification;

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// A message to render and queue.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub channel: Channel,
    pub account_id: Option<&'a str>,
    pub recipient: &'a str,
    pub template: &'a str,
    pub locale: Locale,
    /// Template values, merged over the product name and support address.
    pub values: Value,
}

/// Renders a message in its language and queues it for delivery.
pub async fn queue(app: &App, conn: &mut Conn, msg: Message<'_>) -> AppResult<tern_domain::OutboxId> {
    let Message {
        channel,
        account_id,
        recipient,
        template,
        locale,
        mut values,
    } = msg;
    if let Value::Object(map) = &mut values {
        map.entry("product").or_insert(json!(app.settings.product_name));
        map.entry("support_email").or_insert(json!(app.settings.support_email));
    }
    let rendered = tern_notify::render(template, locale, &values)?;
    let id = tern_domain::OutboxId::from(crate::tokens::new_id());
    let now = app.now_ms();
    outbox::insert(
        conn,
        &OutboxRow {
            id: id.clone(),
            account_id: account_id.map(tern_domain::AccountId::from),
            channel: channel.as_str().to_owned(),
            recipient: recipient.to_owned(),
            template: template.to_owned(),
            locale: locale.tag().to_owned(),
            subject: rendered.subject,
            body_text: rendered.text,
            body_html: None,
            created_at: now,
            sent_at: None,
            attempts: 0,
            last_error: None,
        },
    )
    .await?;
    jobs::enqueue(app, conn, &DeliverNotification { outbox_id: id.clone() }).await?;
    Ok(id)
}

/// Delivers one outbox message; does nothing when it was already sent.
pub async fn deliver(app: &App, outbox_id: &tern_domain::OutboxId) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    let Some(msg) = outbox::by_id(&mut conn, outbox_id).await? else {
        // Erased with its account before delivery: nothing to send.
        return Ok(());
    };
    if msg.sent_at.is_some() {
        return Ok(());
    }
    drop(conn);
    let result = match msg.channel.as_str() {
        "sms" => app.sms.send(&msg.id, &msg.recipient, &msg.body_text).await,
        _ => {
            app.mailer
                .send(&msg.id, &msg.recipient, &msg.subject, &msg.body_text)
                .await
        }
    };
    let mut conn = app.db.conn().await?;
    match result {
        Ok(()) => {
            outbox::mark_sent(&mut conn, &msg.id, app.now_ms()).await?;
            metrics::counter!("tern_notifications_sent_total", "channel" => msg.channel.clone()).increment(1);
            Ok(())
        }
        Err(e) => {
            outbox::mark_failed_attempt(&mut conn, &msg.id, &e.to_string()).await?;
            metrics::counter!("tern_notification_failures_total", "channel" => msg.channel.clone()).increment(1);
            Err(e.into())
        }
    }
}
