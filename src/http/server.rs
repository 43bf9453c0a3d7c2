//! The HTTP server: hyper serving HTTP/1.1 and HTTP/2 (cleartext) with the limits poem's own
//! `Server` does not offer. A cap on open connections (further clients wait in the listen
//! backlog until one closes), the open-file limit raised to fit it, a deadline for request
//! headers (HTTP/1.1, hyper's `header_read_timeout`), an idle timeout for connections with
//! nothing to do, and a bound on concurrent HTTP/2 streams. Request bodies are bounded and timed
//! by [`super::limits`]. Client addresses are never logged.

use std::{
    convert::Infallible,
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};
use poem::{
    Endpoint, Response,
    http::uri::Scheme,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
    time::Instant,
};

/// Streams one HTTP/2 connection may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`).
pub const MAX_CONCURRENT_STREAMS: u32 = 100;

/// The most headers hyper reads of an HTTP/1.1 request (its default is 100): above
/// [`super::target::MAX_HEADERS`], so that the middleware answers a JSON 431 for most heads
/// that are too large, and hyper's bare 431 is left for the extreme ones.
pub const HYPER_MAX_HEADERS: usize = 256;

/// File descriptors kept free beside the connections: the database, the search index, logs.
const RESERVED_FILES: u64 = 256;

/// How long requests in progress may take to finish once the server is asked to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What the server allows each client.
#[derive(Clone, Copy, Debug)]
pub struct ServerLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time to send a request's headers; for HTTP/1.1 also how long a kept-alive connection
    /// may wait for its next request (hyper starts the header timer as soon as it waits).
    pub header_timeout: Duration,
    /// A connection with no request in progress and no bytes either way for this long is closed.
    pub idle_timeout: Duration,
}

/// Raises the soft open-file limit toward the hard one and returns how many connections fit
/// under it (at most `wanted`), keeping [`RESERVED_FILES`] free.
pub fn fit_connections(wanted: usize) -> usize {
    let files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => files,
        Err(e) => {
            tracing::warn!(error = %e, "could not read or raise the open-file limit");
            return wanted;
        }
    };
    let fit = usize::try_from(files.saturating_sub(RESERVED_FILES).max(1)).unwrap_or(usize::MAX);
    if fit < wanted {
        tracing::warn!(
            open_files = files,
            max_connections = fit,
            "the open-file limit allows fewer connections than ACADEMY_MAX_CONNECTIONS"
        );
    }
    wanted.min(fit)
}

/// Serves `endpoint` on `listener` until `shutdown` completes, then lets requests in progress
/// finish for up to [`SHUTDOWN_GRACE`].
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    E: Endpoint<Output = Response> + 'static,
{
    let local = listener.local_addr()?;
    let endpoint = Arc::new(endpoint);
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (socket, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = socket.set_nodelay(true);
        tokio::spawn(connection(
            socket,
            (local, remote),
            endpoint.clone(),
            limits,
            stopping.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends: all of them back means all are closed.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("stopping with requests still in progress");
    }
    Ok(())
}

/// Serves one connection until it ends, falls idle or the server stops.
async fn connection<E>(
    socket: TcpStream,
    (local, remote): (SocketAddr, SocketAddr),
    endpoint: Arc<E>,
    limits: ServerLimits,
    mut stopping: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) where
    E: Endpoint<Output = Response> + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: socket,
        activity: activity.clone(),
    });
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |request: hyper::Request<Incoming>| {
            let endpoint = endpoint.clone();
            let busy = activity.busy();
            async move {
                let request = poem::Request::from((
                    request,
                    LocalAddr(local.into()),
                    RemoteAddr(remote.into()),
                    Scheme::HTTP,
                ));
                let response = endpoint.get_response(request).await;
                drop(busy);
                Ok::<_, Infallible>(hyper::Response::from(response))
            }
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_headers(HYPER_MAX_HEADERS);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .max_pending_accept_reset_streams(20)
        .max_header_list_size(16 << 10);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    loop {
        let wake = activity.idle_at(limits.idle_timeout);
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = stopping.changed() => break,
            () = tokio::time::sleep_until(wake) => {
                if activity.idle_for(limits.idle_timeout) {
                    break;
                }
            }
        }
    }
    connection.as_mut().graceful_shutdown();
    // A client that neither finishes nor acknowledges the shutdown is cut off.
    let _ = tokio::time::timeout(limits.header_timeout.min(SHUTDOWN_GRACE), connection).await;
}

/// When a connection last moved bytes and how many of its requests are in progress.
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last read, write or finished request.
    last: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }

    /// Marks a request in progress until the guard is dropped.
    fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// When the connection would have been idle for `idle`, as far as is known now.
    fn idle_at(&self, idle: Duration) -> Instant {
        if self.busy.load(Ordering::Relaxed) > 0 {
            Instant::now() + idle
        } else {
            self.last() + idle
        }
    }

    fn idle_for(&self, idle: Duration) -> bool {
        self.busy.load(Ordering::Relaxed) == 0 && self.last().elapsed() >= idle
    }
}

/// A request in progress on a connection.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A socket that records when it last moved bytes.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
