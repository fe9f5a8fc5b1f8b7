//! Starting and stopping a Tern server process.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use tern_app::jobs::Worker;
use tern_app::{App, Clock, Settings};
use tern_http::HttpState;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What to run in this process.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Serve HTTP (API and portal).
    pub http: bool,
    /// Run the job worker.
    pub worker: bool,
}

/// A running server; dropping it does not stop it, call [`Running::stop`].
pub struct Running {
    pub app: App,
    /// Where HTTP listens (when it runs).
    pub addr: Option<SocketAddr>,
    /// Where `/metrics` listens (when configured).
    pub metrics_addr: Option<SocketAddr>,
    /// Where the mutual-TLS ES2+ callback listener is (when configured).
    pub callback_tls_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// The sample catalogue a fresh database starts with.
pub const SAMPLE_CATALOGUE: &[u8] = include_bytes!("../../../examples/catalogue.json");

/// Opens the database (migrating it, and loading the sample catalogue into
/// an empty one), then starts what `opts` asks for.
pub async fn start(settings: Settings, clock: Clock, opts: Options) -> anyhow::Result<Running> {
    // Bind first: the built-in SM-DP+ emulator needs the real address to
    // call back.
    let listener = if opts.http {
        Some(bind(&settings.listen).await?)
    } else {
        None
    };
    let callback = match &listener {
        Some(l) => format!("http://{}", l.local_addr()?),
        None => format!("http://{}", settings.listen),
    };
    let app = App::build_with_callback(settings, clock, &callback)
        .await
        .context("could not start Tern")?;
    let seeded = tern_app::catalogue::seed_if_empty(&app, SAMPLE_CATALOGUE)
        .await
        .map_err(|e| anyhow::anyhow!("could not load the sample catalogue: {e}"))?;
    if seeded > 0 {
        tracing::info!(plans = seeded, "loaded the sample catalogue into the empty database");
    }
    start_listening(app, listener, opts).await
}

async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// Starts HTTP and/or the worker for an already built application.
pub async fn start_with(app: App, opts: Options) -> anyhow::Result<Running> {
    let listener = if opts.http {
        Some(bind(&app.settings.listen).await?)
    } else {
        None
    };
    start_listening(app, listener, opts).await
}

async fn start_listening(app: App, listener: Option<TcpListener>, opts: Options) -> anyhow::Result<Running> {
    let (shutdown, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut addr = None;
    let mut metrics_addr = None;
    let mut callback_tls_addr = None;
    if opts.http
        && let Some(tls) = app.settings.smdp.callback_tls.clone()
    {
        let config = tern_esim::tls::server_config(&tern_esim::tls::ServerTls {
            cert: tls.cert,
            key: tls.key,
            client_ca: Some(tls.client_ca),
        })
        .context("smdp.callback_tls")?;
        let listener = TcpListener::bind(&tls.listen)
            .await
            .with_context(|| format!("cannot listen for ES2+ callbacks on {}", tls.listen))?;
        callback_tls_addr = Some(listener.local_addr()?);
        let router = tern_http::callback_tls_router(HttpState::new(app.clone()));
        let mut stop = rx.clone();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        tasks.push(tokio::spawn(async move {
            if let Err(e) = tern_esim::tls::serve(listener, config, router, stopped).await {
                tracing::error!(error = %e, "ES2+ callback TLS listener stopped with an error");
            }
        }));
    }
    if let Some(listener) = listener {
        addr = Some(listener.local_addr()?);
        let router = tern_http::router(HttpState::new(app.clone()));
        let mut stop = rx.clone();
        tasks.push(tokio::spawn(async move {
            let served = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "HTTP server stopped with an error");
            }
        }));
    }
    if !app.settings.metrics_listen.is_empty()
        && let Some(handle) = crate::telemetry::prometheus()
    {
        let listener = TcpListener::bind(&app.settings.metrics_listen)
            .await
            .with_context(|| format!("cannot listen for metrics on {}", app.settings.metrics_listen))?;
        metrics_addr = Some(listener.local_addr()?);
        let router = Router::new().route("/metrics", get(move || std::future::ready(handle.render())));
        let mut stop = rx.clone();
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
        }));
    }
    if opts.worker {
        let worker = Worker::new(app.clone());
        let stop = rx.clone();
        tasks.push(tokio::spawn(async move { worker.run(stop).await }));
    }
    Ok(Running {
        app,
        addr,
        metrics_addr,
        callback_tls_addr,
        shutdown,
        tasks,
    })
}

impl Running {
    /// Stops accepting work, lets running requests and jobs finish, and
    /// closes the database pool.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        // Closing waits for borrowed connections; do not hang on one that
        // a caller still holds.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.app.db.close()).await;
    }

    /// The base URL of the HTTP listener.
    pub fn url(&self) -> String {
        match self.addr {
            Some(a) => format!("http://{a}"),
            None => String::new(),
        }
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
