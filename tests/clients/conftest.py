"""Fixtures for driving a real Groundswell server with real Mastodon client libraries.

Each test gets a fresh instance (its own database) started from the binary named by
GROUNDSWELL_BIN. The `backend` parameter runs a test on SQLite and on PostgreSQL.
"""

import html.parser
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid

import pytest
import requests

BIN = os.environ.get("GROUNDSWELL_BIN", "target/debug/groundswell")
PG_ADMIN = os.environ.get("GROUNDSWELL_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIRECT_URI = "http://127.0.0.1:9/callback"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql):
    subprocess.run(["psql", PG_ADMIN, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True,
                   stdout=subprocess.DEVNULL)


class Instance:
    """A running `groundswell serve` on a free 127.0.0.1 port."""

    def __init__(self, backend, port=None, extra_env=None):
        self.dir = tempfile.mkdtemp(prefix="gs-client-test-")
        self.pg_name = None
        if backend == "postgres":
            self.pg_name = f"gs_client_{uuid.uuid4().hex[:12]}"
            psql(f'CREATE DATABASE "{self.pg_name}"')
            parts = urllib.parse.urlsplit(PG_ADMIN)
            self.db_url = urllib.parse.urlunsplit(parts._replace(path="/" + self.pg_name))
        else:
            self.db_url = f"sqlite://{self.dir}/groundswell.sqlite3"
        port = port or free_port()
        self.domain = f"127.0.0.1:{port}"
        self.url = f"http://{self.domain}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GROUNDSWELL_")}
        self.env.update({
            "GROUNDSWELL_DATABASE__URL": self.db_url,
            "GROUNDSWELL_HTTP__BIND": self.domain,
            "GROUNDSWELL_INSTANCE__DOMAIN": self.domain,
            "GROUNDSWELL_INSTANCE__NAME": "Engineering",
            "GROUNDSWELL_INSTANCE__RULES": "Be kind,No customer data",
            "GROUNDSWELL_LOG__LEVEL": "warn",
        })
        self.env.update(extra_env or {})
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, cwd=self.dir,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("groundswell did not start: " + open(self.log.name).read())

    def cli(self, *args, stdin=None):
        out = subprocess.run([BIN, *args], env=self.env, cwd=self.dir, input=stdin,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"groundswell {' '.join(args)} failed: {out.stderr}")
        return out.stdout

    def create_user(self, username, password="correct horse battery", role="user"):
        self.cli("admin", "create-user", username, "--email", f"{username}@eng.corp.example",
                 "--role", role, "--password-stdin", stdin=password + "\n")
        return username, password

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        finally:
            self.log.close()
            if self.pg_name:
                psql(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgres"])
def instance(request):
    inst = Instance(request.param)
    yield inst
    inst.stop()


class FormParser(html.parser.HTMLParser):
    """Collects the forms of a page: action and input values (as a browser would submit)."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}, "buttons": []})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "button" and self.forms and attrs.get("name"):
            self.forms[-1]["buttons"].append((attrs["name"], attrs.get("value", "")))


def forms(page_html):
    parser = FormParser()
    parser.feed(page_html)
    return parser.forms


def browser_authorize(instance, authorize_url, username, password, decision="approve"):
    """Do what an employee does in the browser: sign in, then authorize (or deny) the app.

    Returns the URL the browser is finally sent to (the app's redirect URI with the code),
    or the final page's response for the out-of-band flow.
    """
    browser = requests.Session()
    page = browser.get(authorize_url)
    assert page.status_code == 200, page.text
    sign_in = next(f for f in forms(page.text) if f["action"] == "/auth/sign_in")
    fields = dict(sign_in["fields"], username=username, password=password)
    page = browser.post(instance.url + "/auth/sign_in", data=fields)
    assert page.status_code == 200, page.text
    approve = next(f for f in forms(page.text) if f["action"] == "/oauth/authorize")
    fields = dict(approve["fields"], decision=decision)
    resp = browser.post(instance.url + "/oauth/authorize", data=fields, allow_redirects=False)
    if resp.status_code == 302:
        return resp.headers["Location"]
    return resp
