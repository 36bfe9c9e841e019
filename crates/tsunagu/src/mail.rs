//! The mailer: sends the notifications queued in the outbox through the operator's SMTP server
//! (`--smtp-url`), and each morning queues the reminders of what falls due the next day. A mail
//! carries what happened and a link, never a child's name (the store writes no more).

use std::time::Duration;

use lettre::{
    message::{
        header::{ContentTransferEncoding, ContentType},
        Mailbox, SinglePart,
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use tsunagu_store::{notifications, Db};

/// Where and as whom mail is sent.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// smtp://host:port (plain, as on a local relay), smtp://host?tls=required (STARTTLS), or
    /// smtps://user:password@host (TLS).
    pub smtp_url: String,
    /// The sender: 「つなぐ <tsunagu@example.jp>」.
    pub from: String,
}

/// Sends what the outbox holds every few seconds, and queues the next day's reminders once a
/// day (at start, then every hour: a reminder is queued once per item and day whatever runs).
pub fn spawn(
    db: Db,
    settings: MailSettings,
    base_url: String,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
        .map_err(|e| anyhow::anyhow!("--smtp-url を読み取れません: {e}"))?
        .timeout(Some(Duration::from_secs(20)))
        .build();
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| anyhow::anyhow!("--mail-from を読み取れません: {e}"))?;
    Ok(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        let mut last_reminders = None;
        loop {
            tick.tick().await;
            let now = time::OffsetDateTime::now_utc();
            let hour = now.unix_timestamp() / 3600;
            if last_reminders != Some(hour) {
                last_reminders = Some(hour);
                let tomorrow = tsunagu_domain::japanese_date::today(now) + time::Duration::days(1);
                if let Err(e) = notifications::queue_due(&db, tomorrow).await {
                    tracing::warn!(error = %e, "could not queue the reminders");
                }
                if let Err(e) = notifications::purge_old(&db).await {
                    tracing::warn!(error = %e, "could not purge the mail outbox");
                }
            }
            send_waiting(&db, &transport, &from, &base_url).await;
        }
    }))
}

async fn send_waiting(
    db: &Db,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    base_url: &str,
) {
    let waiting = match notifications::outgoing(db, 20).await {
        Ok(waiting) => waiting,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the mail outbox");
            return;
        }
    };
    for mail in waiting {
        let outcome = match message(from, &mail, base_url) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(reason) = &outcome {
            tracing::warn!(mail = mail.id, error = %reason, "a notification was not sent");
        }
        if let Err(e) = notifications::mark(db, mail.id, outcome).await {
            tracing::warn!(error = %e, "could not record a notification's sending");
        }
    }
}

/// The mail: what happened, the link, and why nothing more is in it.
fn message(
    from: &Mailbox,
    mail: &notifications::Outgoing,
    base_url: &str,
) -> Result<Message, String> {
    let to: Mailbox = mail.email.parse().map_err(|e| format!("address: {e}"))?;
    let body = format!(
        "{}\n\n{}{}\n\nこのメールには、子どもの名前などの個人情報は書いていません。内容は、つなぐにログインして確かめてください。\nメール通知の設定：{}/account/notifications\n\n――\nつなぐ（療育支援コーディネート）\n",
        mail.what, base_url, mail.path, base_url
    );
    // Base64: Japanese text arrives intact through any relay.
    let part = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::Base64)
        .body(body);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&mail.subject)
        .singlepart(part)
        .map_err(|e| e.to_string())
}
