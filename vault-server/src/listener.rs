//! The accept loop: every connection bounded in number and in time.
//!
//! Why not `axum::serve`: it has no connection cap and no timeouts, so
//! slow or silent clients could hold every file descriptor (a slowloris
//! that made `/healthz` time out with 300 half-sent requests). Here:
//!
//! - **Caps.** At most [`Limits::max_connections`] connections overall and
//!   [`Limits::max_connections_per_ip`] per source address; a connection
//!   over either cap is closed as soon as it is accepted (it never reaches
//!   HTTP), so one address cannot starve the others.
//! - **First request.** A connection must complete its TLS handshake and
//!   send a whole request head within [`Limits::header_read_timeout`]
//!   (hyper's HTTP/1 header timeout covers later requests' heads).
//! - **Idle.** A connection with no request in flight and no bytes read or
//!   written for [`Limits::idle_timeout`] is closed (the event stream
//!   writes a keep-alive comment every 25 s, and HTTP/2 connections are
//!   pinged every 30 s, so neither an event stream nor a gRPC
//!   `WatchSecrets` stream is ever idle).
//! - **Protocols.** hyper-util's auto builder reads the first bytes: the
//!   HTTP/2 preface means HTTP/2 (h2c with prior knowledge on a plain
//!   listener, which is how gRPC clients speak cleartext), anything else
//!   HTTP/1.1. Under TLS, ALPN offers `h2` then `http/1.1`. The HTTP API
//!   and the gRPC service (`/vault.secrets.v1.Secrets/*`) share the router,
//!   hence the port.
//! - **Bodies.** The router's body-read timeout (`RequestBodyTimeoutLayer`,
//!   [`Limits::body_read_timeout`]) ends a request whose body trickles in.
//! - **Accept errors** (`EMFILE` when descriptors run out) never end the
//!   loop: it backs off briefly and carries on.
//!
//! TLS (rustls, TLS 1.3 only) is terminated here too, with tokio-rustls:
//! axum-server is gone, and with it `rustls-pemfile` (RUSTSEC-2025-0134).

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// Connection limits and timeouts.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Open connections, overall.
    pub max_connections: usize,
    /// Open connections from one address (IPv6: per address, not per /64).
    pub max_connections_per_ip: usize,
    /// From accept to a complete first request head (TLS included), and for
    /// each later HTTP/1 request head.
    pub header_read_timeout: Duration,
    /// A request body must arrive within this.
    pub body_read_timeout: Duration,
    /// No request in flight and no bytes either way for this long: closed.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            max_connections_per_ip: 256,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
        }
    }
}

/// Open connections per source address.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One counted connection; uncounted when dropped.
struct IpSlot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<IpSlot> {
        let mut m = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = m.entry(ip).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut m = self
            .table
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = m.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

/// What the watchdog of one connection looks at.
struct Activity {
    start: Instant,
    /// Milliseconds after `start` of the last byte read or written.
    last_io_ms: AtomicU64,
    /// Requests whose handler has not answered yet.
    in_flight: AtomicUsize,
    /// Requests seen on this connection.
    requests: AtomicU64,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Activity {
            start: Instant::now(),
            last_io_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
        })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_io_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// Decrements `in_flight` when the handler's future ends (or is dropped).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(a: &Arc<Activity>) -> Self {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        a.requests.fetch_add(1, Ordering::Relaxed);
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A stream that records when bytes last moved.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves `app` on `listener` until `shutdown` flips to `true`, then lets
/// the open connections finish for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) {
    let total = Arc::new(Semaphore::new(limits.max_connections));
    let per_ip = Arc::new(PerIp::default());
    let limits = Arc::new(limits);
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.changed() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors (or a connection reset before
                    // accept): back off a little, never give up.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = total.clone().try_acquire_owned() else {
            // Over the overall cap: close at once (dropping the stream).
            tracing::debug!("connection refused: too many connections");
            continue;
        };
        let Some(slot) = per_ip.take(peer.ip(), limits.max_connections_per_ip) else {
            tracing::debug!("connection refused: too many connections from one address");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let limits = limits.clone();
        let tls = tls.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let _held = (permit, slot);
            connection(stream, peer, tls, app, &limits, shutdown).await;
        });
    }
    // Shutting down: the connection tasks saw the same signal; give them
    // the grace period, then drop what is left.
    let _ = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    tasks.abort_all();
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    limits: &Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let activity = Activity::new();
    let io = Watched {
        inner: stream,
        activity: activity.clone(),
    };
    match tls {
        None => serve_io(io, peer, app, limits, activity, &mut shutdown).await,
        Some(acceptor) => {
            let Ok(Ok(tls)) =
                tokio::time::timeout(limits.header_read_timeout, acceptor.accept(io)).await
            else {
                return;
            };
            serve_io(tls, peer, app, limits, activity, &mut shutdown).await;
        }
    }
}

async fn serve_io<S>(
    io: S,
    peer: SocketAddr,
    app: Router,
    limits: &Limits,
    activity: Arc<Activity>,
    shutdown: &mut watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let counted = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let guard = InFlight::start(&counted);
        let app = app.clone();
        async move {
            let resp = app.oneshot(req.map(axum::body::Body::new)).await;
            drop(guard);
            resp
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let tick =
        (limits.header_read_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
    let mut closing: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = shutdown.changed(), if closing.is_none() => {
                conn.as_mut().graceful_shutdown();
                closing = Some(Instant::now());
            }
            _ = tokio::time::sleep(tick) => {
                if let Some(since) = closing {
                    // Shut down gracefully but still open after a header
                    // timeout (e.g. a peer that never finished its first
                    // request): drop it.
                    if since.elapsed() > limits.header_read_timeout {
                        return;
                    }
                    continue;
                }
                // No request yet after a header timeout (silent, or stuck
                // before hyper's own timer starts): nothing to finish.
                if activity.requests.load(Ordering::Relaxed) == 0
                    && activity.start.elapsed() > limits.header_read_timeout
                {
                    return;
                }
                let quiet = activity.in_flight.load(Ordering::Relaxed) == 0;
                if quiet && activity.idle_for() > limits.idle_timeout {
                    conn.as_mut().graceful_shutdown();
                    closing = Some(Instant::now());
                }
            }
        }
    }
}
