//! The client's address: what allowlists, throttles and the audit log see.
//!
//! The socket's peer is the client, unless that peer is one of the
//! deployment's own proxies ([`ServerConfig::trusted_proxies`]). Then the
//! proxy's forwarding header says who connected to it:
//! `X-Forwarded-For` (RFC 7239's predecessor, what nginx, HAProxy, Envoy and
//! cloud balancers append to) or `Forwarded: for=…` (RFC 7239). The list is
//! walked **from the right**: each entry was appended by the hop to its
//! right, so entries are believed only as far as that hop is trusted. The
//! first entry (from the right) that is not a trusted proxy is the client;
//! anything to its left was written by the client and is ignored. A peer
//! outside the trusted ranges gets its headers ignored entirely, so a
//! client cannot claim another address by sending the header itself.
//!
//! Both headers at once must agree: a proxy manages one of them and passes
//! the other through from the client, and which one is the proxy's cannot
//! be told from here. When they disagree the answer is the nearest address
//! known for certain: the trusted hop that sent them (fail closed: an
//! allowlist of client ranges refuses it).
//!
//! Addresses are canonical: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes
//! IPv4, so one client has one spelling for allowlists and throttle keys.
//! An entry that is not exactly one address (`unknown`, an obfuscated
//! RFC 7239 node, junk) stops the walk at the hop that wrote it.
//!
//! [`ServerConfig::trusted_proxies`]: crate::server::ServerConfig::trusted_proxies

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// Longest forwarding header read (bytes, all lines together); a longer
/// one is treated as junk (its walk stops at the trusted peer).
const MAX_FORWARDED_LEN: usize = 4096;

/// Which peers may tell the client's address in a forwarding header.
#[derive(Clone, Copy, Debug)]
pub enum Proxies<'a> {
    /// None: the socket's peer is always the client.
    None,
    /// Every peer (the old `--trust-forwarded`: only when nothing but the
    /// proxy can reach the server).
    All,
    /// Peers inside these networks.
    Cidrs(&'a [IpNet]),
}

impl From<bool> for Proxies<'_> {
    /// `true` trusts every peer, `false` none (the old `trust_forwarded`).
    fn from(trust_all: bool) -> Self {
        if trust_all {
            Proxies::All
        } else {
            Proxies::None
        }
    }
}

impl<'a> From<&'a [IpNet]> for Proxies<'a> {
    fn from(nets: &'a [IpNet]) -> Self {
        if nets.is_empty() {
            Proxies::None
        } else {
            Proxies::Cidrs(nets)
        }
    }
}

impl<'a> From<&'a Vec<IpNet>> for Proxies<'a> {
    fn from(nets: &'a Vec<IpNet>) -> Self {
        Proxies::from(nets.as_slice())
    }
}

impl Proxies<'_> {
    /// Whether `ip` (canonical) is a trusted proxy.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        match self {
            Proxies::None => false,
            Proxies::All => true,
            Proxies::Cidrs(nets) => net_contains_any(nets, ip),
        }
    }
}

/// Whether any of `nets` holds `ip`, in either spelling of an IPv4
/// address (plain, or mapped into IPv6 for a network written that way).
pub(crate) fn net_contains_any(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    let mapped = match ip {
        IpAddr::V4(v4) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
        IpAddr::V6(_) => None,
    };
    nets.iter()
        .any(|n| n.contains(&ip) || mapped.is_some_and(|m| n.contains(&m)))
}

/// The client's address: `peer` (canonical), or with a trusted peer the
/// address its forwarding headers give (see the module docs). `None` only
/// without a peer (a request that did not come from a socket).
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    proxies: Proxies<'_>,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !proxies.trusts(peer) {
        return Some(peer);
    }
    let xff = joined(headers, "x-forwarded-for").map(|v| walk(peer, &proxies, xff_entries(&v)));
    let fwd = joined(headers, "forwarded")
        .and_then(|v| forwarded_entries(&v))
        .map(|entries| walk(peer, &proxies, entries));
    Some(match (xff, fwd) {
        (Some(a), Some(b)) if a == b => a,
        // Two stories: the one certain hop.
        (Some(_), Some(_)) => peer,
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => peer,
    })
}

/// All lines of a header, comma-joined (RFC 9110 §5.3), if present and
/// readable; an unreadable or oversized one reads as one junk entry.
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut out = String::new();
    for v in values {
        let Ok(s) = v.to_str() else {
            return Some("\u{0}".into());
        };
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(s);
        if out.len() > MAX_FORWARDED_LEN {
            return Some("\u{0}".into());
        }
    }
    Some(out)
}

/// One hop's claim: an address, or something that is not one.
type Entry = Option<IpAddr>;

fn xff_entries(value: &str) -> Vec<Entry> {
    value
        .split(',')
        .map(|e| e.trim().parse::<IpAddr>().ok())
        .collect()
}

/// The `for=` of each element of a `Forwarded` header, left to right;
/// `None` if no element has one (the header says nothing about clients).
fn forwarded_entries(value: &str) -> Option<Vec<Entry>> {
    let mut out = Vec::new();
    let mut any = false;
    for element in split_unquoted(value, ',') {
        let mut found: Option<Entry> = None;
        for pair in split_unquoted(element, ';') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("for") {
                // Two `for=` in one element: ambiguous, junk.
                found = Some(if found.is_some() {
                    None
                } else {
                    forwarded_node(v.trim())
                });
            }
        }
        match found {
            Some(e) => {
                any = true;
                out.push(e);
            }
            // An element without `for=` (only `by=`/`proto=`) is a hop
            // that did not say: the walk must stop there.
            None => out.push(None),
        }
    }
    any.then_some(out)
}

/// Splits on `sep` outside double quotes (RFC 7239 values may quote `,`
/// and `;` inside an IPv6 node with a port).
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(s.get(start..i).unwrap_or(""));
            start = i + c.len_utf8();
        }
    }
    parts.push(s.get(start..).unwrap_or(""));
    parts
}

/// An RFC 7239 node: `192.0.2.1`, `"192.0.2.1:8080"`, `"[2001:db8::1]"`,
/// `"[2001:db8::1]:443"`. `unknown` and obfuscated names are not
/// addresses.
fn forwarded_node(v: &str) -> Entry {
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(v);
    if let Some(rest) = v.strip_prefix('[') {
        let (addr, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.starts_with(':')) {
            return None;
        }
        return addr.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    match v.split_once(':') {
        // IPv4 with a port (IPv6 must be bracketed).
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
        }
        Some(_) => None,
        None => v.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

/// Walks hops from the right, starting at the trusted `peer`.
fn walk(peer: IpAddr, proxies: &Proxies<'_>, entries: Vec<Entry>) -> IpAddr {
    let mut current = peer;
    for entry in entries.into_iter().rev() {
        let Some(ip) = entry else {
            // The trusted hop `current` wrote something that is not an
            // address: it is the last thing known for certain.
            return current;
        };
        let ip = ip.to_canonical();
        if !proxies.trusts(ip) {
            return ip;
        }
        current = ip;
    }
    current
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_send() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        let nets: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        for p in [Proxies::None, Proxies::from(&nets)] {
            assert_eq!(
                client_ip(Some(ip("127.0.0.1")), &h, p),
                Some(ip("127.0.0.1"))
            );
        }
        assert_eq!(client_ip(None, &h, Proxies::All), None);
        // A mapped peer is canonical IPv4.
        assert_eq!(
            client_ip(Some(ip("::ffff:192.0.2.4")), &h, Proxies::None),
            Some(ip("192.0.2.4"))
        );
    }

    #[test]
    fn the_walk_from_the_right_stops_at_the_first_untrusted_hop() {
        let nets: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()];
        let p = Proxies::from(&nets);
        let peer = Some(ip("10.0.0.1"));
        // The client prepended a lie; the proxy appended the truth.
        let h = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.9")]);
        assert_eq!(client_ip(peer, &h, p), Some(ip("203.0.113.9")));
        // Two proxies of ours: skipped.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, fd00::2, 10.1.1.1")]);
        assert_eq!(client_ip(peer, &h, p), Some(ip("203.0.113.9")));
        // Several header lines join in order.
        let mut h = headers(&[("x-forwarded-for", "198.51.100.1")]);
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("::ffff:203.0.113.9"),
        );
        assert_eq!(client_ip(peer, &h, p), Some(ip("203.0.113.9")));
        // Junk written by a trusted hop: that hop is all we know.
        let h = headers(&[("x-forwarded-for", "junk, 10.2.2.2")]);
        assert_eq!(client_ip(peer, &h, p), Some(ip("10.2.2.2")));
        let h = headers(&[("x-forwarded-for", "")]);
        assert_eq!(client_ip(peer, &h, p), peer);
        // Only proxies in the list: the leftmost.
        let h = headers(&[("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(client_ip(peer, &h, p), Some(ip("10.9.9.9")));
        // No header: the peer.
        assert_eq!(client_ip(peer, &HeaderMap::new(), p), peer);
    }

    #[test]
    fn rfc7239_nodes_and_disagreeing_headers() {
        let p = Proxies::All;
        let peer = Some(ip("127.0.0.1"));
        for (v, want) in [
            (
                "for=192.0.2.60;proto=http;by=203.0.113.43",
                Some("192.0.2.60"),
            ),
            (
                "For=\"[2001:db8:cafe::17]:4711\"",
                Some("2001:db8:cafe::17"),
            ),
            (
                "for=\"192.0.2.43:8080\", for=198.51.100.17",
                Some("192.0.2.43"),
            ),
            ("for=\"[2001:db8::1]\";proto=https", Some("2001:db8::1")),
            ("for=unknown", Some("127.0.0.1")),
            ("for=_hidden, for=198.51.100.17", Some("198.51.100.17")),
            ("proto=https", Some("127.0.0.1")),
        ] {
            let h = headers(&[("forwarded", v)]);
            assert_eq!(client_ip(peer, &h, p), want.map(ip), "{v}");
        }
        // Both headers agreeing: fine; disagreeing: the peer.
        let h = headers(&[
            ("forwarded", "for=192.0.2.1"),
            ("x-forwarded-for", "192.0.2.1"),
        ]);
        assert_eq!(client_ip(peer, &h, p), Some(ip("192.0.2.1")));
        let h = headers(&[
            ("forwarded", "for=192.0.2.1"),
            ("x-forwarded-for", "192.0.2.2"),
        ]);
        assert_eq!(client_ip(peer, &h, p), peer);
    }

    #[test]
    fn mapped_networks_match_plain_addresses() {
        let nets: Vec<IpNet> = vec!["::ffff:10.0.0.0/104".parse().unwrap()];
        assert!(Proxies::from(&nets).trusts(ip("10.1.2.3")));
        assert!(Proxies::from(&nets).trusts(ip("::ffff:10.1.2.3")));
        assert!(!Proxies::from(&nets).trusts(ip("11.0.0.1")));
    }
}
