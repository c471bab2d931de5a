"""Sign-in by the council's identity provider (OpenID Connect, as Microsoft Entra ID offers):
a small provider on 127.0.0.1 in the test (discovery, authorize with state, nonce and PKCE,
token, its keys, an RS256-signed id_token), and the real `boardpack serve` set to use it. The
person is the local account with the id_token's email address, with that account's roles; an
unknown address, a token signed by another key or for another application signs nobody in."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.test_web_restart import PASSWORD, Browser, serving

CLIENT_ID, CLIENT_SECRET = "boardpack-web", "a secret the provider registered"
SETUP = """
import datetime as dt, sys
from pathlib import Path
from boardpack.web import server
server.prepare(Path(sys.argv[1]))
from django.contrib.auth import get_user_model
from boardpack.web.models import Board, Meeting, Membership, Paper, Role
users = get_user_model()
manager = users.objects.create_user(
    "jsmith", email="J.Smith@council.example.gov.uk", first_name="Jo", last_name="Smith"
)  # no password: this person signs in only through the council's account
board = Board.objects.create(name="Joint Improvement Board")
Membership.objects.create(user=manager, board=board, role=Role.MANAGER)
meeting = Meeting.objects.create(board=board, date=dt.date(2008, 1, 24))
Paper.objects.create(meeting=meeting, name="procurement", title="Procurement", manager=manager)
"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Provider:
    """An OpenID Connect provider that signs in whoever `email` says, at once."""

    address: str = ""
    email: str = "j.smith@council.example.gov.uk"
    audience: str = CLIENT_ID
    sign_with_other_key: bool = False
    asked: list[dict[str, str]] = field(default_factory=list)  # each authorize request
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: list[dict[str, str]] = field(default_factory=list)  # each token request

    def __post_init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        from jwt.algorithms import RSAAlgorithm

        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": "one", "use": "sig", "alg": "RS256"}]}

    def id_token(self, nonce: str) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "iss": self.address,
            "aud": self.audience,
            "sub": "a-subject-id",
            "preferred_username": self.email,  # where Entra ID gives the address
            "name": "Jo Smith",
            "nonce": nonce,
            "iat": now,
            "exp": now + 600,
        }
        key = self.other_key if self.sign_with_other_key else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "one"})


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, value: object, status: int = 200) -> None:
            body = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                base = provider.address
                self._json(
                    {
                        "issuer": base,
                        "authorization_endpoint": f"{base}/authorize",
                        "token_endpoint": f"{base}/token",
                        "userinfo_endpoint": f"{base}/userinfo",
                        "jwks_uri": f"{base}/keys",
                        "response_types_supported": ["code"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                )
            elif url.path == "/keys":
                self._json(provider.jwks())
            elif url.path == "/authorize":
                asked = dict(urllib.parse.parse_qsl(url.query))
                provider.asked.append(asked)
                code = secrets.token_urlsafe(16)
                provider.codes[code] = asked
                back = urllib.parse.urlencode({"code": code, "state": asked["state"]})
                self.send_response(302)
                self.send_header("Location", f"{asked['redirect_uri']}?{back}")
                self.end_headers()
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            provider.tokens.append(form)
            asked = provider.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = _b64(hashlib.sha256(verifier.encode()).digest())
            if (
                asked is None
                or form.get("client_id") != CLIENT_ID
                or form.get("client_secret") != CLIENT_SECRET
                or form.get("redirect_uri") != asked["redirect_uri"]
                or challenge != asked.get("code_challenge")
            ):
                self._json({"error": "invalid_grant"}, 400)
                return
            self._json(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 600,
                    "id_token": provider.id_token(asked["nonce"]),
                }
            )

    return Handler


@pytest.fixture
def provider() -> Iterator[Provider]:
    made = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(made))
    made.address = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def _signed_in_through(provider: Provider, address: str) -> tuple[Browser, str]:
    """A visitor's browser: the sign-in page, then the council account's button, followed."""
    browser = Browser(address, None)
    page = browser.get("/login/?next=/papers/1/")
    assert "Sign in with your council account" in page
    return browser, browser.get("/oidc/authenticate/?next=/papers/1/")


def test_a_manager_signs_in_with_the_councils_account_and_has_their_roles(
    provider: Provider, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOARDPACK_WEB_PASSWORD": PASSWORD}
    for name in ("DJANGO_SETTINGS_MODULE", "BOARDPACK_WEB_DATA"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-c", SETUP, str(data)], env=env, check=True, cwd=ROOT)
    env |= {
        "BOARDPACK_WEB_OIDC_ISSUER": provider.address,
        "BOARDPACK_WEB_OIDC_CLIENT_ID": CLIENT_ID,
        "BOARDPACK_WEB_OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }
    with serving(data, env) as (address, _):
        browser, page = _signed_in_through(provider, address)
        # Signed in as the local account with that address (matched whatever its case), and
        # brought to the page asked for: their own paper, as its manager.
        assert "Signed in as Jo Smith" in page
        assert "<h1>Procurement</h1>" in page and "Upload the workbook" in page
        (asked,) = provider.asked
        assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
        assert set(asked["scope"].split()) >= {"openid", "email"}
        assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
        assert asked["code_challenge_method"] == "S256"
        assert asked["redirect_uri"] == f"{address}/oidc/callback/"
        (token,) = provider.tokens
        assert token["grant_type"] == "authorization_code"

        # Someone the council knows but boardpack does not: signed in as nobody.
        provider.email = "someone.else@council.example.gov.uk"
        _, page = _signed_in_through(provider, address)
        assert "Your council account did not sign you in here" in page
        assert "Signed in as" not in page

        # A token not signed by the provider's key, or made for another application: refused.
        provider.email = "j.smith@council.example.gov.uk"
        provider.sign_with_other_key = True
        _, page = _signed_in_through(provider, address)
        assert "Signed in as" not in page
        assert "Your council account did not sign you in here" in page
        provider.sign_with_other_key, provider.audience = False, "another-application"
        _, page = _signed_in_through(provider, address)
        assert "Signed in as" not in page
        assert "Your council account did not sign you in here" in page
        assert len(provider.tokens) == 4  # each got as far as the token, and no further

        # A callback with a state this browser was never given: refused as a bad request.
        browser, _ = _signed_in_through(provider, address)  # as the audience is still wrong
        browser.get("/oidc/authenticate/")  # a state of its own, unanswered
        assert browser.status("/oidc/callback/?code=stolen&state=forged") == 400
        assert browser.status("/papers/1/") == 200  # the sign-in page: nobody is signed in
        assert "Signed in as" not in browser.get("/papers/1/")


def test_a_provider_that_cannot_be_reached_stops_the_server_starting_with_a_clear_error(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("DJANGO_SETTINGS_MODULE", "BOARDPACK_WEB_DATA"):
        env.pop(name, None)
    env |= {
        "BOARDPACK_WEB_OIDC_ISSUER": "http://127.0.0.1:9/tenant/v2.0",  # the discard port
        "BOARDPACK_WEB_OIDC_CLIENT_ID": CLIENT_ID,
    }
    run = subprocess.run(
        [sys.executable, "-m", "boardpack", "serve", str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("Error: BOARDPACK_WEB_OIDC_ISSUER is set")
    assert "BOARDPACK_WEB_OIDC_CLIENT_SECRET is not" in run.stderr
    assert "Traceback" not in run.stderr
    env["BOARDPACK_WEB_OIDC_CLIENT_SECRET"] = CLIENT_SECRET
    run = subprocess.run(
        [sys.executable, "-m", "boardpack", "serve", str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert "the identity provider's discovery document could not be read from" in run.stderr
    assert "http://127.0.0.1:9/tenant/v2.0/.well-known/openid-configuration" in run.stderr
    assert "Traceback" not in run.stderr
