"""The web console's route (/console/): the embedded files with their types,
ETags and revalidation, the security headers on every answer, the redirect,
404 and 405, and config.json in both modes. The console's behaviour in a
browser is tests/browser/console.test.mjs."""
import http.client
import json
import os
import re

import pytest

from conftest import Server

CSP_RULES = ["default-src 'none'", "script-src 'self'", "style-src 'self'",
             "base-uri 'none'", "frame-ancestors 'none'"]


def get(server, path, method="GET", headers=None):
    """(status, headers with lower-case names, body bytes) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def assert_policy(server, h):
    csp = h["content-security-policy"]
    for rule in CSP_RULES:
        assert rule in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    # connect-src: the server itself and its events socket, nothing else
    connect = re.search(r"connect-src ([^;]*)", csp).group(1).split()
    assert connect == ["'self'", "ws://127.0.0.1:%d" % server.port], csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"


def test_index_and_assets(server):
    status, h, body = get(server, "/console/")
    assert status == 200
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["cache-control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]{32}"', h["etag"])
    assert_policy(server, h)
    html = body.decode()
    # no inline script: every script is a file of the console
    assert re.findall(r"<script[^>]*>", html) == ['<script type="module" src="app.js">']
    assert "http://" not in html and "https://" not in html
    for path, ctype in (("/console/app.js", "text/javascript; charset=utf-8"),
                        ("/console/app.css", "text/css; charset=utf-8"),
                        ("/console/index.html", "text/html; charset=utf-8"),
                        ("/console/licenses.txt", "text/plain; charset=utf-8")):
        status, h, body = get(server, path)
        assert (status, h["content-type"]) == (200, ctype), path
        assert int(h["content-length"]) == len(body) > 0
        assert_policy(server, h)
    assert b"@aws-sdk/client-ivs-realtime" in get(server, "/console/licenses.txt")[2]


def test_etag_revalidation(server):
    _, h, body = get(server, "/console/app.js")
    tag = h["etag"]
    for inm in (tag, "W/" + tag, '"x", %s' % tag, "*"):
        status, h2, body2 = get(server, "/console/app.js", headers={"If-None-Match": inm})
        assert (status, body2, h2["etag"]) == (304, b"", tag), inm
    status, _, body2 = get(server, "/console/app.js", headers={"If-None-Match": '"other"'})
    assert (status, body2) == (200, body)
    # each file has its own tag
    assert get(server, "/console/app.css")[1]["etag"] != tag


def test_head_has_headers_without_body(server):
    status, h, body = get(server, "/console/app.js", method="HEAD")
    assert status == 200 and body == b""
    assert int(h["content-length"]) == len(get(server, "/console/app.js")[2])
    assert h["etag"] and h["content-security-policy"]


def test_redirect_404_405(server):
    status, h, _ = get(server, "/console")
    assert (status, h["location"]) == (301, "/console/")
    assert_policy(server, h)
    for path in ("/console/nope.js", "/console/pages/live.js", "/console/../healthz",
                 "/console/app.js/x", "/console/%61pp.js"):
        status, h, body = get(server, path)
        assert status == 404, path
        assert h["content-type"].startswith("text/plain")
        assert_policy(server, h)
    for method in ("POST", "PUT", "DELETE"):
        status, h, _ = get(server, "/console/", method=method)
        assert (status, h["allow"]) == (405, "GET, HEAD"), method


def test_counted_by_route(server):
    get(server, "/console/")
    metrics = get(server, "/metrics")[2].decode()
    assert re.search(r'rtstage_requests_total\{operation="console",status="200"\} [1-9]', metrics), \
        [l for l in metrics.splitlines() if "console" in l]


def test_config_says_the_mode(server, tmp_path):
    status, h, body = get(server, "/console/config.json")
    assert (status, json.loads(body), h["cache-control"]) == (200, {"mode": "protected"}, "no-store")
    creds = tmp_path / "creds"
    creds.write_text("[a]\naws_access_key_id = AKIACONSOLE000000001\n"
                     "aws_secret_access_key = s\naccount_id = 111111111111\n")
    strict = Server(extra_args=["--credentials", str(creds)]).start()
    try:
        status, _, body = get(strict, "/console/config.json")
        assert (status, json.loads(body)) == (200, {"mode": "strict"})
        # the files need no key; the API still does
        assert get(strict, "/console/")[0] == 200
        assert get(strict, "/ListStages", method="POST")[0] == 403
    finally:
        assert strict.stop() == 0


def test_ready_line_names_the_console(server):
    log = open(server.log).read()
    assert "; console at http://127.0.0.1:%d/console/\n" % server.port in log
