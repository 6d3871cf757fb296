"""Mastodon.py signs in through corporate SSO: the app's /oauth/authorize sends the employee to
the company's OpenID Provider (the real `oidc-provider` package, tests/oidc-provider) and back,
then to the authorize page, then to the app's redirect with a code."""

import json
import os
import subprocess
import urllib.parse

import pytest
import requests
from mastodon import Mastodon

from conftest import REDIRECT_URI, Instance, forms, free_port

PROVIDER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oidc-provider")
CLIENT_ID = "groundswell"
CLIENT_SECRET = "groundswell-test-secret"


class Provider:
    """tests/oidc-provider/server.mjs for one Groundswell base URL."""

    def __init__(self, groundswell_base):
        if not os.path.isfile(os.path.join(PROVIDER_DIR, "node_modules", "oidc-provider", "package.json")):
            subprocess.run([os.path.join(PROVIDER_DIR, "install.sh")], check=True,
                           stdout=subprocess.DEVNULL)
        options = {"groundswell": groundswell_base, "client_id": CLIENT_ID,
                   "client_secret": CLIENT_SECRET}
        self.proc = subprocess.Popen(["node", os.path.join(PROVIDER_DIR, "server.mjs"),
                                      json.dumps(options)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("issuer="):
            self.proc.kill()
            raise RuntimeError(f"the test OpenID Provider did not start: {line!r}")
        self.issuer = line[len("issuer="):]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(params=["sqlite", "postgres"])
def sso_instance(request):
    port = free_port()
    provider = Provider(f"http://127.0.0.1:{port}")
    inst = Instance(request.param, port=port, extra_env={
        "GROUNDSWELL_AUTH__OIDC__ISSUER": provider.issuer,
        "GROUNDSWELL_AUTH__OIDC__CLIENT_ID": CLIENT_ID,
        "GROUNDSWELL_AUTH__OIDC__CLIENT_SECRET": CLIENT_SECRET,
        "GROUNDSWELL_AUTH__OIDC__ALLOWED_GROUPS": "staff",
        # Lists are comma-separated in the environment.
        "GROUNDSWELL_AUTH__OIDC__ADMIN_GROUPS": "it-admins,eng-leads",
    })
    yield inst
    inst.stop()
    provider.stop()


def sign_in_through_provider(authorize_url, username):
    """What the employee's browser does: the app's authorize URL leads to the company sign-in;
    after it, back to Groundswell's authorize page. Returns (browser, authorize page)."""
    browser = requests.Session()
    page = browser.get(authorize_url)
    assert page.status_code == 200, page.text
    login = next(f for f in forms(page.text) if f["action"].startswith("/interaction/"))
    page = browser.post(urllib.parse.urljoin(page.url, login["action"]),
                        data=dict(login["fields"], username=username))
    return browser, page


def register(instance):
    return Mastodon.create_app("Groundswell SSO tests", api_base_url=instance.url,
                               redirect_uris=REDIRECT_URI, scopes=["read", "write"])


def test_mastodon_py_logs_in_with_the_corporate_account(sso_instance):
    client_id, client_secret = register(sso_instance)
    api = Mastodon(client_id=client_id, client_secret=client_secret,
                   api_base_url=sso_instance.url)
    url = api.auth_request_url(redirect_uris=REDIRECT_URI, scopes=["read", "write"],
                               state="sso-state", allow_http=True)
    browser, page = sign_in_through_provider(url, "carol")
    assert page.status_code == 200, page.text
    assert urllib.parse.urlsplit(page.url).path == "/oauth/authorize"
    approve = next(f for f in forms(page.text) if f["action"] == "/oauth/authorize")
    resp = browser.post(sso_instance.url + "/oauth/authorize",
                        data=dict(approve["fields"], decision="approve"), allow_redirects=False)
    assert resp.status_code == 302, resp.text
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["state"] == ["sso-state"]

    api.log_in(code=query["code"][0], redirect_uri=REDIRECT_URI, scopes=["read", "write"],
               allow_http=True)
    me = api.account_verify_credentials()
    assert me.username == "carol"
    assert me.display_name == "Carol Chen"
    assert me.role.name == "Admin", "it-admins is an admin group"
    status = api.status_post("Signed in with the company account")
    assert api.status(status.id).content.startswith("<p>Signed in with the company account")


def test_employees_outside_the_allowed_groups_get_no_code(sso_instance):
    client_id, client_secret = register(sso_instance)
    api = Mastodon(client_id=client_id, client_secret=client_secret,
                   api_base_url=sso_instance.url)
    url = api.auth_request_url(redirect_uris=REDIRECT_URI, scopes=["read"], allow_http=True)
    _, page = sign_in_through_provider(url, "mallory")
    assert page.status_code == 403
    assert "not in a group that may use" in page.text
    # No password form with SSO only.
    sign_in = requests.get(sso_instance.url + "/auth/sign_in")
    assert 'type="password"' not in sign_in.text
    assert "Sign in with your company account" in sign_in.text
