"""The sign-in backend for the council's identity provider (oidc.py): kept apart, as it loads
Django's authentication, which the settings may not."""

from __future__ import annotations

import logging
from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from boardpack.web.oidc import email_of

log = logging.getLogger(__name__)


class CouncilAccounts(OIDCAuthenticationBackend):
    """Signs in the local account whose email address the provider's id_token gives."""

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        """The account, or None (sent back to the sign-in page) when the provider's answer
        cannot be trusted: a bad signature, another issuer or application, a replayed nonce."""
        from django.core.exceptions import SuspiciousOperation

        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:
            log.warning("sign-in by the identity provider refused: %s", exc)
            return None

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        """The id_token's claims: signature, expiry and nonce checked by the library, then its
        issuer and audience here (the library leaves those out)."""
        from django.conf import settings
        from django.core.exceptions import SuspiciousOperation

        payload = super().verify_token(token, **kwargs)
        if str(payload.get("iss", "")).rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
            raise SuspiciousOperation("the id_token is from another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the id_token is for another application")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: Any) -> Any:
        """The id_token's own claims: signed, so no second request is needed."""
        return payload

    def verify_claims(self, claims: Any) -> bool:
        return email_of(claims) is not None

    def filter_users_by_claims(self, claims: Any) -> Any:
        email = email_of(claims)
        if email is None:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)

    def describe_user_by_claims(self, claims: Any) -> str:
        return f"email {email_of(claims)}"
