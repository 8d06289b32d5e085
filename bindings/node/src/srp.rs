//! SRP-6a (RFC 5054, SHA-256), both halves, as message-in / message-out
//! state objects. Messages are plain objects (or their JSON text) in the
//! shapes of `docs/protocol.md`; the server's state between its two
//! requests serialises with `toJson()` (secret: keep it server-side).

use crate::convert::{message, to_js};
use crate::error::{OrNapi, OrThrow, Result, invalid, malformed};
use crate::keys::{SecretBytes, SymmetricKey};
use crate::rng::{Rng, with_rng};
use napi::bindgen_prelude::Object;
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::srp::{
    ClientAwaitingChallenge, ClientAwaitingServerProof, ClientHello, ClientProof,
    ServerAwaitingClientProof, ServerChallenge, ServerProof, SrpClient, SrpGroup, SrpRegistration,
    SrpServer,
};

/// An SRP group by wire name (`"rfc5054-3072"`, the default, or `"rfc5054-4096"`).
pub(crate) fn group(name: Option<String>) -> Result<SrpGroup> {
    match name {
        None => Ok(SrpGroup::default()),
        Some(n) => {
            serde_json::from_value(serde_json::Value::String(n)).map_err(|_| malformed("SRP group"))
        }
    }
}

/// An SRP registration record (object or JSON text).
pub(crate) fn registration(env: &Env, v: Unknown<'_>) -> Result<SrpRegistration> {
    message(env, v, "SRP registration", SrpRegistration::from_json)
}

/// A client hello (object or JSON text).
pub(crate) fn hello(env: &Env, v: Unknown<'_>) -> Result<ClientHello> {
    message(env, v, "SRP client hello", ClientHello::from_json)
}

/// `{ server, challenge }` for a server's first step.
pub(crate) fn server_start<'e>(
    env: &'e Env,
    state: ServerAwaitingClientProof,
    challenge: &ServerChallenge,
) -> Result<Object<'e>> {
    let mut o = Object::new(env).or_napi()?;
    o.set("server", SrpServerLogin { state: Some(state) })
        .or_napi()?;
    o.set("challenge", to_js(env, challenge)?).or_napi()?;
    Ok(o)
}

/// Registration and password change, client side: a fresh salt and the
/// verifier for `identifier` and the auth key. Send the record to the server
/// over an authenticated channel.
#[napi(ts_return_type = "SrpRegistration")]
pub fn srp_register<'e>(
    env: &'e Env,
    identifier: String,
    auth_key: &SymmetricKey,
    #[napi(ts_arg_type = "SrpGroup")] group_name: Option<String>,
    rng: Option<&mut Rng>,
) -> Result<Unknown<'e>> {
    let g = group(group_name)?;
    let rec = with_rng(rng, |r| {
        SrpClient::register(&identifier, &auth_key.inner, g, r).or_throw()
    })?;
    to_js(env, &rec)
}

enum ClientState {
    AwaitingChallenge(ClientAwaitingChallenge),
    AwaitingServerProof(ClientAwaitingServerProof),
    Done,
}

/// The client half of one SRP login. Each step can run once, in order;
/// anything else throws `invalid_argument`.
#[napi]
pub struct SrpClientLogin {
    state: ClientState,
}

#[napi]
impl SrpClientLogin {
    /// Step 1: `{ client, hello }`; send `hello`. `group` comes from pre-login.
    #[napi(ts_return_type = "{ client: SrpClientLogin, hello: SrpClientHello }")]
    pub fn start<'e>(
        env: &'e Env,
        identifier: String,
        auth_key: &SymmetricKey,
        #[napi(ts_arg_type = "SrpGroup")] group_name: Option<String>,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let g = group(group_name)?;
        let (state, hello) = with_rng(rng, |r| {
            SrpClient::start(&identifier, &auth_key.inner, g, r).or_throw()
        })?;
        let mut o = Object::new(env).or_napi()?;
        o.set(
            "client",
            SrpClientLogin {
                state: ClientState::AwaitingChallenge(state),
            },
        )
        .or_napi()?;
        o.set("hello", to_js(env, &hello)?).or_napi()?;
        Ok(o)
    }

    /// Step 3: checks the server's challenge and returns the proof (`M1`) to send.
    #[napi(ts_return_type = "SrpClientProof")]
    pub fn process_challenge<'e>(
        &mut self,
        env: &'e Env,
        #[napi(ts_arg_type = "SrpServerChallenge | string")] challenge: Unknown<'_>,
    ) -> Result<Unknown<'e>> {
        let c = message(
            env,
            challenge,
            "SRP server challenge",
            ServerChallenge::from_json,
        )?;
        let ClientState::AwaitingChallenge(state) =
            std::mem::replace(&mut self.state, ClientState::Done)
        else {
            return Err(invalid("this SRP login is not waiting for a challenge"));
        };
        let (next, proof) = state.process_challenge(&c).or_throw()?;
        self.state = ClientState::AwaitingServerProof(next);
        to_js(env, &proof)
    }

    /// Step 5: checks the server's proof (`M2`) and returns the session key
    /// `K`. Throws `authentication_failed` if the server does not know the
    /// verifier.
    #[napi]
    pub fn verify_server(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "SrpServerProof | string")] proof: Unknown<'_>,
    ) -> Result<SecretBytes> {
        let p = message(env, proof, "SRP server proof", ServerProof::from_json)?;
        let ClientState::AwaitingServerProof(state) =
            std::mem::replace(&mut self.state, ClientState::Done)
        else {
            return Err(invalid(
                "this SRP login is not waiting for the server's proof",
            ));
        };
        Ok(SecretBytes::from(state.verify_server(&p).or_throw()?))
    }
}

/// The server half of one SRP login, between the challenge and the client's
/// proof. Persist it with `toJson()` between the two requests (it holds the
/// secret ephemeral `b`: server-side only, short-lived, deleted when loaded).
#[napi]
pub struct SrpServerLogin {
    state: Option<ServerAwaitingClientProof>,
}

impl SrpServerLogin {
    fn state(&self) -> Result<&ServerAwaitingClientProof> {
        self.state
            .as_ref()
            .ok_or_else(|| invalid("this SRP login has finished"))
    }
}

#[napi]
impl SrpServerLogin {
    /// Step 2 for an existing account: from its stored record and the
    /// client's hello, `{ server, challenge }`; send `challenge`, persist
    /// `server`. For unknown identifiers use `PreloginServer.srpStart`.
    #[napi(ts_return_type = "{ server: SrpServerLogin, challenge: SrpServerChallenge }")]
    pub fn start<'e>(
        env: &'e Env,
        #[napi(ts_arg_type = "SrpRegistration | string")] record: Unknown<'_>,
        #[napi(ts_arg_type = "SrpClientHello | string")] client_hello: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let rec = registration(env, record)?;
        let h = hello(env, client_hello)?;
        let (state, challenge) = with_rng(rng, |r| SrpServer::start(&rec, &h, r).or_throw())?;
        server_start(env, state, &challenge)
    }

    /// Restores a persisted state (validated; never panics).
    #[napi(factory)]
    pub fn from_json(json: String) -> Result<Self> {
        let json = zeroize::Zeroizing::new(json);
        Ok(SrpServerLogin {
            state: Some(ServerAwaitingClientProof::from_json(&json).or_throw()?),
        })
    }

    /// The persisted form (JSON text). Secret: contains `b`.
    #[napi]
    pub fn to_json(&self) -> Result<String> {
        Ok(self.state()?.to_json().expose_secret().to_owned())
    }

    /// The identifier this login is for.
    #[napi(getter)]
    pub fn identifier(&self) -> Result<String> {
        Ok(self.state()?.identifier().to_owned())
    }

    /// The group of this login.
    #[napi(getter, ts_return_type = "SrpGroup")]
    pub fn group(&self) -> Result<String> {
        Ok(self.state()?.group().name().to_owned())
    }

    /// Step 4: checks the client's proof; on success `{ serverProof,
    /// sessionKey }` (send `serverProof`). Throws `authentication_failed` for
    /// a wrong password or an unknown account. Runs once.
    #[napi(ts_return_type = "{ serverProof: SrpServerProof, sessionKey: SecretBytes }")]
    pub fn finish<'e>(
        &mut self,
        env: &'e Env,
        #[napi(ts_arg_type = "SrpClientProof | string")] proof: Unknown<'_>,
    ) -> Result<Object<'e>> {
        let p = message(env, proof, "SRP client proof", ClientProof::from_json)?;
        let state = self
            .state
            .take()
            .ok_or_else(|| invalid("this SRP login has finished"))?;
        let (server_proof, key) = state.finish(&p).or_throw()?;
        let mut o = Object::new(env).or_napi()?;
        o.set("serverProof", to_js(env, &server_proof)?).or_napi()?;
        o.set("sessionKey", SecretBytes::from(key)).or_napi()?;
        Ok(o)
    }
}
