"""Operational endpoints, dev reset, TLS, start-up errors."""
import os
import socket
import subprocess
import time

import boto3
import pytest
import requests

from conftest import BACKENDS, WARDEN, free_port


def test_health_and_metrics(strict):
    h = requests.get(strict.endpoint + "/_warden/health", timeout=5)
    assert h.status_code == 200 and h.json()["status"] == "ok"
    strict.client("sts").get_caller_identity()
    m = requests.get(strict.endpoint + "/_warden/metrics", timeout=5)
    assert m.status_code == 200
    lines = [l for l in m.text.splitlines() if l.startswith("warden_requests_total")]
    assert any('operation="GetCallerIdentity"' in l and 'service="sts"' in l and 'status="200"' in l for l in lines), m.text
    assert "warden_request_duration_seconds_bucket" in m.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_reset_only_in_dev(make_warden, backend):
    strict = make_warden(backend)
    assert requests.post(strict.endpoint + "/_warden/reset", timeout=5).status_code == 404
    dev = make_warden(backend, dev=True)
    dev.client("sts").get_caller_identity()
    assert len(dev.audit_records()) == 1
    r = requests.post(dev.endpoint + "/_warden/reset", timeout=5)
    assert r.status_code == 200
    assert dev.audit_records() == []
    dev.client("sts").get_caller_identity()
    assert len(dev.audit_records()) == 1


def wait_health(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, "warden exited"
        try:
            if requests.get(f"http://127.0.0.1:{port}/_warden/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError("warden did not become healthy")


def test_dev_without_data_dir_uses_a_fresh_temp_dir(tmp_path):
    port = free_port()
    p = subprocess.Popen([WARDEN, "serve", "--dev", "--port", str(port)], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_health(port, p)
        assert not os.path.exists(tmp_path / "warden-data")
    finally:
        p.terminate()
        out = p.communicate(timeout=30)[0].decode()
    assert "dev mode" in out and "warden-dev-" in out


def test_tls(make_warden, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    w = make_warden("sqlite", extra_args=["--tls-cert", str(cert), "--tls-key", str(key)])
    assert w.endpoint.startswith("https://")
    out = w.client("sts", verify=str(cert)).get_caller_identity()
    assert out["Account"] == "000000000000"
    r = w.aws("sts", "get-caller-identity", env={"AWS_CA_BUNDLE": str(cert)})
    assert r.returncode == 0, r.stderr
    rec = w.audit_records()[-1]
    assert rec["tlsDetails"]["tlsVersion"] in ("TLSv1.2", "TLSv1.3")
    assert rec["tlsDetails"]["clientProvidedHostHeader"] == f"127.0.0.1:{w.port}"
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{w.port}/_warden/health", timeout=5)


def run_serve(*args, timeout=60):
    return subprocess.run([WARDEN, "serve", *args], capture_output=True, text=True, timeout=timeout)


def test_port_in_use(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        r = run_serve("--port", str(port), "--data-dir", str(tmp_path / "d"))
    finally:
        s.close()
    assert r.returncode != 0
    assert "address already in use" in r.stderr.lower()


def test_unwritable_data_dir(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    f = ro / "file"
    f.write_text("x")
    r = run_serve("--port", str(free_port()), "--data-dir", str(f / "sub"))
    assert r.returncode != 0
    assert "data directory" in r.stderr


def test_unreachable_postgres(tmp_path):
    r = run_serve("--port", str(free_port()), "--data-dir", str(tmp_path / "d"),
                  "--storage", f"postgres://warden@127.0.0.1:{free_port()}/postgres")
    assert r.returncode != 0
    assert "cannot reach PostgreSQL" in r.stderr


def test_env_configuration(tmp_path):
    port = free_port()
    env = dict(os.environ, WARDEN_PORT=str(port), WARDEN_DEV="1", WARDEN_DATA_DIR=str(tmp_path / "envdata"),
               WARDEN_ACCOUNT_ID="210987654321")
    p = subprocess.Popen([WARDEN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_health(port, p)
        sts = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="AKIAENV", aws_secret_access_key="s")
        assert sts.get_caller_identity()["Account"] == "210987654321"
        assert (tmp_path / "envdata" / "warden.sqlite").exists()
    finally:
        p.terminate()
        p.wait(timeout=30)


def test_version_and_help():
    assert subprocess.run([WARDEN, "version"], capture_output=True, text=True).stdout.startswith("warden ")
    for args in (["--help"], ["serve", "--help"], ["credentials", "--help"], ["credentials", "create", "--help"]):
        r = subprocess.run([WARDEN, *args], capture_output=True, text=True)
        assert r.returncode == 0 and "USAGE" in r.stdout.upper()
