"""The second factor of a local account: a TOTP authenticator, or a one-time recovery code.

Single sign-on leaves MFA to the identity provider; a password sign-in here asks for a code
when the account has an authenticator, and staff (admins, who see every incident) must set
one up before their first password sign-in completes.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

# Session key: a password that was right, waiting for its second factor (briefs/views/mfa.py).
PENDING = "mfa_pending"
# How long the code page waits after the password, and how many wrong codes it takes: then
# the password is asked for again (django-axes counts those).
PENDING_SECONDS = 300
MAX_TRIES = 5


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()
    )
    return device


def needs_code(user: User) -> bool:
    return totp_device(user) is not None


def must_enrol(user: User) -> bool:
    """Staff without an authenticator: their password alone never signs them in."""
    return user.is_staff and not needs_code(user)


def provisioning(device: TOTPDevice) -> tuple[str, str]:
    """The secret as an authenticator app takes it when typed (base32), and its otpauth:// URI."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return secret, str(device.config_url)


def pending_start(request: HttpRequest, user: User, *, backend: str, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "at": timezone.now().timestamp(),
        "tries": 0,
    }


def pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The account whose password was right a moment ago, while it may still give its code."""
    pending = request.session.get(PENDING)
    if not pending or timezone.now().timestamp() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending) if user else None


def pending_wrong_code(request: HttpRequest) -> bool:
    """Counts a wrong code; True when that was the last one allowed (the pending sign-in ends)."""
    pending = request.session[PENDING]
    pending["tries"] += 1
    if pending["tries"] >= MAX_TRIES:
        del request.session[PENDING]
        return True
    request.session[PENDING] = pending
    return False
