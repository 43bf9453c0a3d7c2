//! The client's address, for rate limits: the socket peer, or the last `X-Forwarded-For` entry
//! when a trusted reverse proxy appends it. poem's own `RealIp` believes `X-Real-IP` and the
//! first `X-Forwarded-For` entry, which any client can forge; this takes the entry the proxy
//! wrote, and only when told a proxy is there.

use std::net::IpAddr;

use poem::{Endpoint, Middleware, Request, Result};

/// The address a request came from, if known; set on every request by [`ClientAddresses`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address recorded for `req` (unknown when the middleware did not run).
    pub fn of(req: &Request) -> ClientAddr {
        req.extensions()
            .get::<ClientAddr>()
            .copied()
            .unwrap_or_default()
    }

    fn read(req: &Request, trust_forwarded_for: bool) -> ClientAddr {
        if trust_forwarded_for {
            let forwarded = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok());
            if forwarded.is_some() {
                return ClientAddr(forwarded);
            }
        }
        ClientAddr(match &req.remote_addr().0 {
            poem::Addr::SocketAddr(addr) => Some(addr.ip()),
            _ => None,
        })
    }
}

/// Records each request's [`ClientAddr`].
#[derive(Clone, Copy, Debug)]
pub struct ClientAddresses {
    /// Believe the last `X-Forwarded-For` entry (only behind a proxy that appends it).
    pub trust_forwarded_for: bool,
}

impl<E: Endpoint> Middleware<E> for ClientAddresses {
    type Output = ClientAddressesEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ClientAddressesEndpoint {
            inner,
            trust_forwarded_for: self.trust_forwarded_for,
        }
    }
}

pub struct ClientAddressesEndpoint<E> {
    inner: E,
    trust_forwarded_for: bool,
}

impl<E: Endpoint> Endpoint for ClientAddressesEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let addr = ClientAddr::read(&req, self.trust_forwarded_for);
        req.extensions_mut().insert(addr);
        self.inner.call(req).await
    }
}
