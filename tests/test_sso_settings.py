"""The sign-in settings read from the environment (escalation/settings.py), each in a fresh
interpreter: a bad value stops start-up with the variable's name."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SSO = {
    "OIDC_ISSUER": "https://acme.okta.com/oauth2/default",
    "OIDC_CLIENT_ID": "0oa-client",
    "OIDC_CLIENT_SECRET": "secret",
}
READ = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'scopes': s.OIDC_SCOPES, 'domains': s.SSO_ALLOWED_EMAIL_DOMAINS,"
    "'form_action': s.SECURE_CSP['form-action'], 'local': s.LOCAL_LOGIN}))"
)


def settings_with(**variables: str) -> subprocess.CompletedProcess[str]:
    cleared = {*SSO, "OIDC_SCOPES", "SSO_ALLOWED_EMAIL_DOMAINS", "LOCAL_LOGIN", "DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in cleared}
    env.update({"DJANGO_SETTINGS_MODULE": "escalation.settings", **variables})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {READ}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_single_sign_on_settings_are_read_and_allow_the_providers_logout() -> None:
    result = settings_with(
        DEBUG="1", SSO_ALLOWED_EMAIL_DOMAINS="Acme.com, @acme.de", LOCAL_LOGIN="0", **SSO
    )
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["scopes"] == ["openid", "email", "profile"]
    assert read["domains"] == ["acme.com", "acme.de"]
    assert read["form_action"] == ["'self'", "https://acme.okta.com"]
    assert read["local"] is False


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"OIDC_ISSUER": SSO["OIDC_ISSUER"]}, "must be set together"),
        ({**SSO, "OIDC_ISSUER": "acme.okta.com"}, "OIDC_ISSUER must be an http(s) address"),
        ({**SSO, "OIDC_SCOPES": "email,profile"}, "OIDC_SCOPES must include openid"),
        ({"LOCAL_LOGIN": "0"}, "LOCAL_LOGIN=0 needs single sign-on"),
        ({"LOCAL_LOGIN": "sometimes"}, "LOCAL_LOGIN must be true or false"),
        (
            {**SSO, "OIDC_ISSUER": "http://idp.example", "SECRET_KEY": "x" * 50, "DEBUG": "0"},
            "OIDC_ISSUER must be https outside DEBUG",
        ),
    ],
)
def test_bad_sign_in_settings_stop_start_up_naming_the_variable(
    variables: dict[str, str], message: str
) -> None:
    result = settings_with(**{"DEBUG": "1", **variables})
    assert result.returncode != 0
    assert message in result.stderr
