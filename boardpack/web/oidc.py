"""Sign-in through the council's identity provider by OpenID Connect (as Microsoft Entra ID
offers it), with mozilla-django-oidc: on only when its issuer is set. The provider is found from
its discovery document; the code flow carries state, nonce and PKCE; the id_token's signature
(the provider's published keys), issuer, audience, expiry and nonce are checked; and the person
is the local account with that email address, with the roles the clerk gave it. Nobody gets an
account by signing in: a clerk adds each person first."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from boardpack.errors import BoardpackError
from boardpack.web import OIDC_CLIENT_ID_ENV, OIDC_CLIENT_SECRET_ENV, OIDC_ISSUER_ENV

DISCOVERY = "/.well-known/openid-configuration"
TIMEOUT = 15.0  # seconds to wait for the provider, at start and at each sign-in
NEEDED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
EMAIL_CLAIMS = ("email", "preferred_username", "upn")  # Entra ID gives the address in either


def settings_from(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Django's settings for mozilla-django-oidc from the environment, its endpoints from the
    provider's discovery document; empty when no issuer is set. BoardpackError, naming the
    variable or the provider's answer, when it cannot be used."""
    issuer = environ.get(OIDC_ISSUER_ENV, "").strip()
    if not issuer:
        return {}
    missing = [n for n in (OIDC_CLIENT_ID_ENV, OIDC_CLIENT_SECRET_ENV) if not environ.get(n)]
    if missing:
        raise BoardpackError(
            f"{OIDC_ISSUER_ENV} is set, so sign-in by the council's identity provider is on, but"
            f" {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not: set the"
            " application's client ID and secret as the provider registered them"
        )
    found = discover(issuer)
    return {
        "OIDC_ISSUER": found["issuer"],
        "OIDC_RP_CLIENT_ID": environ[OIDC_CLIENT_ID_ENV],
        "OIDC_RP_CLIENT_SECRET": environ[OIDC_CLIENT_SECRET_ENV],
        "OIDC_OP_AUTHORIZATION_ENDPOINT": found["authorization_endpoint"],
        "OIDC_OP_TOKEN_ENDPOINT": found["token_endpoint"],
        "OIDC_OP_USER_ENDPOINT": found.get("userinfo_endpoint", ""),
        "OIDC_OP_JWKS_ENDPOINT": found["jwks_uri"],
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": "openid email profile",
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_CREATE_USER": False,
        "OIDC_TIMEOUT": TIMEOUT,
        "LOGIN_REDIRECT_URL_FAILURE": "/login/?provider=refused",
    }


def discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, checked to be the issuer's own and to name the
    endpoints the code flow needs."""
    import requests

    where = issuer.rstrip("/") + DISCOVERY
    try:
        answer = requests.get(where, timeout=TIMEOUT)
        answer.raise_for_status()
        found = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise BoardpackError(
            f"{OIDC_ISSUER_ENV}: the identity provider's discovery document could not be read"
            f" from {where} ({exc}); check the issuer's address and that this server can reach it"
        ) from exc
    if not isinstance(found, dict) or any(not isinstance(found.get(k), str) for k in NEEDED):
        raise BoardpackError(
            f"{where}: is not an OpenID Connect discovery document (it needs {', '.join(NEEDED)})"
        )
    if found["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise BoardpackError(
            f"{where}: names the issuer {found['issuer']!r}, not {issuer!r}; set"
            f" {OIDC_ISSUER_ENV} to the issuer exactly as the provider names it"
        )
    return found


def email_of(claims: Any) -> str | None:
    """The email address an id_token's claims give, as Entra ID gives it in one or another."""
    for name in EMAIL_CLAIMS:
        value = claims.get(name) if isinstance(claims, dict) else None
        if isinstance(value, str) and "@" in value:
            return value
    return None
