"""Golden responses: a call's whole wire document compared with one written from AWS's documentation or a response
recorded from AWS. Every case names its source.

The comparison is on the raw response body as the server sent it , not on what botocore made of
it, so a `45` where AWS writes `45.0`, a missing empty list or an extra member all fail. Values that differ per call
(ids, ARNs with ids, times) are written in the expected document as patterns:

    "$uuid"        a UUID
    "$timestamp"   a JSON number (epoch seconds, as the JSON protocols send times)
    "$string"      any string
    "$number"      any number
    "$any"         anything, present
    "re:<regex>"   a string matching the regular expression in full

Numbers are compared with their JSON type: 45 (int) does not match 45.0 (float).
"""
import json
import re

import botocore.exceptions

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _mismatch(expected, actual, path):
    """The first difference as a message, or None."""
    if isinstance(expected, str):
        if expected == "$any":
            return None
        if expected == "$uuid":
            return None if isinstance(actual, str) and UUID.fullmatch(actual) else f"{path}: {actual!r} is not a UUID"
        if expected == "$string":
            return None if isinstance(actual, str) else f"{path}: {actual!r} is not a string"
        if expected in ("$timestamp", "$number"):
            ok = isinstance(actual, (int, float)) and not isinstance(actual, bool)
            return None if ok else f"{path}: {actual!r} is not a number"
        if expected.startswith("re:"):
            ok = isinstance(actual, str) and re.fullmatch(expected[3:], actual)
            return None if ok else f"{path}: {actual!r} does not match {expected[3:]!r}"
        return None if actual == expected else f"{path}: {actual!r} != {expected!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: {actual!r} is not an object"
        extra = sorted(set(actual) - set(expected))
        missing = sorted(set(expected) - set(actual))
        if extra or missing:
            return f"{path}: members differ: extra {extra}, missing {missing}"
        for k in expected:
            m = _mismatch(expected[k], actual[k], f"{path}.{k}")
            if m:
                return m
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}: {actual!r} is not a list of {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            m = _mismatch(e, a, f"{path}[{i}]")
            if m:
                return m
        return None
    # Numbers, booleans, null: the JSON type matters (45 is not 45.0; True is not 1).
    if type(expected) is not type(actual) or expected != actual:
        return f"{path}: {actual!r} ({type(actual).__name__}) != {expected!r} ({type(expected).__name__})"
    return None


def assert_document(actual, expected, source):
    m = _mismatch(expected, actual, "$")
    assert m is None, f"{m}\n(expected per {source})\nactual: {json.dumps(actual, indent=1, default=str)}"


class Raw:
    """Captures the raw body and status of a boto3 client's responses."""

    def __init__(self, client):
        self.status = None
        self.body = None
        self.headers = None
        client.meta.events.register("after-call", self._after)
        client.meta.events.register("needs-retry", self._on_response, unique_id="golden-raw")

    def _after(self, http_response, **_):
        self._capture(http_response)

    def _on_response(self, response=None, **_):
        # needs-retry sees error responses too (after-call only sees successes).
        if response and response[0] is not None:
            self._capture(response[0])

    def _capture(self, http_response):
        self.status = http_response.status_code
        self.headers = dict(http_response.headers)
        self.body = http_response.content

    def json(self):
        return json.loads(self.body) if self.body else None


def golden(client, operation, params, expected, source, status=200, headers=None):
    """Calls `operation` and compares the raw JSON body with `expected`; returns the parsed document.

    For an error, `status` is its HTTP status and `expected` the error body; `headers` (lower-case names) must be
    present with these values.
    """
    raw = Raw(client)
    try:
        getattr(client, operation)(**params)
    except botocore.exceptions.ClientError:
        if status == 200:
            raise
    assert raw.status == status, f"HTTP {raw.status} != {status}: {raw.body!r} (per {source})"
    doc = raw.json()
    assert_document(doc, expected, source)
    for name, value in (headers or {}).items():
        got = {k.lower(): v for k, v in raw.headers.items()}.get(name)
        assert got == value, f"header {name}: {got!r} != {value!r} (per {source})"
    return doc


def no_output(client, operation, params, source):
    """An operation that answers with no document: HTTP 200 and an empty body where the model gives it no output
    ("the service sends back an HTTP 200 response with an empty HTTP body", as the API references put it), `{}`
    where its output is a structure without members."""
    raw = Raw(client)
    getattr(client, operation)(**params)
    name = client.meta.method_to_api_mapping[operation]
    want = b"" if client.meta.service_model.operation_model(name).output_shape is None else b"{}"
    assert raw.status == 200, (operation, raw.status, source)
    assert raw.body == want, f"{operation}: {raw.body!r} != {want!r} (per {source})"
