//! Where the server is, who the service is, and how to connect:
//! [`ClientOptions`], [`EnvConfig`] (the environment variables), the
//! server URL rule (TLS, or plain HTTP to this host only) and the token
//! file rule (not open to group or others).

use crate::error::ConfigError;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;
use vault_core::machine::ServiceToken;
use zeroize::Zeroizing;

/// How long an opened value is served from memory by default.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);
/// Largest token file read (the token is under 200 bytes).
const MAX_TOKEN_FILE: usize = 4096;
/// Largest CA file read.
const MAX_CA_FILE: usize = 1 << 20;

/// The environment variable naming the server (`https://vault.example.com`).
pub const ENV_SERVER: &str = "VAULT_SERVER";
/// The environment variable holding the `vst1.` token itself.
pub const ENV_TOKEN: &str = "VAULT_SERVICE_TOKEN";
/// The environment variable naming a file that holds the token.
pub const ENV_TOKEN_FILE: &str = "VAULT_SERVICE_TOKEN_FILE";
/// The environment variable naming a PEM file of extra CA certificates.
pub const ENV_CA_FILE: &str = "VAULT_CA_FILE";
/// `1` allows plain `http://` to a host that is not this machine.
pub const ENV_ALLOW_HTTP: &str = "VAULT_ALLOW_HTTP";
/// The cache TTL in whole seconds (`0`: no cache).
pub const ENV_CACHE_TTL: &str = "VAULT_SECRETS_CACHE_TTL";

/// How a [`SecretsClient`](crate::SecretsClient) connects and caches.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// How long an opened value is served from memory before the server is
    /// asked again ([`DEFAULT_CACHE_TTL`]; zero: never cached). With
    /// [`watch`](crate::SecretsClient::watch) running, changes also drop
    /// what they touch at once.
    pub cache_ttl: Duration,
    /// Allow plain `http://` to a host other than this machine (loopback
    /// addresses and `localhost` are always allowed). The auth header is
    /// a bearer secret: only behind a network you trust.
    pub allow_http: bool,
    /// Extra CA certificates (PEM) trusted beside the built-in Mozilla
    /// roots, for a server with a private CA.
    pub ca_pem: Option<Vec<u8>>,
    /// The longest a call may take (connecting included).
    pub timeout: Duration,
    /// The longest connecting may take.
    pub connect_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            cache_ttl: DEFAULT_CACHE_TTL,
            allow_http: false,
            ca_pem: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// What [`SecretsClient::from_env`](crate::SecretsClient::from_env) reads:
///
/// | variable | meaning |
/// |---|---|
/// | `VAULT_SERVER` | the server's URL (required) |
/// | `VAULT_SERVICE_TOKEN` | the `vst1.` token, or… |
/// | `VAULT_SERVICE_TOKEN_FILE` | …a file holding it (one of the two; on unix not open to group or others) |
/// | `VAULT_CA_FILE` | extra CA certificates, PEM (optional) |
/// | `VAULT_ALLOW_HTTP` | `1` allows plain `http://` beyond this host (optional) |
/// | `VAULT_SECRETS_CACHE_TTL` | cache TTL in seconds, `0` for none (optional, default 60) |
///
/// Empty variables count as unset; the token is trimmed of whitespace.
///
/// ```
/// use vault_secrets::EnvConfig;
/// let env = |k: &str| match k {
///     "VAULT_SERVER" => Some("http://127.0.0.1:8080".to_owned()),
///     _ => None,
/// };
/// // No token: a typed error naming the variables.
/// assert!(EnvConfig::from_lookup(env).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct EnvConfig {
    /// The server URL, checked ([`check_server_url`]).
    pub server_url: String,
    /// The service's token (`Debug` redacted).
    pub token: ServiceToken,
    /// The options.
    pub options: ClientOptions,
}

impl EnvConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the variables through `lookup` (for tests, or another source
    /// of settings).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let mut options = ClientOptions::default();
        if let Some(v) = get(ENV_ALLOW_HTTP) {
            options.allow_http = parse_bool(&v).ok_or(ConfigError::Invalid {
                var: ENV_ALLOW_HTTP,
                reason: "must be 1/0, true/false or yes/no",
            })?;
        }
        if let Some(v) = get(ENV_CACHE_TTL) {
            let secs: u64 = v.trim().parse().map_err(|_| ConfigError::Invalid {
                var: ENV_CACHE_TTL,
                reason: "must be a whole number of seconds",
            })?;
            options.cache_ttl = Duration::from_secs(secs);
        }
        if let Some(path) = get(ENV_CA_FILE) {
            options.ca_pem = Some(read_capped(Path::new(&path), "CA file", MAX_CA_FILE)?.to_vec());
        }
        let server = get(ENV_SERVER).ok_or(ConfigError::Missing(ENV_SERVER))?;
        let server_url = check_server_url(&server, options.allow_http)?;
        let token = match (get(ENV_TOKEN), get(ENV_TOKEN_FILE)) {
            (Some(_), Some(_)) => return Err(ConfigError::AmbiguousToken),
            (Some(text), None) => parse_token(&Zeroizing::new(text))?,
            (None, Some(path)) => read_token_file(Path::new(&path))?,
            (None, None) => {
                return Err(ConfigError::Missing(
                    "VAULT_SERVICE_TOKEN (or VAULT_SERVICE_TOKEN_FILE)",
                ));
            }
        };
        Ok(EnvConfig {
            server_url,
            token,
            options,
        })
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Parses a token's text (trimmed). The error never repeats the text.
pub fn parse_token(text: &str) -> Result<ServiceToken, ConfigError> {
    ServiceToken::parse(text.trim()).map_err(|_| ConfigError::InvalidToken)
}

/// Reads a token file: on unix it must not be open to group or others
/// (mode `0600` or stricter); its content is trimmed of whitespace.
pub fn read_token_file(path: &Path) -> Result<ServiceToken, ConfigError> {
    let bytes = read_capped(path, "token file", MAX_TOKEN_FILE)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ConfigError::InvalidToken)?;
    parse_token(text)
}

/// Reads at most `max` bytes of `path` (an error if it holds more). A
/// token file's permissions are checked on the open file (no race with a
/// rename between the check and the read).
fn read_capped(
    path: &Path,
    what: &'static str,
    max: usize,
) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let io = |e: std::io::Error| ConfigError::Read {
        what,
        path: path.to_owned(),
        kind: e.kind(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    #[cfg(unix)]
    if what == "token file" {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(io)?.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(ConfigError::TokenFilePermissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    let mut buf = Zeroizing::new(Vec::new());
    file.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() > max {
        return Err(ConfigError::TooLarge {
            what,
            path: path.to_owned(),
            max,
        });
    }
    Ok(buf)
}

/// Checks a server URL and returns it normalised (no trailing `/`):
/// `https://` anywhere; `http://` only to this machine (`localhost`,
/// `127.0.0.0/8`, `::1`, IPv4-mapped loopback) unless `allow_http`; no
/// credentials, path, query or fragment (gRPC calls go to the root).
///
/// ```
/// use vault_secrets::check_server_url;
/// assert_eq!(check_server_url("https://vault.example.com/", false)?, "https://vault.example.com");
/// assert!(check_server_url("http://127.0.0.1:8080", false).is_ok());
/// assert!(check_server_url("http://[::1]:8080", false).is_ok());
/// assert!(check_server_url("http://vault.internal:8080", false).is_err());
/// assert!(check_server_url("http://vault.internal:8080", true).is_ok());
/// # Ok::<(), vault_secrets::ConfigError>(())
/// ```
pub fn check_server_url(url: &str, allow_http: bool) -> Result<String, ConfigError> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").ok_or(ConfigError::InvalidUrl(
        "no scheme: use https://host[:port]",
    ))?;
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !(path.is_empty() || path == "/") {
        return Err(ConfigError::InvalidUrl(
            "no path, query or fragment: the calls go to the server's root",
        ));
    }
    if authority.is_empty() {
        return Err(ConfigError::InvalidUrl("no host"));
    }
    if authority.contains('@') {
        return Err(ConfigError::InvalidUrl("must not contain credentials"));
    }
    let host = host_of(authority)?;
    match scheme.as_str() {
        "https" => {}
        "http" if allow_http || is_local(host) => {}
        "http" => return Err(ConfigError::InsecureHttp),
        _ => return Err(ConfigError::InvalidUrl("the scheme must be https or http")),
    }
    let normalised = format!("{scheme}://{authority}");
    // What the channel will parse: refuse here what it would refuse later.
    normalised
        .parse::<tonic::codegen::http::Uri>()
        .map_err(|_| ConfigError::InvalidUrl("not a valid URL"))?;
    Ok(normalised)
}

/// The host of `host[:port]` or `[v6]:port`, brackets removed.
fn host_of(authority: &str) -> Result<&str, ConfigError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or(ConfigError::InvalidUrl("unclosed [ in the host"))?;
        if !(after.is_empty() || after.starts_with(':')) {
            return Err(ConfigError::InvalidUrl("junk after the IPv6 address"));
        }
        return Ok(host);
    }
    let host = authority.split(':').next().unwrap_or_default();
    if host.is_empty() {
        return Err(ConfigError::InvalidUrl("no host"));
    }
    Ok(host)
}

/// Whether `host` is this machine: `localhost` or a loopback address
/// (IPv4-mapped IPv6 loopback included).
pub(crate) fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;
    use vault_core::{VaultId, rng};

    fn token() -> ServiceToken {
        ServiceToken::generate(VaultId([4; 16]), [9; 32], &mut rng::os_rng())
    }

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    struct Dir(PathBuf);
    impl Dir {
        fn new(label: &str) -> Dir {
            let id = VaultId::generate(&mut rng::os_rng());
            let d = std::env::temp_dir().join(format!("vault-secrets-{label}-{id}"));
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn write(path: &Path, text: &str, mode: u32) {
        std::fs::write(path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
    }

    #[test]
    fn the_environment_gives_server_token_and_options() {
        let t = token();
        let text = t.to_text();
        let padded = format!("  {}\n", text.expose_secret());
        let c = EnvConfig::from_lookup(lookup(&[
            (ENV_SERVER, "https://vault.example.com/"),
            (ENV_TOKEN, &padded),
            (ENV_CACHE_TTL, "5"),
        ]))
        .unwrap();
        assert_eq!(c.server_url, "https://vault.example.com");
        assert_eq!(c.token.service(), t.service());
        assert_eq!(c.options.cache_ttl, Duration::from_secs(5));
        assert!(!c.options.allow_http);
        // The token's text is nowhere in the Debug form.
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(text.expose_secret()));
        assert!(!dbg.contains(&text.expose_secret()[5..20]));
    }

    #[test]
    fn missing_ambiguous_and_bad_settings_are_typed_errors() {
        let t = token();
        let text = t.to_text();
        let tok = text.expose_secret();
        type Check = fn(&ConfigError) -> bool;
        let cases: Vec<(Vec<(&str, &str)>, Check)> = vec![
            (vec![(ENV_TOKEN, tok)], |e| {
                matches!(e, ConfigError::Missing("VAULT_SERVER"))
            }),
            (vec![(ENV_SERVER, "https://v.example")], |e| {
                matches!(e, ConfigError::Missing(_))
            }),
            (
                vec![(ENV_SERVER, "https://v.example"), (ENV_TOKEN, "  ")],
                |e| matches!(e, ConfigError::Missing(_)),
            ),
            (
                vec![
                    (ENV_SERVER, "https://v.example"),
                    (ENV_TOKEN, tok),
                    (ENV_TOKEN_FILE, "/nonexistent"),
                ],
                |e| matches!(e, ConfigError::AmbiguousToken),
            ),
            (
                vec![(ENV_SERVER, "https://v.example"), (ENV_TOKEN, "vst1.nope")],
                |e| matches!(e, ConfigError::InvalidToken),
            ),
            (
                vec![(ENV_SERVER, "http://10.0.0.5:8080"), (ENV_TOKEN, tok)],
                |e| matches!(e, ConfigError::InsecureHttp),
            ),
            (
                vec![
                    (ENV_SERVER, "https://v.example"),
                    (ENV_TOKEN, tok),
                    (ENV_ALLOW_HTTP, "maybe"),
                ],
                |e| matches!(e, ConfigError::Invalid { .. }),
            ),
            (
                vec![
                    (ENV_SERVER, "https://v.example"),
                    (ENV_TOKEN, tok),
                    (ENV_CACHE_TTL, "1m"),
                ],
                |e| matches!(e, ConfigError::Invalid { .. }),
            ),
            (
                vec![
                    (ENV_SERVER, "https://v.example"),
                    (ENV_TOKEN, tok),
                    (ENV_CA_FILE, "/nonexistent/ca.pem"),
                ],
                |e| matches!(e, ConfigError::Read { .. }),
            ),
            (
                vec![
                    (ENV_SERVER, "https://v.example"),
                    (ENV_TOKEN_FILE, "/nonexistent/token"),
                ],
                |e| matches!(e, ConfigError::Read { .. }),
            ),
        ];
        for (vars, check) in cases {
            let e = EnvConfig::from_lookup(lookup(&vars)).unwrap_err();
            assert!(check(&e), "{vars:?}: {e:?}");
            // No message repeats the token.
            assert!(!e.to_string().contains(&tok[5..40]), "{e}");
        }
    }

    #[test]
    fn plain_http_is_allowed_beyond_this_host_only_when_asked() {
        let t = token();
        let text = t.to_text();
        let c = EnvConfig::from_lookup(lookup(&[
            (ENV_SERVER, "http://vault.internal:8080"),
            (ENV_TOKEN, text.expose_secret()),
            (ENV_ALLOW_HTTP, "1"),
        ]))
        .unwrap();
        assert!(c.options.allow_http);
        assert_eq!(c.server_url, "http://vault.internal:8080");
    }

    #[test]
    fn token_files_are_trimmed_and_must_be_private() {
        let dir = Dir::new("token");
        let t = token();
        let path = dir.0.join("token");
        write(
            &path,
            &format!("\n{}  \n", t.to_text().expose_secret()),
            0o600,
        );
        let p = path.to_str().unwrap();
        let c = EnvConfig::from_lookup(lookup(&[
            (ENV_SERVER, "http://localhost:1"),
            (ENV_TOKEN_FILE, p),
        ]))
        .unwrap();
        assert_eq!(c.token.service(), t.service());
        assert_eq!(c.server_url, "http://localhost:1");
        #[cfg(unix)]
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
            write(&path, t.to_text().expose_secret(), mode);
            let e = read_token_file(&path).unwrap_err();
            assert!(
                matches!(e, ConfigError::TokenFilePermissions { mode: m, .. } if m == mode),
                "{mode:o}: {e:?}"
            );
            assert!(e.to_string().contains("chmod 600"));
        }
        write(&path, t.to_text().expose_secret(), 0o400);
        assert!(read_token_file(&path).is_ok());
        write(&path, &"x".repeat(MAX_TOKEN_FILE + 1), 0o600);
        assert!(matches!(
            read_token_file(&path),
            Err(ConfigError::TooLarge { .. })
        ));
        write(&path, "vst1.garbage", 0o600);
        assert!(matches!(
            read_token_file(&path),
            Err(ConfigError::InvalidToken)
        ));
    }

    #[test]
    fn loopback_rule() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://localhost:1",
            "http://LOCALHOST",
            "http://[::1]:443",
            "http://[::ffff:127.0.0.1]:80",
            "https://vault.example.com",
            "https://10.0.0.5:8443",
            "HTTPS://vault.example.com:443/",
        ] {
            assert!(check_server_url(ok, false).is_ok(), "{ok}");
        }
        for remote in [
            "http://10.0.0.5",
            "http://vault.example.com",
            "http://[2001:db8::1]:80",
            "http://0.0.0.0:80",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "http://[::ffff:10.0.0.1]",
        ] {
            assert!(
                matches!(
                    check_server_url(remote, false),
                    Err(ConfigError::InsecureHttp)
                ),
                "{remote}"
            );
            assert!(check_server_url(remote, true).is_ok(), "{remote}");
        }
        for bad in [
            "vault.example.com",
            "ftp://vault.example.com",
            "https://user:pw@vault.example.com",
            "https://vault.example.com/prefix",
            "https://vault.example.com?x=1",
            "https://",
            "https://:443",
            "http://[::1",
            "http://[::1]x",
        ] {
            assert!(
                matches!(check_server_url(bad, true), Err(ConfigError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }
}
