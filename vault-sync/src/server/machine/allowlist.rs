//! Address allowlists of services and projects.
//!
//! A service call is allowed only if its client address
//! ([`super::client_addr`]) is inside the service's own allowlist **and**
//! inside its project's: an empty list allows any address; anything else
//! is a list of CIDRs (IPv4 or IPv6; a bare address is a /32 or /128).
//! IPv4 clients match IPv4 networks and networks written as IPv4-mapped
//! IPv6 (`::ffff:10.0.0.0/104`); the store normalises lists as they are
//! set, but a stored entry that does not parse makes its whole list refuse
//! everything (fail closed: a typo in the database must not open access).

use super::client_addr::net_contains_any;
use ipnet::IpNet;
use std::net::IpAddr;

/// One parsed allowlist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowlist {
    /// Empty: any address.
    Any,
    /// These networks.
    Nets(Vec<IpNet>),
    /// An entry did not parse: no address.
    Broken,
}

impl Allowlist {
    /// Parses stored entries (CIDRs or bare addresses).
    pub fn parse(entries: &[String]) -> Allowlist {
        if entries.is_empty() {
            return Allowlist::Any;
        }
        let mut nets = Vec::with_capacity(entries.len());
        for e in entries {
            let e = e.trim();
            match e.parse::<IpNet>() {
                Ok(n) => nets.push(n),
                Err(_) => match e.parse::<IpAddr>() {
                    Ok(a) => nets.push(IpNet::from(a)),
                    Err(_) => return Allowlist::Broken,
                },
            }
        }
        Allowlist::Nets(nets)
    }

    /// Whether `ip` may connect (`None`, an unknown address, only where
    /// any address may).
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        match (self, ip) {
            (Allowlist::Any, _) => true,
            (Allowlist::Nets(nets), Some(ip)) => net_contains_any(nets, ip),
            (Allowlist::Nets(_), None) | (Allowlist::Broken, _) => false,
        }
    }
}

/// A service's and its project's lists together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowlists {
    /// The service's own.
    pub service: Allowlist,
    /// Its project's.
    pub project: Allowlist,
}

impl Allowlists {
    /// Parses both.
    pub fn parse(service: &[String], project: &[String]) -> Self {
        Allowlists {
            service: Allowlist::parse(service),
            project: Allowlist::parse(project),
        }
    }

    /// Both must allow `ip`.
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        self.service.allows(ip) && self.project.allows(ip)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn l(entries: &[&str]) -> Allowlist {
        Allowlist::parse(&entries.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn families_mapped_addresses_and_fail_closed() {
        assert!(l(&[]).allows(ip("192.0.2.1")));
        assert!(l(&[]).allows(None));
        let v4 = l(&["10.0.0.0/8", "192.0.2.7"]);
        assert!(v4.allows(ip("10.200.0.1")));
        assert!(v4.allows(ip("192.0.2.7")));
        assert!(v4.allows(ip("::ffff:10.0.0.1")));
        assert!(!v4.allows(ip("192.0.2.8")));
        assert!(!v4.allows(ip("::1")));
        assert!(!v4.allows(None));
        let v6 = l(&["2001:db8::/32"]);
        assert!(v6.allows(ip("2001:db8:1::5")));
        assert!(!v6.allows(ip("2001:db9::1")));
        assert!(!v6.allows(ip("10.0.0.1")));
        let mapped = l(&["::ffff:10.0.0.0/104"]);
        assert!(mapped.allows(ip("10.9.8.7")));
        assert!(!mapped.allows(ip("11.0.0.1")));
        // One bad entry refuses every address.
        let broken = l(&["10.0.0.0/8", "ten.0.0.0/8"]);
        assert_eq!(broken, Allowlist::Broken);
        assert!(!broken.allows(ip("10.0.0.1")));
        // Both lists must allow.
        let both = Allowlists::parse(&["10.0.0.0/8".into()], &["10.1.0.0/16".into()]);
        assert!(both.allows(ip("10.1.2.3")));
        assert!(!both.allows(ip("10.2.0.1")));
    }
}
