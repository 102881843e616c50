"""bench/push.sh's pieces: a local APNs provider API that counts deliveries, and the measurement driver.

  push.py serve OUTDIR
      Makes a test CA and a certificate for 127.0.0.1 (as tests/e2e/test_sns_endpoints.make_ca does), a P-256 .p8
      signing key, then runs the APNs provider API of tests/e2e/test_sns_push.py (POST /3/device/TOKEN over HTTP/2 +
      TLS; the ES256 provider token checked against the key's public key) rebuilt for speed: frames are handled by hand
      instead of through h2's state machine, header blocks are HPACK-decoded and checked for the first CHECKED requests
      of each connection only, each distinct provider token is verified once, and every 200 answer's time is kept.
      A plain-HTTP control port answers GET /stats?i=N: {"count", "rejected", "connections", "stamp": time of the
      (N+1)th delivery or null}. Writes OUTDIR/push.json once listening. Runs until killed.
  push.py run OUTDIR DURATION NAME=ENDPOINT=CREDFILE|-=PID ...
      Per server: a token-based APNS platform application and one endpoint, then wrk at c=16 and c=64 for DURATION
      seconds against Publish --TargetArn endpoint; prints a markdown table.

The server is still Python: one thread per TLS connection, all under one GIL. Warden's HTTP client multiplexes its
pushes over one HTTP/2 connection, so that one Python thread takes every delivery; its CPU share is printed, and near
100% of a core it, not Warden, is what the delivery rate measures. (The test's h2-based server managed ~1,500
requests/s under h2load on the 2-core bench machine; this one several times that.)
"""
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

TEAM, KEY_ID, BUNDLE = "TEAM123456", "KEY1234567", "com.example.warden"
DEVICE = "a1" * 32
CHECKED = 200  # requests per connection whose headers are decoded and checked


# ---------------------------------------------------------------- the push server

def make_ca(d):
    """A test CA and a server certificate for 127.0.0.1 that it signed (tests/e2e/test_sns_endpoints.make_ca)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
        "-subj", "/CN=Warden Bench CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
        "-days", "1", "-extfile", "ext.cnf")
    return os.path.join(d, "ca.pem")


def b64url_decode(s):
    import base64
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class APNs:
    """POST /3/device/<token> over HTTP/2: 200 for a valid provider token (403 InvalidProviderToken otherwise)."""

    def __init__(self, context, public_key):
        self.context, self.public_key = context, public_key
        self.stamps = []      # time of each 200 answer (list.append is atomic under the GIL)
        self.rejected = []
        self.connections = 0
        self.verified = {}    # authorization header -> bool: ES256 checked once per provider token
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            conn, _ = self.sock.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def jwt_ok(self, authorization):
        known = self.verified.get(authorization)
        if known is not None:
            return known
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        ok = False
        try:
            text = authorization.decode()
            if text.startswith("bearer "):
                header, claims, signature = text[7:].split(".")
                h, c = json.loads(b64url_decode(header)), json.loads(b64url_decode(claims))
                raw = b64url_decode(signature)
                if h.get("alg") == "ES256" and h.get("kid") == KEY_ID and len(raw) == 64 and c.get("iss") == TEAM:
                    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
                    self.public_key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
                    ok = abs(c.get("iat", 0) - time.time()) < 3600
        except Exception:
            ok = False
        self.verified[authorization] = ok
        return ok

    def serve(self, conn):
        """HTTP/2 by hand: frames are split with struct, header blocks go through h2's HPACK decoder (the `hpack`
        package) only until CHECKED requests on this connection passed the test server's checks; after that each
        stream is counted and answered without decoding its headers. Answers are pre-encoded (":status 200" is one
        byte of HPACK's static table, apns-id a literal never added to the table)."""
        import hpack
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
            preface = b""
            while len(preface) < 24:
                chunk = tls.recv(24 - len(preface))
                if not chunk:
                    raise OSError("closed before the preface")
                preface += chunk
            if preface != b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" or tls.selected_alpn_protocol() != "h2":
                raise OSError("not HTTP/2")
        except (ssl.SSLError, OSError):
            conn.close()
            return
        self.connections += 1
        number = self.connections
        # SETTINGS: 1000 concurrent streams, 16 MiB stream windows; and 1 GiB more connection window.
        tls.sendall(frame(4, 0, 0, struct.pack(">HIHI", 3, 1000, 4, 1 << 24)) + frame(8, 0, 0, struct.pack(">I", 1 << 30)))
        decoder, checked, blocks, ends, consumed, served = hpack.Decoder(), 0, {}, {}, 0, 0
        stamps, rejected, now, unpack = self.stamps, self.rejected, time.time, struct.unpack_from
        head_ok = b"\x88\x00\x07apns-id\x24"
        denied_body = json.dumps({"reason": "InvalidProviderToken"}).encode()
        denied = b"\x08\x03403\x00\x0ccontent-type\x10application/json"
        buf = b""
        try:
            while True:
                data = tls.recv(1 << 20)
                if not data:
                    break
                buf = buf + data if buf else data
                pos, n, out = 0, len(buf), []
                while n - pos >= 9:
                    length = int.from_bytes(buf[pos:pos + 3], "big")
                    if n - pos < 9 + length:
                        break
                    kind, flags, sid = buf[pos + 3], buf[pos + 4], unpack(">I", buf, pos + 5)[0] & 0x7FFFFFFF
                    body = pos + 9
                    pos = body + length
                    finished = None
                    if kind == 0:  # DATA
                        consumed += length
                        if flags & 1:
                            finished = sid
                    elif kind == 1 or kind == 9:  # HEADERS, CONTINUATION
                        if kind == 1:
                            ends[sid] = flags & 1
                            if checked < CHECKED:
                                a, b = body, pos
                                if flags & 0x8:
                                    b -= buf[a]
                                    a += 1
                                if flags & 0x20:
                                    a += 5
                                blocks[sid] = buf[a:b]
                        elif sid in blocks:
                            blocks[sid] += buf[body:pos]
                        if flags & 0x4:  # END_HEADERS
                            if sid in blocks:
                                headers = dict(decoder.decode(blocks.pop(sid), raw=True))
                                blocks[sid] = self.check(headers)
                                checked += 1
                            if ends.pop(sid, 0):
                                finished = sid
                    elif kind == 4:  # SETTINGS
                        if not flags & 1:
                            out.append(frame(4, 1, 0, b""))
                    elif kind == 6:  # PING
                        if not flags & 1:
                            out.append(frame(6, 1, 0, buf[body:pos]))
                    elif kind == 7:  # GOAWAY
                        raise OSError("GOAWAY")
                    if finished is not None:
                        ends.pop(finished, None)
                        if blocks.pop(finished, True):
                            served += 1
                            out.append(frame(1, 5, finished, head_ok + b"%08X-0000-4000-8000-%012X" % (number, served)))
                            stamps.append(now())
                        else:
                            rejected.append(now())
                            out.append(frame(1, 4, finished, denied) + frame(0, 1, finished, denied_body))
                buf = buf[pos:]
                if consumed >= 1 << 28:
                    out.append(frame(8, 0, 0, struct.pack(">I", consumed)))
                    consumed = 0
                if out:
                    tls.sendall(b"".join(out))
        except (OSError, ssl.SSLError):
            pass
        except Exception as e:  # a protocol error: say so, the run's figures will show it
            print(f"push server: connection ended: {e!r}", file=sys.stderr)
        finally:
            self.connections -= 1
            tls.close()

    def check(self, headers):
        """The test server's checks on one request: POST /3/device/TOKEN with a valid provider token and a topic."""
        ok = (headers.get(b":method") == b"POST" and headers.get(b":path", b"").startswith(b"/3/device/")
              and headers.get(b"apns-topic") == BUNDLE.encode() and self.jwt_ok(headers.get(b"authorization", b"")))
        if not ok and len(self.rejected) < 3:
            print(f"push server: refused {headers.get(b':path')!r}", file=sys.stderr)
        return ok


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes((kind, flags)) + struct.pack(">I", stream) + payload


def serve(out):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    ca = make_ca(out)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(out, "server.pem"), os.path.join(out, "server.key"))
    context.set_alpn_protocols(["h2"])
    signing = ec.generate_private_key(ec.SECP256R1())
    p8 = signing.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    apns = APNs(context, signing.public_key())

    class Control(BaseHTTPRequestHandler):
        def do_GET(self):
            i = int(parse_qs(urlparse(self.path).query).get("i", ["-1"])[0])
            stamps = apns.stamps
            doc = {"count": len(stamps), "rejected": len(apns.rejected), "connections": apns.connections,
                   "stamp": stamps[i] if 0 <= i < len(stamps) else None}
            data = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    control = ThreadingHTTPServer(("127.0.0.1", 0), Control)
    info = {"apns": apns.url, "ca": ca, "p8": p8, "control": f"http://127.0.0.1:{control.server_address[1]}"}
    with open(os.path.join(out, "push.json.tmp"), "w") as f:
        json.dump(info, f)
    os.rename(os.path.join(out, "push.json.tmp"), os.path.join(out, "push.json"))
    control.serve_forever()


# ---------------------------------------------------------------- the driver

def stats(control, i=-1):
    import urllib.request
    with urllib.request.urlopen(f"{control}/stats?i={i}", timeout=10) as r:
        return json.load(r)


def cpu_seconds(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def wrk(url, script, connections, duration):
    """The same run as common.sh's once(), plus the count of completed requests."""
    args = ["wrk", f"-t{1 if connections < 2 else 2}", f"-c{connections}", f"-d{duration:g}s", "--latency", "-s", script, url]
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    def find(pattern, default="0"):
        m = re.search(pattern, text, re.M)
        return m.group(1) if m else default
    return {"rps": float(find(r"Requests/sec:\s+([\d.]+)")), "p50": find(r"^\s+50%\s+(\S+)", "-"),
            "p99": find(r"^\s+99%\s+(\S+)", "-"), "requests": int(find(r"(\d+) requests in")),
            "non2xx": int(find(r"Non-2xx or 3xx responses:\s+(\d+)"))}


def prepare(name, endpoint, cred_file, out, p8):
    import boto3
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from signed_request import credentials
    c = credentials(cred_file)
    sns = boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key,
                       aws_secret_access_key=c.secret_key)
    app = sns.create_platform_application(Name="bench-push", Platform="APNS", Attributes={
        "PlatformCredential": p8, "PlatformPrincipal": KEY_ID, "ApplePlatformTeamID": TEAM,
        "ApplePlatformBundleID": BUNDLE})["PlatformApplicationArn"]
    target = sns.create_platform_endpoint(PlatformApplicationArn=app, Token=DEVICE)["EndpointArn"]
    body = urlencode({"Action": "Publish", "Version": "2010-03-31", "TargetArn": target, "Message": "m" * 256})
    lua = subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "signed_request.py"),
                          endpoint, cred_file, "sns", "query", body], capture_output=True, text=True, check=True).stdout
    path = os.path.join(out, f"{name}-push.lua")
    open(path, "w").write(lua)
    return sns, target, path


def settle(control, quiet=0.5, limit=60):
    """Waits until the delivery count stops moving (a previous run's tail), at most `limit` seconds."""
    deadline, last, since = time.time() + limit, stats(control)["count"], time.time()
    while time.time() < deadline and time.time() - since < quiet:
        time.sleep(0.1)
        n = stats(control)["count"]
        if n != last:
            last, since = n, time.time()
    return last


def run(out, duration, servers):
    info = json.load(open(os.path.join(out, "push.json")))
    control, push_pid = info["control"], int(open(os.path.join(out, "push.pid")).read())
    rows, notes = [], []
    for spec in servers:
        name, endpoint, cred_file, pid = spec.split("=", 3)
        delivers = name == "Warden"
        sns, target, script = prepare(name, endpoint, cred_file, out, info["p8"])
        if delivers:
            # One push end to end first: the path works (and the provider token is made and verified) before timing.
            before = stats(control)["count"]
            sns.publish(TargetArn=target, Message="warm-up")
            deadline = time.time() + 30
            while stats(control)["count"] == before and time.time() < deadline:
                time.sleep(0.05)
            s = stats(control)
            if s["count"] == before:
                sys.exit(f"{name}: the warm-up push never reached the push server (rejected {s['rejected']}); see its log")
        for c in (16, 64):
            c0 = settle(control) if delivers else 0
            cpu0, pcpu0 = cpu_seconds(pid), cpu_seconds(push_pid)
            t0 = time.time()
            w = wrk(endpoint + "/", script, c, duration)
            t1 = time.time()
            cpu1, pcpu1 = cpu_seconds(pid), cpu_seconds(push_pid)
            acked = w["requests"] - w["non2xx"]
            row = dict(name=name, c=c, acked=acked, server_cpu=(cpu1 - cpu0) / (t1 - t0), **w)
            if delivers:
                c1 = stats(control)["count"]
                target_n = c0 + acked
                deadline = t1 + 60
                s = stats(control, target_n - 1)
                while s["stamp"] is None and time.time() < deadline:
                    time.sleep(0.05)
                    s = stats(control, target_n - 1)
                row.update(in_window=c1 - c0, window_rate=(c1 - c0) / (t1 - t0), push_cpu=(pcpu1 - pcpu0) / (t1 - t0),
                           delivered=min(s["count"], target_n) - c0, rejected=s["rejected"], connections=s["connections"],
                           tail=None if s["stamp"] is None else s["stamp"] - t1,
                           overall=None if s["stamp"] is None else acked / (s["stamp"] - t0))
            rows.append(row)

    print("| server | concurrency | Publish req/s | p50 | p99 | non-2xx | deliveries/s during the load "
          "| delivered / acknowledged | last delivery after the load stopped | deliveries/s, first publish to last delivery |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "in_window" in r:
            if r["tail"] is None:
                tail = f"not within 60 s ({r['acked'] - r['delivered']:,} missing)"
            else:  # wrk's exit is the end of the load: a last push before it shows as 0
                tail = f"{max(0.0, r['tail']) * 1000:.0f} ms"
            overall = f"{r['overall']:,.0f}" if r["overall"] is not None else "-"
            delivery = (f"{r['window_rate']:,.0f}", f"{r['delivered']:,} / {r['acked']:,}", tail, overall)
        else:
            delivery = ("none: moto delivers nowhere", f"0 / {r['acked']:,}", "-", "-")
        print(f"| {r['name']} | {r['c']} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['non2xx']} | " + " | ".join(delivery) + " |")
    print()
    print("moto_server accepts the platform application, the endpoint and Publish to it, and delivers nothing (it keeps "
          "the message in memory): its row is the API's rate alone.")
    for r in rows:
        if "push_cpu" in r:
            print(f"Warden c={r['c']}: Warden CPU {r['server_cpu'] * 100:.0f}%, push server CPU {r['push_cpu'] * 100:.0f}% "
                  f"(one core = 100%) over the load window; {r['connections']} HTTP/2 connection(s) to the push server; "
                  f"{r['rejected']} pushes refused so far." +
                  (" The push server was near a full core: it bounds the delivery rate." if r["push_cpu"] > 0.85 else ""))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        run(sys.argv[2], float(sys.argv[3]), sys.argv[4:])
