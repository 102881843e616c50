#!/usr/bin/env bash
# Benchmark: Warden nodes on one PostgreSQL behind HAProxy (scripts/cluster; strict SigV4, every call audited):
#   (i)   KMS Encrypt (1 KiB) req/s through HAProxy with 1, 2 and 3 nodes, at concurrency 16 and 64 (wrk);
#   (ii)  SQS SendMessage through node A to the message in hand of a long poll already waiting on node B, 500 messages
#         one at a time: p50/p99 (target p99 <= 20 ms);
#   (iii) lease takeover: time from kill -9 (then from SIGTERM) of the node holding the most leases until every lease
#         is held again by the others, from their /_warden/health polled every 50 ms (--lease-ttl is the default, 10 s).
# Usage: bench/cluster.sh [seconds per wrk run, default 10] [rounds, default 3]. WARDEN_BIN=PATH runs that binary
# instead of building a release one. Not a test: it never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-3}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
if [ -z "${WARDEN_BIN:-}" ]; then swift build -c release --product warden >/dev/null 2>&1; fi
BIN=${WARDEN_BIN:-$(pwd)/.build/release/warden}
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
chmod 755 "$OUT"  # each cluster's PostgreSQL runs as its own user under it
RUNNING=""
stop_cluster() { [ -n "$RUNNING" ] && scripts/cluster stop --dir "$RUNNING" >/dev/null; RUNNING=""; }
trap 'stop_cluster; rm -rf "$OUT"' EXIT

start_cluster() { # $1 nodes: a detached cluster (with its own throw-away PostgreSQL) in $OUT/n$1
  scripts/cluster --detach --nodes "$1" --dir "$OUT/n$1" --bin "$BIN" >"$OUT/n$1.log" 2>&1 || { cat "$OUT/n$1.log"; exit 1; }
  RUNNING="$OUT/n$1"
}

endpoint() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$1/cluster.json"; }

encrypt_script() { # $1 cluster dir: a key, and a wrk script of one signed Encrypt through HAProxy
python3 - "$1" <<'PY'
import base64, json, subprocess, sys
import boto3
sys.path.insert(0, "bench/lib")
from signed_request import credentials
d = sys.argv[1]
c = json.load(open(f"{d}/cluster.json"))
creds = credentials(c["credentials"])
kms = boto3.client("kms", endpoint_url=c["endpoint"], region_name="us-east-1", aws_access_key_id=creds.access_key,
                   aws_secret_access_key=creds.secret_key)
key = kms.create_key()["KeyMetadata"]["KeyId"]
body = json.dumps({"KeyId": key, "Plaintext": base64.b64encode(b"x" * 1024).decode()})
lua = subprocess.run([sys.executable, "bench/lib/signed_request.py", c["endpoint"], c["credentials"], "kms", "json",
                      "TrentService.Encrypt", body], check=True, capture_output=True, text=True).stdout
open(f"{d}/encrypt.lua", "w").write(lua)
PY
}

# (i) Encrypt through HAProxy, 1 to 3 nodes: one cluster at a time, so the others take no CPU.
for n in 1 2 3; do
  start_cluster "$n"
  encrypt_script "$OUT/n$n"
  for _ in $(seq "$ROUNDS"); do
    for c in 16 64; do measure "encrypt-$n-$c" "$(endpoint "$OUT/n$n")/" "$OUT/n$n/encrypt.lua" "$c"; done
  done
  [ "$n" = 3 ] || stop_cluster
done

# (ii) and (iii) on the three-node cluster still running.
python3 - "$OUT/n3" "$ROUNDS" >"$OUT/python.md" <<'PY'
import json, os, signal, statistics, subprocess, sys, threading, time
import boto3, requests
from botocore.config import Config
sys.path.insert(0, "bench/lib")
from signed_request import credentials
d, rounds = sys.argv[1], int(sys.argv[2])
c = json.load(open(f"{d}/cluster.json"))
creds = credentials(c["credentials"])

def sqs(endpoint):
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=creds.access_key,
                        aws_secret_access_key=creds.secret_key, config=Config(retries={"max_attempts": 1}))

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")

print("| measure | result |")
print("|---|---|")

# (ii) A sends, B's long poll (already waiting) receives; one message at a time.
a, b = sqs(c["nodes"][0]["endpoint"]), sqs(c["nodes"][1]["endpoint"])
url = a.create_queue(QueueName="bench-cross-node")["QueueUrl"]
received, arrived, total = {}, threading.Event(), 520  # the first 20 warm up

def receiver():
    while len(received) < total:
        for m in b.receive_message(QueueUrl=url, WaitTimeSeconds=20, MaxNumberOfMessages=1).get("Messages", []):
            received[m["Body"]] = time.perf_counter()
            arrived.set()
            b.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

threading.Thread(target=receiver, daemon=True).start()
end_to_end, send_call, lost = [], [], 0
for i in range(total):
    time.sleep(0.02)  # B's next long poll is waiting by now
    arrived.clear()
    t0 = time.perf_counter()
    a.send_message(QueueUrl=url, MessageBody=str(i))
    t1 = time.perf_counter()
    while str(i) not in received and arrived.wait(30):
        arrived.clear()
    if str(i) not in received:
        lost += 1
        continue
    if i >= 20:
        end_to_end.append((received[str(i)] - t0) * 1000)
        send_call.append((t1 - t0) * 1000)
print(f"| SQS send via node A → long poll on node B, message in hand ({len(end_to_end)} messages) | "
      f"p50 {pct(end_to_end, .5):.1f} ms, p99 {pct(end_to_end, .99):.1f} ms (target p99 ≤ 20 ms) |")
print(f"| of which the SendMessage call on node A | p50 {pct(send_call, .5):.1f} ms, p99 {pct(send_call, .99):.1f} ms |")
if lost:
    print(f"| messages not received within 30 s | {lost} |")

# (iii) Lease takeover.
def leases(node):
    try:
        return set(requests.get(node["endpoint"] + "/_warden/health", timeout=0.5).json().get("leases", []))
    except (requests.RequestException, ValueError):
        return None

def holders(nodes):
    out = {n["id"]: leases(n) for n in nodes}
    return None if None in out.values() else out

def settled(nodes):
    """{node id: its leases} once every node answers and no lease is held twice (None if that takes a minute)."""
    deadline = time.time() + 60
    while time.time() < deadline:
        h = holders(nodes)
        if h and sum(len(s) for s in h.values()) == len(set().union(*h.values())) > 0:
            return h
        time.sleep(0.05)
    return None

def nodes():
    return json.load(open(f"{d}/cluster.json"))["nodes"]

results = {"kill -9": [], "SIGTERM": []}
for _ in range(rounds):
    for how, sig in (("kill -9", signal.SIGKILL), ("SIGTERM", signal.SIGTERM)):
        h = settled(nodes())
        if h is None:
            print("| lease takeover | no node reports leases (/_warden/health) |")
            break
        names = set().union(*h.values())
        victim = max(nodes(), key=lambda n: len(h[n["id"]]))
        others = [n for n in nodes() if n["id"] != victim["id"]]
        t0 = time.perf_counter()
        os.kill(victim["pid"], sig)
        while True:
            held = set()
            for n in others:
                held |= leases(n) or set()
            if held >= names:
                break
            time.sleep(0.05)
        results[how].append(time.perf_counter() - t0)
        for _ in range(600):  # gone (or a zombie nobody reaps) before it starts again
            try:
                if open(f"/proc/{victim['pid']}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            except FileNotFoundError:
                break
            time.sleep(0.05)
        subprocess.run(["scripts/cluster", "restart", "--dir", d, victim["id"]], check=True, capture_output=True)
for how, times in results.items():
    print(f"| every lease held again after {how} of the busiest node (runs: {len(times)}; health polled every 50 ms) | "
          f"median {statistics.median(times):.2f} s, max {max(times):.2f} s |")
PY

echo "| operation | nodes | concurrency | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for n in 1 2 3; do
  for c in 16 64; do report "KMS Encrypt 1 KiB through HAProxy | $n" "encrypt-$n-$c" "$c"; done
done
echo
for n in 2 3; do
  echo "Encrypt c=64, $n nodes / 1 node: $(python3 -c "print(f'{$(median_rps "encrypt-$n-64") / $(median_rps "encrypt-1-64"):.2f}x')")"
done
echo
cat "$OUT/python.md"
