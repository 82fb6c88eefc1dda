#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Integration tests of assayd (python3 stdlib + python3-cryptography).

Starts the real daemon on a free loopback port with a temporary work directory and drives every
endpoint with good and bad input: status codes, error bodies, the policy and reference-value
round trips, persistence across restart and kill -9, JWKS shape, metrics, CORS, command-line
errors, HTTPS, and the sample TEE end to end with an independent ES256 check of the EAR token
against /.well-known/jwks.json (TRUSTEE.md sections 1.1, 3, 4, 7.1, 10.2).

usage: run_api.py --assayd PATH [--only NAME]...   (exit status 0 = all passed)
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

ASSAYD = None
STARTUP_TIMEOUT = 30.0


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64std(b):
    return base64.b64encode(b).decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jcs(v):
    # RFC 8785 equals sorted keys + compact separators for the string/int data used here.
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Server:
    """One assayd process on 127.0.0.1 with a port chosen by the kernel (-s 127.0.0.1:0)."""

    def __init__(self, workdir, args=(), config=None, tls=None):
        self.workdir = workdir
        self.args = list(args)
        self.config = config if config is not None else {}
        self.tls = tls
        self.proc = None
        self.port = None
        self.log = os.path.join(workdir, "assayd.log")

    def start(self):
        cfg = dict(self.config)
        cfg.setdefault("work_dir", self.workdir)
        cfg_path = os.path.join(self.workdir, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        cmd = [ASSAYD, "-s", "127.0.0.1:0", "-c", cfg_path] + self.args
        if self.tls:
            cmd += ["-t", self.tls[0], "-k", self.tls[1]]
        env = dict(os.environ)
        env["ASSAY_LOG"] = "info"
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=self.logf, env=env)
        deadline = time.time() + STARTUP_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("assayd exited with %d at start:\n%s" % (self.proc.returncode, self.read_log()))
            m = re.search(r"listening on \S+ port (\d+)", self.read_log())
            if m:
                self.port = int(m.group(1))
                return self
            time.sleep(0.05)
        raise AssertionError("assayd did not start in %ss:\n%s" % (STARTUP_TIMEOUT, self.read_log()))

    def read_log(self):
        try:
            with open(self.log, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("assayd did not stop on signal %d" % sig)
        rc = self.proc.returncode
        self.proc = None
        self.logf.close()
        # Start over with a fresh log so the next start finds its own "listening" line.
        os.replace(self.log, self.log + ".%d" % int(time.time() * 1000))
        return rc

    def kill(self):
        """Last-resort cleanup after a failed case: never leave a daemon behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def conn(self):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.tls[0])
            ctx.check_hostname = False
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def req(self, method, path, body=None, ctype="application/json", headers=None, conn=None):
        c = conn or self.conn()
        h = dict(headers or {})
        if body is not None:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            elif isinstance(body, str):
                body = body.encode()
            if ctype is not None:
                h["Content-Type"] = ctype
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


# ---------------------------------------------------------------------------------------------
# helpers for checks

def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def expect_error(resp, status, code=None, msg_re=None):
    st, h, body = resp
    if st != status:
        raise AssertionError("status %d, want %d; body %r" % (st, status, body[:400]))
    try:
        j = json.loads(body)
    except ValueError:
        raise AssertionError("error body is not JSON: %r" % body[:400])
    if not isinstance(j, dict) or set(j) != {"error", "message"}:
        raise AssertionError("error body shape: %r" % j)
    if not isinstance(j["error"], str) or not isinstance(j["message"], str) or not j["message"]:
        raise AssertionError("error body types: %r" % j)
    if code is not None and j["error"] != code:
        raise AssertionError("error code %r, want %r (message %r)" % (j["error"], code, j["message"]))
    if msg_re is not None and not re.search(msg_re, j["message"]):
        raise AssertionError("message %r does not match %r" % (j["message"], msg_re))
    if "application/json" not in h.get("content-type", ""):
        raise AssertionError("error content-type %r" % h.get("content-type"))
    return j


def ok(resp, status=200):
    st, h, body = resp
    if st != status:
        raise AssertionError("status %d, want %d; body %r" % (st, status, body[:400]))
    return body


def sample_request(report_data=b"", runtime=None, init=None, tee="sample", policy_ids=None,
                   svn="1", evidence=None, alg=None):
    ev = evidence if evidence is not None else {"svn": svn, "report_data": b64std(report_data)}
    r = {"tee": tee, "evidence": b64url(json.dumps(ev).encode())}
    if runtime is not None:
        r["runtime_data"] = runtime
    if init is not None:
        r["init_data"] = init
    if alg is not None:
        r["runtime_data_hash_algorithm"] = alg
    return {"verification_requests": [r], "policy_ids": policy_ids if policy_ids is not None else []}


REGO_OK = """package policy
import rego.v1

default allow := false

trust_claims := {"executables": 3, "hardware": 2, "configuration": 2}
"""

REGO_BAD = """package policy

trust_claims := {
  "executables": 3,
"""

# ---------------------------------------------------------------------------------------------
# test cases: each takes the shared running server S (restart tests start their own)

TESTS = []


def case(fn):
    TESTS.append(fn)
    return fn


@case
def healthz(S):
    st, h, body = S.req("GET", "/healthz")
    eq(st, 200, "status")
    eq(body, b"", "body")


@case
def unknown_path_404(S):
    expect_error(S.req("GET", "/nope"), 404)
    expect_error(S.req("POST", "/attestations", body={}), 404)
    expect_error(S.req("GET", "/policy/a/b"), 404)


@case
def wrong_method_405(S):
    st, h, _ = S.req("DELETE", "/policy")
    expect_error((st, h, _), 405)
    if "POST" not in h.get("allow", "") or "GET" not in h.get("allow", ""):
        raise AssertionError("Allow header %r" % h.get("allow"))
    expect_error(S.req("GET", "/attestation"), 405)
    expect_error(S.req("PUT", "/challenge", body={}), 405)


@case
def wrong_content_type_415(S):
    body = json.dumps(sample_request())
    expect_error(S.req("POST", "/attestation", body=body, ctype="text/plain"), 415)
    expect_error(S.req("POST", "/attestation", body=body, ctype=None), 415)
    expect_error(S.req("POST", "/policy", body=body, ctype="application/x-www-form-urlencoded"), 415)
    expect_error(S.req("POST", "/reference-value", body=body, ctype="text/json"), 415)


@case
def oversize_body_413(S):
    limit = 2 * 1024 * 1024
    big = json.dumps({"verification_requests": [], "policy_ids": [], "pad": "x" * limit})
    expect_error(S.req("POST", "/attestation", body=big), 413)
    expect_error(S.req("POST", "/policy", body=big), 413)


@case
def malformed_json_400(S):
    for body in ["{", "not json", "[1,2", '{"verification_requests": [}', ""]:
        expect_error(S.req("POST", "/attestation", body=body), 400, "malformed")
    expect_error(S.req("POST", "/policy", body="{"), 400)
    expect_error(S.req("POST", "/challenge", body="{"), 400)
    expect_error(S.req("POST", "/reference-value", body="{"), 400)


@case
def missing_fields_400(S):
    expect_error(S.req("POST", "/attestation", body={"policy_ids": []}), 400)
    expect_error(S.req("POST", "/attestation", body={"verification_requests": [{"tee": "sample"}],
                                                    "policy_ids": []}), 400)
    expect_error(S.req("POST", "/policy", body={"policy_id": "x"}), 400)
    expect_error(S.req("POST", "/policy", body={"policy": b64url(REGO_OK.encode())}), 400)


@case
def bad_base64_400(S):
    req = sample_request()
    # standard alphabet and padding are refused: URL_SAFE_NO_PAD is strict (TRUSTEE.md 1.1)
    ev = base64.b64encode(b'{"svn":"1","report_data":"/w=="}?').decode()
    req["verification_requests"][0]["evidence"] = ev
    expect_error(S.req("POST", "/attestation", body=req), 400, "malformed", "base64")
    req["verification_requests"][0]["evidence"] = "!!!"
    expect_error(S.req("POST", "/attestation", body=req), 400, "malformed", "base64")
    req = sample_request(runtime={"raw": "AAAA="})
    expect_error(S.req("POST", "/attestation", body=req), 400)
    expect_error(S.req("POST", "/policy", body={"policy_id": "b64", "policy": "cGFja2FnZSBw+/=="}), 400)


@case
def unknown_tee_400(S):
    expect_error(S.req("POST", "/attestation", body=sample_request(tee="nosuchtee")), 400, None,
                 "nosuchtee")
    # Trustee's TEEs without a verifier here: a specific "not supported", not "unknown".
    expect_error(S.req("POST", "/attestation", body=sample_request(tee="se")), 400, "unsupported",
                 "IBM Secure Execution.*not supported")
    # restful-as does not take tpm or nvidia (TRUSTEE.md 1.1) -- only checked to be a 4xx here
    st = S.req("POST", "/attestation", body=sample_request(tee="tpm"))[0]
    if not 400 <= st < 500:
        raise AssertionError("tee tpm: status %d" % st)


@case
def wrong_binding_422(S):
    rd = os.urandom(48)
    req = sample_request(report_data=rd, runtime={"raw": b64url(os.urandom(48))})
    expect_error(S.req("POST", "/attestation", body=req), 422, "binding")
    # sample compares exactly: a prefix of the report data is not a match (TRUSTEE.md 3.6)
    req = sample_request(report_data=rd, runtime={"raw": b64url(rd[:32])})
    expect_error(S.req("POST", "/attestation", body=req), 422, "binding")
    # structured runtime data hashed with the wrong algorithm
    rt = {"nonce": "abc", "tee-pubkey": "k"}
    req = sample_request(report_data=hashlib.sha256(jcs(rt)).digest(), runtime={"structured": rt})
    expect_error(S.req("POST", "/attestation", body=req), 422, "binding")


@case
def unknown_policy_404(S):
    req = sample_request(policy_ids=["no_such_policy"])
    expect_error(S.req("POST", "/attestation", body=req), 404, "not_found", "no_such_policy")
    expect_error(S.req("GET", "/policy/no_such_policy"), 404, "not_found")
    expect_error(S.req("DELETE", "/policy/no_such_policy"), 404, "not_found")


@case
def bad_rego_400(S):
    j = expect_error(S.req("POST", "/policy", body={"policy_id": "broken",
                                                    "policy": b64url(REGO_BAD.encode())}), 400,
                     "policy_compile")
    if not re.search(r"\d+:\d+", j["message"]):
        raise AssertionError("no line:col in %r" % j["message"])
    expect_error(S.req("GET", "/policy/broken"), 404)


@case
def policy_round_trip(S):
    ok(S.req("POST", "/policy", body={"policy_id": "rt_cpu", "policy": b64url(REGO_OK.encode()),
                                      "type": "rego"}))
    body = ok(S.req("GET", "/policy"))
    ids = [p["policy-id"] for p in json.loads(body)]
    if "rt_cpu" not in ids or "default_cpu" not in ids:
        raise AssertionError("list %r" % ids)
    eq(ids, sorted(ids), "list order")
    got = json.loads(ok(S.req("GET", "/policy/rt_cpu")))
    eq(got["policy-id"], "rt_cpu", "id")
    eq(b64url_dec(got["policy"]).decode(), REGO_OK, "policy text")
    # overwrite
    v2 = REGO_OK.replace('"hardware": 2', '"hardware": 3')
    ok(S.req("POST", "/policy", body={"policy_id": "rt_cpu", "policy": b64url(v2.encode())}))
    eq(b64url_dec(json.loads(ok(S.req("GET", "/policy/rt_cpu")))["policy"]).decode(), v2, "overwrite")
    ok(S.req("DELETE", "/policy/rt_cpu"))
    expect_error(S.req("GET", "/policy/rt_cpu"), 404)
    ids = [p["policy-id"] for p in json.loads(ok(S.req("GET", "/policy")))]
    if "rt_cpu" in ids:
        raise AssertionError("deleted policy still listed")


COCOS_SNP = {"policy": {"minimumGuestSvn": 0, "policy": "196608", "vmpl": 0},
             "rootOfTrust": {"productLine": "Milan"}}
COCOS_TDX = {"policy": {"headerPolicy": {"minimumQeSvn": 0},
                        "tdQuoteBodyPolicy": {"minimumTeeTcbSvn": "AAAAAAAAAAAAAAAAAAAAAA=="}}}


def cocos_body(pid, pol, type_="cocos"):
    text = pol if isinstance(pol, str) else json.dumps(pol)
    return {"policy_id": pid, "policy": b64url(text.encode()), "type": type_}


@case
def cocos_policy_round_trip(S):
    ok(S.req("POST", "/policy", body=cocos_body("cocos1_cpu", COCOS_SNP)))
    ok(S.req("POST", "/policy", body=cocos_body("cocos2_cpu", COCOS_TDX)))
    got = json.loads(ok(S.req("GET", "/policy/cocos1_cpu")))
    eq(got["type"], "cocos", "type")
    eq(got["platform"], "snp", "platform")
    eq(json.loads(b64url_dec(got["policy"])), COCOS_SNP, "policy JSON round trip")
    eq(json.loads(ok(S.req("GET", "/policy/cocos2_cpu")))["platform"], "tdx", "tdx platform")
    eq(json.loads(ok(S.req("GET", "/policy/default_cpu")))["type"], "rego", "rego type")
    listed = {p["policy-id"]: p for p in json.loads(ok(S.req("GET", "/policy")))}
    eq(listed["cocos1_cpu"], {"policy-id": "cocos1_cpu", "type": "cocos", "platform": "snp"}, "list")
    eq(listed["default_cpu"], {"policy-id": "default_cpu", "type": "rego"}, "list rego")
    ok(S.req("DELETE", "/policy/cocos1_cpu"))
    ok(S.req("DELETE", "/policy/cocos2_cpu"))
    expect_error(S.req("GET", "/policy/cocos1_cpu"), 404)


@case
def cocos_policy_bad_json_400(S):
    for pol, field in (("not json", "not a JSON object"),
                       ({"policy": {"measurement": "!!"}}, "measurement"),
                       ({"policy": {"vmpl": "x"}}, "vmpl"),
                       ({"policy": {"tdQuoteBodyPolicy": {"mrTd": 5}}}, "mr_td")):
        expect_error(S.req("POST", "/policy", body=cocos_body("cbad_cpu", pol)), 400, None, field)
        expect_error(S.req("GET", "/policy/cbad_cpu"), 404)
    # Rego sent as cocos is refused; cocos JSON sent as rego does not compile
    expect_error(S.req("POST", "/policy", body=cocos_body("cbad_cpu", REGO_OK)), 400)
    expect_error(S.req("POST", "/policy", body=cocos_body("cbad_cpu", COCOS_SNP, "rego")), 400,
                 "policy_compile")


@case
def cocos_policy_attest(S):
    ok(S.req("POST", "/policy", body=cocos_body("cocos3_cpu", COCOS_SNP)))
    # the sample TEE carries no Cocos fields: a clear 4xx naming the TEEs it applies to
    expect_error(S.req("POST", "/attestation", body=sample_request(policy_ids=["cocos3"])), 400,
                 None, "applies to tee `snp`")
    # the same request with the default policy is unaffected
    ok(S.req("POST", "/attestation", body=sample_request(policy_ids=[])))
    ok(S.req("DELETE", "/policy/cocos3_cpu"))


@case
def default_policies(S):
    ids = [p["policy-id"] for p in json.loads(ok(S.req("GET", "/policy")))]
    for want in ("default_cpu", "default_gpu"):
        if want not in ids:
            raise AssertionError("%s missing from %r" % (want, ids))


def rv_message(values):
    return {"version": "0.1.0", "type": "sample",
            "payload": b64std(json.dumps(values).encode())}


@case
def reference_values(S):
    ok(S.req("POST", "/reference-value", body=rv_message({"it.svn": ["1", "2"], "it.digest": ["ab"]})))
    got = json.loads(ok(S.req("GET", "/reference-value/it.svn")))
    if got != ["1", "2"] and (not isinstance(got, dict) or got.get("value") != ["1", "2"]):
        raise AssertionError("rv %r" % got)
    ok(S.req("DELETE", "/reference-value/it.digest"))
    expect_error(S.req("GET", "/reference-value/it.digest"), 404)
    expect_error(S.req("DELETE", "/reference-value/it.digest"), 404)
    expect_error(S.req("GET", "/reference-value/never-registered"), 404)
    expect_error(S.req("POST", "/reference-value", body={"version": "9.9", "type": "sample",
                                                        "payload": ""}), 400)
    expect_error(S.req("POST", "/reference-value", body={"version": "0.1.0", "type": "nosuch",
                                                        "payload": ""}), 400)


@case
def challenge(S):
    st, h, body = S.req("POST", "/challenge", body={"tee": "sample", "tee_params": ""})
    eq(st, 200, "status")
    eq(body, b"", "body")
    expect_error(S.req("POST", "/challenge", body={"tee": "sample"}), 400)
    expect_error(S.req("POST", "/challenge", body={"tee": 1, "tee_params": ""}), 400)


@case
def jwks_shape(S):
    st, h, body = S.req("GET", "/.well-known/jwks.json")
    eq(st, 200, "status")
    if "application/json" not in h.get("content-type", ""):
        raise AssertionError("content-type %r" % h.get("content-type"))
    j = json.loads(body)
    eq(list(j), ["keys"], "top-level keys")
    eq(len(j["keys"]), 1, "number of keys")
    k = j["keys"][0]
    eq(k["kty"], "EC", "kty")
    eq(k["crv"], "P-256", "crv")
    eq(k["alg"], "ES256", "alg")
    eq(len(b64url_dec(k["x"])), 32, "x length")
    eq(len(b64url_dec(k["y"])), 32, "y length")
    if "d" in k:
        raise AssertionError("private key in JWKS")
    if "kid" in k:
        raise AssertionError("Trustee's JWK has no kid")


def metric(text, name, labels):
    for line in text.splitlines():
        if line.startswith(name + "{") and all('%s="%s"' % kv in line for kv in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@case
def metrics_move(S):
    st, h, body = S.req("GET", "/metrics")
    eq(st, 200, "status")
    if not h.get("content-type", "").startswith("text/plain"):
        raise AssertionError("content-type %r" % h.get("content-type"))
    before = body.decode()
    for fam in ("assay_http_requests_total", "assay_attestations_total",
                "assay_attestation_duration_seconds"):
        if "# TYPE %s " % fam not in before:
            raise AssertionError("family %s missing" % fam)
    S.req("GET", "/healthz")
    S.req("GET", "/nope")
    S.req("POST", "/attestation", body=sample_request(runtime={"raw": b64url(b"x")}))
    after = ok(S.req("GET", "/metrics")).decode()
    for labels in ({"route": "healthz", "status": "200"}, {"route": "unmatched", "status": "404"}):
        if metric(after, "assay_http_requests_total", labels) < metric(before, "assay_http_requests_total", labels) + 1:
            raise AssertionError("counter %r did not move" % labels)
    tot_b = sum(metric(before, "assay_attestations_total", {"tee": "sample", "verdict": v}) for v in ("accepted", "rejected"))
    tot_a = sum(metric(after, "assay_attestations_total", {"tee": "sample", "verdict": v}) for v in ("accepted", "rejected"))
    if tot_a < tot_b + 1:
        raise AssertionError("verdict counter did not move")
    if metric(after, "assay_attestation_duration_seconds_count", {"tee": "sample"}) < 1:
        raise AssertionError("histogram count did not move")


@case
def keep_alive(S):
    c = S.conn()
    for _ in range(20):
        st, h, body = S.req("GET", "/healthz", conn=c)
        eq(st, 200, "status")
    st, h, body = S.req("POST", "/challenge", body={"tee": "sample", "tee_params": ""}, conn=c)
    eq(st, 200, "status")
    c.close()


@case
def cors(S):
    origin = "https://kbs.example"
    st, h, body = S.req("OPTIONS", "/attestation", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    eq(st, 200, "preflight status")
    eq(h.get("access-control-allow-origin"), origin, "allow-origin")
    eq(h.get("access-control-max-age"), "86400", "max-age")
    for m in ("POST", "GET", "OPTIONS"):
        if m not in h.get("access-control-allow-methods", ""):
            raise AssertionError("allow-methods %r" % h.get("access-control-allow-methods"))
    for hd in ("content-type", "authorization"):
        if hd not in h.get("access-control-allow-headers", "").lower():
            raise AssertionError("allow-headers %r" % h.get("access-control-allow-headers"))
    st, h, body = S.req("GET", "/healthz", headers={"Origin": origin})
    eq(h.get("access-control-allow-origin"), origin, "simple request allow-origin")
    st, h, body = S.req("GET", "/healthz", headers={"Origin": "https://other.example"})
    if "access-control-allow-origin" in h:
        raise AssertionError("foreign origin allowed")
    st, h, body = S.req("OPTIONS", "/attestation", headers={
        "Origin": "https://other.example", "Access-Control-Request-Method": "POST"})
    if st == 200 and "access-control-allow-origin" in h:
        raise AssertionError("preflight allowed a foreign origin")


@case
def hostile_clients(S):
    import socket
    def raw(data, read=True):
        sk = socket.create_connection(("127.0.0.1", S.port), timeout=10)
        try:
            try:
                sk.sendall(data)
                sk.shutdown(socket.SHUT_WR)  # EOF: the server answers or closes, no waiting
            except OSError:
                pass  # the server may reset a hostile connection before we are done
            if read:
                try:
                    return sk.recv(65536)
                except (socket.timeout, ConnectionError):
                    return b""
            return b""
        finally:
            sk.close()
    raw(b"\x00\xff garbage \r\n\r\n")
    raw(b"GET /healthz HTTP/9.9\r\n\r\n")
    raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
    raw(b"POST /attestation HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{\"partial\":", read=False)
    raw(b"POST /attestation HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 99999999999999999999999\r\n\r\n")
    raw(b"POST /attestation HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")
    raw(b"GET /policy/%00%01 HTTP/1.1\r\nHost: x\r\n\r\n")
    raw(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    # a TLS ClientHello on the plain port
    raw(bytes.fromhex("16030100a0010000") + os.urandom(160))
    # many idle connections, then everything is still served
    socks = [socket.create_connection(("127.0.0.1", S.port), timeout=10) for _ in range(100)]
    st, h, body = S.req("GET", "/healthz")
    for sk in socks:
        sk.close()
    eq(st, 200, "healthz after hostile clients")
    # pipelined requests on one connection
    resp = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 3 +
               b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    if not resp.startswith(b"HTTP/1.1 200"):
        raise AssertionError("pipelined answer %r" % resp[:100])


# --- the sample TEE end to end (needs the service pipeline, the Rego engine and tokens) ---

def es256_verify(jwt, jwks):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    h64, p64, s64 = jwt.split(".")
    header = json.loads(b64url_dec(h64))
    eq(header.get("alg"), "ES256", "alg")
    eq(header.get("typ"), "JWT", "typ")
    k = jwks["keys"][0]
    eq({kk: header["jwk"][kk] for kk in ("kty", "crv", "x", "y")},
       {kk: k[kk] for kk in ("kty", "crv", "x", "y")}, "header jwk vs JWKS")
    pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64url_dec(k["x"]), "big"),
                                        int.from_bytes(b64url_dec(k["y"]), "big"),
                                        ec.SECP256R1()).public_key()
    sig = b64url_dec(s64)
    eq(len(sig), 64, "JWS signature length (r||s)")
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    pub.verify(der, (h64 + "." + p64).encode(), ec.ECDSA(hashes.SHA256()))
    bad = bytearray((h64 + "." + p64).encode())
    bad[-1] ^= 1
    try:
        pub.verify(der, bytes(bad), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        pass
    else:
        raise AssertionError("tampered token verified")
    return json.loads(b64url_dec(p64))


@case
def sample_raw_runtime_data(S):
    rd = os.urandom(32)
    req = sample_request(report_data=rd, runtime={"raw": b64url(rd)})
    st, h, body = S.req("POST", "/attestation", body=req)
    if st != 200:
        raise AssertionError("status %d: %r" % (st, body[:400]))
    jwt = body.decode()
    if "content-type" in h and "json" in h["content-type"]:
        raise AssertionError("token must be bare text, content-type %r" % h["content-type"])
    jwks = json.loads(ok(S.req("GET", "/.well-known/jwks.json")))
    claims = es256_verify(jwt, jwks)
    for key in ("eat_profile", "iat", "ear.verifier-id", "submods", "exp", "iss"):
        if key not in claims:
            raise AssertionError("claim %s missing: %r" % (key, list(claims)))
    cpu = claims["submods"]["cpu0"]
    if cpu["ear.status"] not in ("none", "affirming", "warning", "contraindicated"):
        raise AssertionError("ear.status %r" % cpu["ear.status"])
    eq(cpu["ear.appraisal-policy-id"], "default", "policy id")
    ev = cpu["ear.veraison.annotated-evidence"]
    if "sample" not in ev:
        raise AssertionError("annotated evidence %r" % ev)
    if claims["exp"] <= claims["iat"]:
        raise AssertionError("exp <= iat")


@case
def sample_structured_runtime_data(S):
    rt = {"tee-pubkey": {"kty": "EC", "crv": "P-256", "x": "abc", "y": "def"}, "nonce": "n0nce"}
    for alg, fn in (("sha384", hashlib.sha384), ("sha256", hashlib.sha256), ("SHA512", hashlib.sha512)):
        req = sample_request(report_data=fn(jcs(rt)).digest(), runtime={"structured": rt}, alg=alg)
        st, h, body = S.req("POST", "/attestation", body=req)
        if st != 200:
            raise AssertionError("%s: status %d: %r" % (alg, st, body[:400]))
    req = sample_request(report_data=b"x", runtime={"structured": rt}, alg="sha-384")
    expect_error(S.req("POST", "/attestation", body=req), 400)


@case
def sample_custom_policy(S):
    ok(S.req("POST", "/policy", body={"policy_id": "itest_cpu", "policy": b64url(REGO_OK.encode())}))
    req = sample_request(policy_ids=["itest"])
    st, h, body = S.req("POST", "/attestation", body=req)
    if st != 200:
        raise AssertionError("status %d: %r" % (st, body[:400]))
    jwks = json.loads(ok(S.req("GET", "/.well-known/jwks.json")))
    claims = es256_verify(body.decode(), jwks)
    cpu = claims["submods"]["cpu0"]
    eq(cpu["ear.appraisal-policy-id"], "itest", "policy id")
    eq(cpu["ear.status"], "affirming", "status from trust_claims 3/2/2")
    tv = cpu["ear.trustworthiness-vector"]
    eq(tv.get("executables"), 3, "executables")
    eq(tv.get("hardware"), 2, "hardware")
    ok(S.req("DELETE", "/policy/itest_cpu"))


# --- restarts ---

@case
def persistence_across_restart(S):
    wd = tempfile.mkdtemp(prefix="assayd-it-")
    s = Server(wd)
    try:
        s.start()
        ok(s.req("POST", "/policy", body={"policy_id": "persist_cpu", "policy": b64url(REGO_OK.encode())}))
        ok(s.req("POST", "/reference-value", body=rv_message({"persist.rv": ["7"]})))
        jwks1 = ok(s.req("GET", "/.well-known/jwks.json"))
        # The work directory's database belongs to one daemon: a second one is refused.
        rc, out, err = run_assayd(["-s", "127.0.0.1:0", "-c", os.path.join(wd, "config.json")])
        eq(rc, 2, "second daemon on the same work directory")
        if "lock" not in err:
            raise AssertionError("message for a second daemon: %r" % err)
        eq(s.stop(), 0, "exit status after SIGTERM")
        s.start()
        got = json.loads(ok(s.req("GET", "/policy/persist_cpu")))
        eq(b64url_dec(got["policy"]).decode(), REGO_OK, "policy after restart")
        ok(s.req("GET", "/reference-value/persist.rv"))
        eq(ok(s.req("GET", "/.well-known/jwks.json")), jwks1, "signing key stable across restart")
        eq(s.stop(signal.SIGINT), 0, "exit status after SIGINT")
    finally:
        s.kill()
        shutil.rmtree(wd, ignore_errors=True)


@case
def kill9_after_ack(S):
    wd = tempfile.mkdtemp(prefix="assayd-it-")
    s = Server(wd)
    try:
        s.start()
        for i in range(5):
            ok(s.req("POST", "/policy", body={"policy_id": "k9_%d" % i, "policy": b64url(REGO_OK.encode())}))
        ok(s.req("POST", "/reference-value", body=rv_message({"k9.rv": ["1"]})))
        s.stop(signal.SIGKILL)
        s.start()
        for i in range(5):
            ok(s.req("GET", "/policy/k9_%d" % i))
        ok(s.req("GET", "/reference-value/k9.rv"))
        s.stop()
    finally:
        s.kill()
        shutil.rmtree(wd, ignore_errors=True)


# --- command line ---

def run_assayd(args, timeout=20):
    p = subprocess.run([ASSAYD] + args, capture_output=True, timeout=timeout, text=True)
    return p.returncode, p.stdout, p.stderr


@case
def cli_flags(S):
    rc, out, err = run_assayd(["--version"])
    eq(rc, 0, "--version status")
    if not re.match(r"assayd \d+\.\d+\.\d+", out):
        raise AssertionError("--version output %r" % out)
    rc, out, err = run_assayd(["--help"])
    eq(rc, 0, "--help status")
    for flag in ("--socket", "--config-file", "--https-pubkey-cert", "--https-prikey", "--allowed_origin"):
        if flag not in out:
            raise AssertionError("%s not in --help" % flag)
    rc, out, err = run_assayd(["-t", "/nonexistent.pem", "-s", "127.0.0.1:0"])
    eq(rc, 2, "-t alone")
    if "-k" not in err:
        raise AssertionError("message for -t alone: %r" % err)
    rc, out, err = run_assayd(["-k", "/nonexistent.pem", "-s", "127.0.0.1:0"])
    eq(rc, 2, "-k alone")
    rc, out, err = run_assayd(["-r", "kbs.example", "-s", "127.0.0.1:0"])
    eq(rc, 2, "bad origin")
    if "http://" not in err:
        raise AssertionError("message for bad origin: %r" % err)
    rc, out, err = run_assayd(["--no-such-flag"])
    eq(rc, 2, "unknown flag")
    rc, out, err = run_assayd(["-s", "localhost:80"])
    eq(rc, 2, "bad socket")
    rc, out, err = run_assayd(["-s", "127.0.0.1:0", "-c", "/nonexistent/config.json"])
    eq(rc, 2, "missing config")
    if "config" not in err.lower():
        raise AssertionError("message for missing config: %r" % err)
    wd = tempfile.mkdtemp(prefix="assayd-it-")
    try:
        p = os.path.join(wd, "bad.json")
        with open(p, "w") as f:
            f.write('{"attestation_token_broker": {"duration_min": "five"}}')
        rc, out, err = run_assayd(["-s", "127.0.0.1:0", "-c", p])
        eq(rc, 2, "config with a wrong type")
        if "duration_min" not in err:
            raise AssertionError("message should name the key: %r" % err)
        # A port already in use.
        with open(p, "w") as f:
            json.dump({"work_dir": wd}, f)
        rc, out, err = run_assayd(["-s", "127.0.0.1:%d" % S.port, "-c", p])
        eq(rc, 2, "port in use")
    finally:
        shutil.rmtree(wd, ignore_errors=True)


@case
def https(S):
    wd = tempfile.mkdtemp(prefix="assayd-it-")
    try:
        cert = os.path.join(wd, "cert.pem")
        key = os.path.join(wd, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        s = Server(wd, tls=(cert, key)).start()
        try:
            st, h, body = s.req("GET", "/healthz")
            eq(st, 200, "healthz over TLS")
            c = s.conn()
            for _ in range(10):
                eq(s.req("GET", "/.well-known/jwks.json", conn=c)[0], 200, "keep-alive over TLS")
            expect_error(s.req("POST", "/attestation", body="{", conn=c), 400)
            big = json.dumps({"pad": "x" * (2 * 1024 * 1024)})
            expect_error(s.req("POST", "/attestation", body=big), 413)
            c.close()
            # TLS 1.1 is refused.
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            try:
                ctx.maximum_version = ssl.TLSVersion.TLSv1_1
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                cc = http.client.HTTPSConnection("127.0.0.1", s.port, timeout=10, context=ctx)
                cc.request("GET", "/healthz")
                cc.getresponse()
                raise AssertionError("TLS 1.1 accepted")
            except (ssl.SSLError, ConnectionError, OSError):
                pass
            # Plain HTTP on the TLS port gets no HTTP answer.
            pc = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
            try:
                pc.request("GET", "/healthz")
                r = pc.getresponse()
                if r.status == 200:
                    raise AssertionError("plaintext served on the HTTPS port")
            except (http.client.HTTPException, ConnectionError, OSError):
                pass
            st, h, body = s.req("GET", "/healthz")
            eq(st, 200, "still serving after bad clients")
        finally:
            try:
                eq(s.stop(), 0, "TLS server exit status")
            finally:
                s.kill()
        # A key that does not match the certificate is a start-up error.
        key2 = os.path.join(wd, "key2.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", key2], check=True, capture_output=True)
        rc, out, err = run_assayd(["-s", "127.0.0.1:0", "-c", os.path.join(wd, "config.json"),
                                   "-t", cert, "-k", key2])
        eq(rc, 2, "mismatched key")
    finally:
        shutil.rmtree(wd, ignore_errors=True)


def main():
    global ASSAYD
    warnings.simplefilter("ignore", DeprecationWarning)  # ssl.TLSVersion.TLSv1_1 in https()
    ap = argparse.ArgumentParser()
    ap.add_argument("--assayd", required=True)
    ap.add_argument("--only", action="append", default=[])
    a = ap.parse_args()
    ASSAYD = os.path.abspath(a.assayd)
    wd = tempfile.mkdtemp(prefix="assayd-it-")
    S = Server(wd, args=["-r", "https://kbs.example,http://localhost:3000"])
    failed = []
    passed = 0
    try:
        S.start()
        for t in TESTS:
            if a.only and t.__name__ not in a.only:
                continue
            t0 = time.time()
            try:
                t(S)
                passed += 1
                print("PASS %-32s %.2fs" % (t.__name__, time.time() - t0), flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure and go on
                failed.append(t.__name__)
                print("FAIL %-32s %s" % (t.__name__, e), flush=True)
                if not isinstance(e, AssertionError):
                    traceback.print_exc()
            if S.proc.poll() is not None:
                print("assayd died:\n" + S.read_log(), flush=True)
                return 1
        eq(S.stop(), 0, "exit status of the shared server")
    finally:
        if S.proc is not None:
            S.proc.kill()
        shutil.rmtree(wd, ignore_errors=True)
    print("%d passed, %d failed%s" % (passed, len(failed), (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
