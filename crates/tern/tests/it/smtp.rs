//! Mail through a real SMTP server process (Python's aiosmtpd), read back
//! from the mailbox it writes.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::harness::{Db, PW, TestApp, read_mail_dir};
use crate::on_both;

struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts aiosmtpd with a Maildir handler, or `None` when it is not
/// installed (then the test is skipped, unless CI requires it).
async fn start_smtp() -> Option<SmtpServer> {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !available {
        assert!(
            std::env::var("TERN_TEST_REQUIRE_SMTP").is_err(),
            "TERN_TEST_REQUIRE_SMTP is set but aiosmtpd is not installed"
        );
        eprintln!("skipped: pip install aiosmtpd to run the SMTP test");
        return None;
    }
    let maildir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path().join("box"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(SmtpServer { child, port, maildir });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    panic!("aiosmtpd did not start");
}

on_both!(verification_mail_goes_through_a_real_smtp_server, |db: Db| async move {
    let Some(smtp) = start_smtp().await else {
        return;
    };
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = TestApp::start_with(db, |s| s.mail.smtp_url = Some(url.into())).await;
    let res = app
        .client
        .post(format!("{}/api/v1/accounts", app.url))
        .header("accept-language", "zh-CN")
        .json(&json!({ "email": "pia@example.com", "password": PW }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED);
    assert_eq!(app.drain_jobs().await, 1);
    let new_mail = smtp.maildir.path().join("box").join("new");
    let mails = read_mail_dir(&new_mail, "pia@example.com");
    assert_eq!(mails.len(), 1, "delivered once through SMTP");
    assert_eq!(mails[0].subject, "请验证您在 Tern 的邮箱");
    let token = mails[0]
        .link_token("verify-email")
        .expect("link survives the SMTP trip");
    let (s, _) = app
        .post("/api/v1/accounts/verify-email", None, json!({ "token": token }))
        .await;
    assert_eq!(s, reqwest::StatusCode::NO_CONTENT);
    assert!(
        app.mail_to("pia@example.com").is_empty(),
        "nothing went to the file outbox"
    );
    app.stop().await;
});
