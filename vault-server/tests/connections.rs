//! Slow and idle connections cannot exhaust the server (issue: 300
//! half-sent requests from one address made `/healthz` time out under a
//! 256-descriptor limit).
//!
//! The server runs as a real process under `prlimit --nofile=256`. The
//! "attacker" connects from 127.0.0.2 (any 127/8 address is loopback on
//! Linux), the health check from 127.0.0.1. Timeouts are set low so the
//! suite takes seconds; every wait has a bound.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Server, base_args};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use vault_testkit::TempDir;

const PER_IP: usize = 32;
const HEADER_SECS: u64 = 2;
const BODY_SECS: u64 = 2;
const IDLE_SECS: u64 = 3;

fn start(dir: &TempDir, extra: &[&str]) -> Server {
    let mut args = base_args(dir.path());
    for a in [
        "--max-client-connections-per-ip",
        &PER_IP.to_string(),
        "--header-read-timeout-secs",
        &HEADER_SECS.to_string(),
        "--body-read-timeout-secs",
        &BODY_SECS.to_string(),
        "--idle-timeout-secs",
        &IDLE_SECS.to_string(),
    ] {
        args.push(a.to_owned());
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    // The descriptor limit of the report: 256 (the server needs a few for
    // its database, its log and its listener).
    let mut wrapped = vec![
        "--nofile=256:256".to_owned(),
        env!("CARGO_BIN_EXE_vault-server").to_owned(),
    ];
    wrapped.extend(args);
    Server::start("prlimit", &wrapped, &dir.path().join("server.log"))
}

fn addr(server: &Server) -> SocketAddr {
    server
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("server address")
}

/// A connection from `local` (an address of 127/8).
fn connect_from(local: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = socket2_connect(local, to)?;
    sock.set_read_timeout(Some(Duration::from_secs(15)))?;
    Ok(sock)
}

/// `bind(local:0)` then `connect`, with the standard library only (tokio
/// has the socket API; a blocking test is simpler to bound).
fn socket2_connect(local: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let s = tokio::net::TcpSocket::new_v4()?;
        s.bind(SocketAddr::from((local, 0)))?;
        let stream = tokio::time::timeout(Duration::from_secs(5), s.connect(to))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect"))??;
        stream.into_std().and_then(|s| {
            s.set_nonblocking(false)?;
            Ok(s)
        })
    })
}

/// `GET /healthz` on a fresh connection from 127.0.0.1; the status code.
fn healthz(to: SocketAddr, within: Duration) -> Option<u16> {
    let mut s = connect_from([127, 0, 0, 1], to).ok()?;
    s.set_read_timeout(Some(within)).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Seconds until the server closes `s` (reads until EOF or error), at most
/// `limit`.
fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(t.elapsed()),
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(_) => return Some(t.elapsed()),
        }
    }
}

#[test]
fn slow_connections_from_one_address_cannot_starve_healthz() {
    let dir = TempDir::new("conn-starve");
    let server = start(&dir, &[]);
    let to = addr(&server);
    // 300 half-sent requests and silent sockets from one address: more than
    // the per-address cap, and more than the process has descriptors.
    let mut held = Vec::new();
    for i in 0..300 {
        // A refused or reset connection is fine: that is the cap working.
        if let Ok(mut s) = connect_from([127, 0, 0, 2], to) {
            if i % 2 == 0 {
                let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
            }
            held.push(s);
        }
    }
    // Everyone else is still served, at once.
    let t = Instant::now();
    assert_eq!(
        healthz(to, Duration::from_secs(3)),
        Some(200),
        "healthz must answer while one address holds {} connections",
        held.len()
    );
    assert!(t.elapsed() < Duration::from_secs(3));
    // Beyond the per-address cap, connections were closed right away.
    let mut closed_fast = 0;
    for s in held.iter_mut().skip(PER_IP + 4) {
        if closed_within(s, Duration::from_millis(500)).is_some() {
            closed_fast += 1;
        }
    }
    assert!(
        closed_fast >= 300 - PER_IP - 4 - 8,
        "connections over the per-address cap must be closed at once ({closed_fast} were)"
    );
    // And the ones under the cap go once the header timeout passes.
    let limit = Duration::from_secs(HEADER_SECS + 3);
    for s in held.iter_mut().take(PER_IP) {
        assert!(
            closed_within(s, limit).is_some(),
            "a half-sent request outlived the header timeout"
        );
    }
    assert_eq!(healthz(to, Duration::from_secs(3)), Some(200));
}

#[test]
fn trickled_headers_bodies_and_idle_connections_are_closed() {
    let dir = TempDir::new("conn-timeouts");
    let server = start(&dir, &[]);
    let to = addr(&server);

    // Silent socket: closed after the header timeout.
    let mut silent = connect_from([127, 0, 0, 3], to).unwrap();
    let took = closed_within(&mut silent, Duration::from_secs(HEADER_SECS + 4))
        .expect("a silent connection must be closed");
    assert!(
        took >= Duration::from_millis(HEADER_SECS * 1000 - 300),
        "{took:?}"
    );

    // A header line every second: closed once the whole head is late.
    let mut trickle = connect_from([127, 0, 0, 3], to).unwrap();
    trickle.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
    let t = Instant::now();
    let mut closed = false;
    while t.elapsed() < Duration::from_secs(HEADER_SECS + 5) {
        std::thread::sleep(Duration::from_millis(700));
        if trickle.write_all(b"X-Slow: 1\r\n").is_err() {
            closed = true;
            break;
        }
        trickle.set_nonblocking(true).unwrap();
        let mut b = [0u8; 512];
        let r = trickle.read(&mut b);
        trickle.set_nonblocking(false).unwrap();
        if matches!(r, Ok(0)) || matches!(r, Ok(n) if n > 0) {
            closed = true;
            break;
        }
    }
    assert!(closed, "a trickled header was never cut off");

    // A body announced as 100 bytes, 1 sent: answered and closed after the
    // body timeout.
    let mut body = connect_from([127, 0, 0, 3], to).unwrap();
    body.write_all(
        b"POST /v1/prelogin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .unwrap();
    let t = Instant::now();
    let mut buf = Vec::new();
    body.set_read_timeout(Some(Duration::from_secs(BODY_SECS + 5)))
        .unwrap();
    let _ = body.read_to_end(&mut buf);
    assert!(
        t.elapsed() < Duration::from_secs(BODY_SECS + 4),
        "a trickled body held the connection {:?}",
        t.elapsed()
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.starts_with("HTTP/1.1 4"),
        "a trickled body gets a 4xx: {text:?}"
    );

    // Idle keep-alive after a request: closed after the idle timeout.
    let mut idle = connect_from([127, 0, 0, 3], to).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1024];
    let n = idle.read(&mut first).unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    let took = closed_within(&mut idle, Duration::from_secs(IDLE_SECS + 6))
        .expect("an idle keep-alive connection must be closed");
    assert!(took < Duration::from_secs(IDLE_SECS + 5), "{took:?}");
}

#[test]
fn the_overall_cap_holds_and_frees_up() {
    let dir = TempDir::new("conn-total");
    // A small overall cap: 40 connections from five addresses fill it.
    let server = start(&dir, &["--max-client-connections", "40"]);
    let to = addr(&server);
    let mut held = Vec::new();
    for last in 10..15u8 {
        for _ in 0..8 {
            if let Ok(s) = connect_from([127, 0, 0, last], to) {
                held.push(s);
            }
        }
    }
    // Full: a new connection is closed at once (no answer).
    assert_ne!(healthz(to, Duration::from_secs(1)), Some(200));
    // The silent ones go after the header timeout, and service resumes.
    std::thread::sleep(Duration::from_secs(HEADER_SECS + 2));
    assert_eq!(healthz(to, Duration::from_secs(3)), Some(200));
    drop(held);
}
