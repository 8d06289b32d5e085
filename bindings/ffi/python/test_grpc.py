#!/usr/bin/env python3
"""An independent gRPC client of machine secrets (docs/secrets.md): Python's
own gRPC stack (grpcio, from PyPI) compiles the committed
proto/vault/secrets/v1/secrets.proto at test time and drives the real
`vault-server` binary, while the cryptography is vault-core's, through the
UniFFI Python binding. Nothing here shares code with the Rust client.

    python3 bindings/ffi/python/test_grpc.py --generated DIR \\
        --server-bin PATH/vault-server --vault-bin PATH/vault

Run with any python3: it makes (if absent) the venv target/grpc-pyvenv,
installs requirements-grpc.txt into it (pinned versions) and re-runs itself
there. The generated gRPC code goes to a temporary directory, removed at the
end with the server's data.

The flow, as a person and a service would go through it:
  1. an admin (the `vault` CLI) registers, creates a project (its `vpr1.`
     reference), sets two secrets;
  2. the service generates its token from the reference (UniFFI), calls
     RegisterToken (pending) and GetAccess (FAILED_PRECONDITION
     pending_approval); it prints its fingerprint;
  3. the admin approves it with those digits (`vault service approve
     --fingerprint`; other digits are refused), granting one secret;
  4. the service opens its grants into a ServiceKeyring, asks GetSecret by
     blind index and decrypts the answer: the admin's value;
  5. a name that does not exist: NOT_FOUND secret_not_found, and the
     admin's `vault stubs ls` shows the name the service sealed; a secret
     not granted: PERMISSION_DENIED access_requested, in `vault requests ls`;
  6. a malformed or wrong auth header: UNAUTHENTICATED;
  7. neither the values nor the names are in the server's files or logs.

Prints one line per check and closes with `grpc-python: N passed, M
failed`; exits non-zero on any failure. Bounded in time (--timeout); the
server is killed at the end in every case.
"""

import argparse
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
REQUIREMENTS = os.path.join(HERE, "requirements-grpc.txt")
PROTO_ROOT = os.path.join(ROOT, "proto")
PROTO = "vault/secrets/v1/secrets.proto"

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--generated", default=os.path.join(HERE, "..", "generated", "python"),
                help="the generated UniFFI Python module (bindings/ffi/generate.sh)")
ap.add_argument("--server-bin", default=os.environ.get("VAULT_SERVER_BIN"),
                help="the vault-server binary (default: $VAULT_SERVER_BIN)")
ap.add_argument("--vault-bin", default=os.environ.get("VAULT_CLI_BIN"),
                help="the vault CLI binary (default: $VAULT_CLI_BIN)")
ap.add_argument("--venv", default=os.path.join(TARGET, "grpc-pyvenv"),
                help="the venv for grpcio (made if absent)")
ap.add_argument("--timeout", type=int, default=900, help="seconds for the whole run")
ap.add_argument("-v", "--verbose", action="store_true")
args = ap.parse_args()


# ---------------------------------------------------------------------------
# The venv: grpcio and grpcio-tools at the pinned versions.

def in_venv(venv):
    return os.path.realpath(sys.prefix) == os.path.realpath(venv)


if not in_venv(args.venv):
    py = os.path.join(args.venv, "bin", "python")
    if not os.path.exists(py):
        print(f"grpc-python: making the venv {args.venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", args.venv], check=True,
                       stdin=subprocess.DEVNULL)
    # Quick when everything is installed already (pinned versions).
    subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-r", REQUIREMENTS], check=True, stdin=subprocess.DEVNULL)
    os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])

import grpc  # noqa: E402  (installed above)

sys.path.insert(0, os.path.abspath(args.generated))
import vault_ffi as v  # noqa: E402  (generated; path set above)

for what, path in [("--server-bin", args.server_bin), ("--vault-bin", args.vault_bin)]:
    if not path or not os.access(path, os.X_OK):
        sys.exit(f"grpc-python: {what} {path!r} is not an executable "
                 "(bindings/ffi/test.sh builds them and passes them in)")

# ---------------------------------------------------------------------------
# What the test stores: none of it may reach the server's files or logs.

PASSWORD = "grpc-admin-password-Vx9"
PROJECT = "grpc-billing"
DB_NAME = "DATABASE_URL"
DB_VALUE = "postgres://grpc-python-Qz8@db.internal/billing"
DB_DESCRIPTION = "primary database Jt4"
STRIPE_NAME = "STRIPE_KEY"
STRIPE_VALUE = "sk_live_grpc-python-Rw5"
MISSING_NAME = "SENTRY_DSN"
MISSING_DESCRIPTION = "error reporting Hk2"
REQUEST_REASON = "payments please Lm6"
SERVICE_NAME = "billing-api"
SERVICE_VERSION = "1.4.2"
PLAINTEXTS = [PASSWORD, DB_NAME, DB_VALUE, DB_DESCRIPTION, STRIPE_NAME, STRIPE_VALUE,
              MISSING_NAME, MISSING_DESCRIPTION, REQUEST_REASON]

CALL_TIMEOUT = 30  # seconds, every RPC
CLI_TIMEOUT = 120  # seconds, every `vault` command


class Timeout(Exception):
    pass


def on_alarm(_sig, _frame):
    raise Timeout(f"the run took longer than {args.timeout} s")


# ---------------------------------------------------------------------------
# The server and the admin's CLI.

class Server:
    """vault-server on 127.0.0.1 (a free port), SQLite in `data_dir`."""

    def __init__(self, binary, data_dir, log_path):
        self.log_path = log_path
        env = {"PATH": os.environ.get("PATH", ""), "RUST_LOG": "info"}  # no VAULT_* of the caller's
        self.log = open(log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--data-dir", data_dir],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log,
            text=True, start_new_session=True)
        lines = queue.Queue()

        def pump():  # stdout to the log, the first lines to the queue too
            for line in self.proc.stdout:
                self.log.write(line)
                self.log.flush()
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 60
        self.url = None
        while self.url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                raise AssertionError(f"vault-server did not start in 60 s:\n{self.tail()}")
            m = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", line)
            if m:
                self.url, self.port = m.group(1), int(m.group(2))

    def tail(self):
        self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-30:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.log.flush()


class Admin:
    """The `vault` CLI as one person, on one device directory."""

    def __init__(self, binary, url, root):
        self.binary = binary
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": root,
            "VAULT_SERVER": url,
            "VAULT_DIR": os.path.join(root, "admin-device"),
            "VAULT_KDF_POLICY": "permissive_test_only",
            "VAULT_PASSWORD": PASSWORD,
        }

    def run(self, *argv, stdin=None):
        return subprocess.run(
            [self.binary, *argv], env=self.env, input=stdin, text=True,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True, timeout=CLI_TIMEOUT)

    def ok(self, *argv, stdin=None):
        out = self.run(*argv, stdin=stdin)
        if out.returncode != 0:
            raise AssertionError(f"vault {' '.join(argv)} failed ({out.returncode}):\n{out.stderr}")
        return out.stdout

    def json(self, *argv):
        out = self.ok(*argv, "--json")
        try:
            return json.loads(out)
        except ValueError as e:
            raise AssertionError(f"vault {' '.join(argv)} --json: not JSON ({e}): {out!r}") from e


# ---------------------------------------------------------------------------
# Helpers.

def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}:\n  got  {got!r}\n  want {want!r}")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def compile_proto(out_dir):
    """The committed .proto, compiled by grpcio-tools' protoc into out_dir."""
    r = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_ROOT}",
         f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", PROTO],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"protoc failed ({r.returncode}):\n{r.stderr}")
    sys.path.insert(0, out_dir)
    from vault.secrets.v1 import secrets_pb2, secrets_pb2_grpc  # noqa: PLC0415
    return secrets_pb2, secrets_pb2_grpc


def rpc_error(call):
    """The grpc.RpcError `call` fails with (fails if it succeeds)."""
    try:
        got = call()
    except grpc.RpcError as e:
        return e
    raise AssertionError(f"expected an error, got {got!r}")


def error_code(e):
    """The `vault-error-code` metadata of a failed call (trailers, or the
    headers of a trailers-only answer)."""
    for md in (e.trailing_metadata(), e.initial_metadata()):
        for k, val in md or ():
            if k == "vault-error-code":
                return val
    return None


def expect_error(call, status, code, what):
    e = rpc_error(call)
    eq(e.code(), status, f"{what}: status")
    eq(error_code(e), code, f"{what}: vault-error-code")
    details = e.details() or ""
    for s in PLAINTEXTS:
        check(s not in details, f"{what}: the message holds {s!r}")
    return e


def find(rows, key, value):
    for r in rows:
        if r.get(key) == value:
            return r
    raise AssertionError(f"no {key} = {value!r} in {json.dumps(rows, indent=1)}")


def other_digits(fp):
    """The same shape as fingerprint `fp`, one digit changed."""
    i = next(i for i, c in enumerate(fp) if c.isdigit())
    return fp[:i] + ("2" if fp[i] == "1" else "1") + fp[i + 1:]


def scan(paths, needles):
    """(needle, file) for every needle found in a file under `paths`."""
    found = []
    for top in paths:
        files = [top] if os.path.isfile(top) else [
            os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
        for path in files:
            with open(path, "rb") as f:
                data = f.read()
            found += [(s, path) for s in needles if s.encode() in data]
    return found


# ---------------------------------------------------------------------------
# The flow. Each step is one check; later steps need the earlier ones.

class Flow:
    def __init__(self, root):
        self.root = root
        self.server = None
        self.channel = None
        self.rng = v.Rng.os()

    def close(self):
        if self.channel is not None:
            self.channel.close()
        if self.server is not None:
            self.server.stop()

    def auth(self, header=None):
        return [("authorization", header if header is not None else self.token.authorization())]

    # 0. the generated code, the server, the admin's project and secrets
    def step_compile(self):
        out = os.path.join(self.root, "grpc-generated")
        os.makedirs(out)
        self.pb, self.pb_grpc = compile_proto(out)
        check(hasattr(self.pb_grpc, "SecretsStub"), "no SecretsStub in the generated code")
        check(os.path.isfile(os.path.join(out, "vault", "secrets", "v1", "secrets_pb2.py")),
              "secrets_pb2.py not generated")

    def step_server(self):
        data = os.path.join(self.root, "server")
        self.server_logs = os.path.join(self.root, "server.log")
        self.server_data = data
        self.server = Server(args.server_bin, data, self.server_logs)
        check(self.server.port > 0, "a port")
        # h2c (prior knowledge) on the HTTP API's port; never via a proxy.
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{self.server.port}", options=[("grpc.enable_http_proxy", 0)])
        grpc.channel_ready_future(self.channel).result(timeout=CALL_TIMEOUT)
        self.stub = self.pb_grpc.SecretsStub(self.channel)

    def step_admin_project(self):
        self.admin = Admin(args.vault_bin, self.server.url, self.root)
        out = self.admin.ok("register", "admin@example.com", "--kdf", "insecure-test-only")
        check(out.startswith("export VAULT_SESSION="), f"register: {out!r}")
        lines = self.admin.ok("project", "create", PROJECT).splitlines()
        eq(len(lines), 2, f"`vault project create` prints the id and the reference: {lines}")
        self.project_id, self.reference = lines[0].strip(), lines[1].strip()
        check(re.fullmatch(r"[0-9a-f-]{36}", self.project_id), f"project id {self.project_id!r}")
        check(self.reference.startswith("vpr1."), f"reference {self.reference!r}")
        # Values through standard input, never argv.
        self.admin.ok("secret", "set", PROJECT, DB_NAME, "--description", DB_DESCRIPTION,
                      stdin=DB_VALUE + "\n")
        self.admin.ok("secret", "set", PROJECT, STRIPE_NAME, stdin=STRIPE_VALUE)
        eq(self.admin.ok("secret", "get", PROJECT, DB_NAME), DB_VALUE, "the admin reads it back")

    # 1. the service registers itself
    def step_register(self):
        self.token = v.ServiceToken.generate(self.reference, self.rng)
        eq(self.token.project_id(), self.project_id, "the token's project")
        self.fingerprint = self.token.fingerprint()
        # What a service prints for its approver.
        print(f"  service {self.token.service_id()} fingerprint {self.fingerprint}")
        resp = self.stub.RegisterToken(self.pb.RegisterTokenRequest(
            service=self.token.public_json(), service_name=SERVICE_NAME,
            service_version=SERVICE_VERSION), timeout=CALL_TIMEOUT)
        eq(resp.status, "pending_approval", "RegisterToken status")
        eq(resp.fingerprint, self.fingerprint, "the server's fingerprint is the token's")
        project = json.loads(resp.project)
        eq(project["project"], self.project_id, "RegisterToken's project")
        self.project_public = resp.project

    def step_register_replay(self):
        expect_error(lambda: self.stub.RegisterToken(self.pb.RegisterTokenRequest(
            service=self.token.public_json(), service_name=SERVICE_NAME,
            service_version=SERVICE_VERSION), timeout=CALL_TIMEOUT),
            grpc.StatusCode.ALREADY_EXISTS, "already_registered", "a replayed RegisterToken")

    def step_get_project(self):
        resp = self.stub.GetProject(self.pb.GetProjectRequest(project=self.project_id),
                                    timeout=CALL_TIMEOUT)
        eq(json.loads(resp.project), json.loads(self.project_public), "GetProject")
        expect_error(lambda: self.stub.GetProject(self.pb.GetProjectRequest(
            project="00000000-0000-4000-8000-000000000000"), timeout=CALL_TIMEOUT),
            grpc.StatusCode.NOT_FOUND, "project_not_found", "GetProject of no project")

    def step_pending(self):
        expect_error(lambda: self.stub.GetAccess(self.pb.GetAccessRequest(),
                                                 metadata=self.auth(), timeout=CALL_TIMEOUT),
                     grpc.StatusCode.FAILED_PRECONDITION, "pending_approval",
                     "GetAccess before approval")
        expect_error(lambda: self.stub.GetSecret(self.pb.GetSecretRequest(
            blind_index="A" * 43), metadata=self.auth(), timeout=CALL_TIMEOUT),
            grpc.StatusCode.FAILED_PRECONDITION, "pending_approval", "GetSecret before approval")

    # 2. the admin approves, after comparing fingerprints
    def step_approve(self):
        sid = self.token.service_id()
        services = self.admin.json("service", "ls", "--project", PROJECT)
        s = find(services, "id", sid)
        eq(s["status"], "pending", "listed as pending")
        eq(s["name"], SERVICE_NAME, "listed with its name")
        eq(s["fingerprint"], self.fingerprint, "the admin sees the digits the service printed")
        # Other digits: refused (security check, exit 9), nothing changes.
        out = self.admin.run("service", "approve", "--project", PROJECT, sid,
                             "--fingerprint", other_digits(self.fingerprint),
                             "--secrets", DB_NAME)
        eq(out.returncode, 9, f"approving with other digits: exit code ({out.stderr})")
        eq(find(self.admin.json("service", "ls", "--project", PROJECT), "id", sid)["status"],
           "pending", "still pending")
        # The digits the service printed.
        self.admin.ok("service", "approve", "--project", PROJECT, sid,
                      "--fingerprint", self.fingerprint, "--secrets", DB_NAME)
        s = find(self.admin.json("service", "ls", "--project", PROJECT), "id", sid)
        eq(s["status"], "approved", "approved")

    # 3. the service reads its secret
    def step_access(self):
        resp = self.stub.GetAccess(self.pb.GetAccessRequest(), metadata=self.auth(),
                                   timeout=CALL_TIMEOUT)
        eq(resp.status, "approved", "GetAccess status")
        eq(resp.access, "secrets", "GetAccess access")
        check(len(resp.grants) >= 1, "at least one grant")
        eq(json.loads(resp.project)["project"], self.project_id, "GetAccess project")
        self.ring = v.ServiceKeyring.open(self.token, list(resp.grants), resp.project)

    def step_get_secret(self):
        bidx = self.ring.blind_index(DB_NAME)
        check(re.fullmatch(r"[A-Za-z0-9_-]{43}", bidx), f"blind index {bidx!r}")
        # A name is normalised before it is indexed: the same index.
        eq(self.ring.blind_index(v.normalize_secret_name(DB_NAME)), bidx, "normalised")
        resp = self.stub.GetSecret(self.pb.GetSecretRequest(blind_index=bidx),
                                   metadata=self.auth(), timeout=CALL_TIMEOUT)
        for s in PLAINTEXTS:
            check(s not in resp.secret and s not in resp.version, f"{s!r} in the answer")
        entry = self.ring.open_named(DB_NAME, resp.secret, resp.version)
        eq(entry.value, DB_VALUE, "the value the admin set")
        eq(entry.name, DB_NAME, "its name")
        eq(entry.description, DB_DESCRIPTION, "its description")
        # Another name does not open it (the answer is bound to its name).
        e = None
        try:
            self.ring.open_named(STRIPE_NAME, resp.secret, resp.version)
        except v.VaultError as err:
            e = err
        check(e is not None, "open_named under another name must fail")
        eq(e.code(), "decrypt", "open_named under another name")

    def step_get_secrets(self):
        names = [DB_NAME, MISSING_NAME]
        resp = self.stub.GetSecrets(self.pb.GetSecretsRequest(items=[
            self.pb.SecretRequest(blind_index=self.ring.blind_index(n)) for n in names]),
            metadata=self.auth(), timeout=CALL_TIMEOUT)
        eq(len(resp.results), 2, "one result per item")
        eq(resp.results[0].outcome, self.pb.OUTCOME_FOUND, "DATABASE_URL found")
        eq(self.ring.open_named(DB_NAME, resp.results[0].secret, resp.results[0].version).value,
           DB_VALUE, "GetSecrets value")
        eq(resp.results[1].outcome, self.pb.OUTCOME_NOT_FOUND, "missing name")

    # 4. a name that does not exist: a stub, with the name sealed to the project
    def step_stub(self):
        hint = self.ring.seal_hint(v.SealPurpose.STUB, MISSING_NAME, MISSING_DESCRIPTION, self.rng)
        check(MISSING_NAME not in hint and MISSING_DESCRIPTION not in hint, "the hint is sealed")
        expect_error(lambda: self.stub.GetSecret(self.pb.GetSecretRequest(
            blind_index=self.ring.blind_index(MISSING_NAME), hint=hint),
            metadata=self.auth(), timeout=CALL_TIMEOUT),
            grpc.StatusCode.NOT_FOUND, "secret_not_found", "GetSecret of a missing name")
        stubs = self.admin.json("stubs", "ls", "--project", PROJECT)
        stub = find(stubs, "name", MISSING_NAME)
        askers = stub.get("askers") or []
        check(any(a.get("service_name") == SERVICE_NAME
                  and a.get("description") == MISSING_DESCRIPTION for a in askers),
              f"the stub's askers: {askers}")
        human = self.admin.ok("stubs", "ls", "--project", PROJECT)
        check(MISSING_NAME in human and SERVICE_NAME in human, f"`vault stubs ls`:\n{human}")

    # 5. a secret that exists but is not granted: an access request
    def step_request(self):
        hint = self.ring.seal_hint(v.SealPurpose.REQUEST, STRIPE_NAME, REQUEST_REASON, self.rng)
        expect_error(lambda: self.stub.GetSecret(self.pb.GetSecretRequest(
            blind_index=self.ring.blind_index(STRIPE_NAME), hint=hint),
            metadata=self.auth(), timeout=CALL_TIMEOUT),
            grpc.StatusCode.PERMISSION_DENIED, "access_requested", "GetSecret of an ungranted one")
        requests = self.admin.json("requests", "ls", "--project", PROJECT)
        r = find(requests, "service", self.token.service_id())
        eq(r.get("secret_name"), STRIPE_NAME, "the request's secret")
        eq(r.get("reason"), REQUEST_REASON, "the request's reason")
        eq(r.get("status"), "pending", "the request's status")

    # 6. bad auth headers
    def step_unauthenticated(self):
        good = self.token.authorization()
        check(good.startswith("Bearer vsa1."), "the header's shape")
        prefix, secret = good.rsplit(".", 1)
        wrong = prefix + "." + ("B" if secret[0] != "B" else "C") + secret[1:]
        cases = [
            ("garbage", "Bearer not-an-auth-header"),
            ("no scheme", good[len("Bearer "):]),
            ("another scheme", "Basic " + good[len("Bearer "):]),
            ("bad service id", "Bearer vsa1.not-a-uuid." + secret),
            ("truncated", "Bearer vsa1."),
            ("wrong secret", wrong),
            ("the token itself", "Bearer " + self.token.to_text()),
        ]
        for what, header in cases:
            expect_error(lambda h=header: self.stub.GetAccess(
                self.pb.GetAccessRequest(), metadata=self.auth(h), timeout=CALL_TIMEOUT),
                grpc.StatusCode.UNAUTHENTICATED, "unauthenticated", f"auth header: {what}")
        expect_error(lambda: self.stub.GetSecret(self.pb.GetSecretRequest(
            blind_index=self.ring.blind_index(DB_NAME)), timeout=CALL_TIMEOUT),
            grpc.StatusCode.UNAUTHENTICATED, "unauthenticated", "no auth header")
        # The right header still works afterwards.
        resp = self.stub.GetAccess(self.pb.GetAccessRequest(), metadata=self.auth(),
                                   timeout=CALL_TIMEOUT)
        eq(resp.status, "approved", "the real header after the bad ones")

    # 7. zero knowledge: nothing in the server's files or logs
    def step_no_plaintext(self):
        self.channel.close()
        self.channel = None
        self.server.stop()
        check(os.path.getsize(self.server_logs) > 0, "the server logged something")
        found = scan([self.server_data, self.server_logs], PLAINTEXTS)
        eq(found, [], "plaintexts in the server's files")


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.timeout)
    passed = failed = 0
    root = tempfile.mkdtemp(prefix="vault-grpc-python-")
    flow = Flow(root)
    # (name, check, needed): a failed needed step leaves nothing for the
    # later ones to check (they are counted as failed, not run).
    steps = [
        ("protoc compiles proto/vault/secrets/v1/secrets.proto", flow.step_compile, True),
        ("vault-server starts (127.0.0.1, free port, SQLite)", flow.step_server, True),
        ("admin: register, project create, secret set (stdin)", flow.step_admin_project, True),
        ("RegisterToken with a UniFFI-generated token: pending_approval", flow.step_register,
         True),
        ("RegisterToken replayed: ALREADY_EXISTS already_registered", flow.step_register_replay,
         False),
        ("GetProject: the same ProjectPublic; unknown: NOT_FOUND", flow.step_get_project, False),
        ("GetAccess/GetSecret pending: FAILED_PRECONDITION pending_approval", flow.step_pending,
         False),
        ("admin: service ls, approve --fingerprint (other digits refused)", flow.step_approve,
         True),
        ("GetAccess: grants open into a ServiceKeyring", flow.step_access, True),
        ("GetSecret by blind index, open_named: the admin's value", flow.step_get_secret, False),
        ("GetSecrets: per-item outcomes", flow.step_get_secrets, False),
        ("GetSecret missing + hint: NOT_FOUND secret_not_found; in `vault stubs ls`",
         flow.step_stub, False),
        ("GetSecret ungranted: PERMISSION_DENIED access_requested; in `vault requests ls`",
         flow.step_request, False),
        ("malformed or wrong auth header: UNAUTHENTICATED", flow.step_unauthenticated, False),
        ("no value or name in the server's database or logs", flow.step_no_plaintext, False),
    ]
    broken = None
    try:
        for name, fn, needed in steps:
            if broken is not None:
                failed += 1
                print(f"FAIL {name} (not run: {broken!r} failed)")
                continue
            try:
                fn()
                passed += 1
                print(f"ok   {name}", flush=True)
            except Timeout:
                raise
            except Exception:  # noqa: BLE001 (report and count every failure)
                failed += 1
                print(f"FAIL {name}")
                traceback.print_exc()
                if needed:
                    broken = name
                if flow.server is not None and flow.server.proc.poll() is None and args.verbose:
                    print(f"--- server log (last lines)\n{flow.server.tail()}")
    except Timeout as e:
        failed += 1
        print(f"FAIL {e}")
    finally:
        signal.alarm(0)
        flow.close()
        shutil.rmtree(root, ignore_errors=True)
    print(f"grpc-python: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
