"""Single sign-on through OpenID Connect: the provider's client, and who may sign in.

Authlib does the protocol: PKCE (S256), state and nonce kept in the session and checked on the
way back, and the ID token's signature checked against the provider's published keys with its
issuer, audience and expiry. This module adds only this app's policy: which email domains may
sign in, who is an admin, and whether local passwords still work.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser


class SignInRefused(Exception):
    """The provider vouched for someone this app does not let in; the message says why."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider() -> DjangoOAuth2App:
    """The configured provider's client. Its discovery document and keys are fetched once
    per process (and the keys again when a token names a key not seen before)."""
    return _provider(
        settings.OIDC_ISSUER,
        settings.OIDC_CLIENT_ID,
        settings.OIDC_CLIENT_SECRET,
        " ".join(settings.OIDC_SCOPES),
    )


@cache
def _provider(issuer: str, client_id: str, secret: str, scope: str) -> DjangoOAuth2App:
    # Keyed by the settings, so a test that points at another provider gets a client of its own.
    app: DjangoOAuth2App = OAuth().register(
        "sso",
        client_id=client_id,
        client_secret=secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": scope, "code_challenge_method": "S256"},
    )
    return app


def check_email_allowed(claims: Mapping[str, Any]) -> str:
    """The signed-in person's email, lower-cased, when SSO_ALLOWED_EMAIL_DOMAINS lets it in.

    A provider that says the address is unverified (`email_verified: false`) is refused where
    domains are listed: anyone could type such an address. Entra ID sends no such claim; its
    addresses belong to the tenant, so a missing claim is taken as verified.
    """
    email = str(claims.get("email") or "").strip().lower()
    allowed = settings.SSO_ALLOWED_EMAIL_DOMAINS
    if not allowed:
        return email
    if not email:
        raise SignInRefused("Your identity provider did not share an email address.")
    if claims.get("email_verified") is False:
        raise SignInRefused(f"Your identity provider has not verified {email}.")
    domain = email.rpartition("@")[2]
    if domain not in allowed:
        raise SignInRefused(
            f"{email} is not an address of {', '.join(allowed)}, the organisations this "
            "Escalation Briefs serves."
        )
    return email


def is_admin_by_claims(claims: Mapping[str, Any]) -> bool | None:
    """Whether the provider's groups make this person an admin here; None when no
    SSO_ADMIN_GROUP is set (the staff flag set in the Django admin then stands)."""
    group = settings.SSO_ADMIN_GROUP
    if not group:
        return None
    groups = claims.get("groups") or []
    if isinstance(groups, str):
        groups = [groups]
    return group in groups


def local_login_allowed(user: AbstractBaseUser) -> bool:
    """With LOCAL_LOGIN off, only staff sign in with a password: the break-glass account for
    the day the identity provider is down."""
    return settings.LOCAL_LOGIN or bool(getattr(user, "is_staff", False))
