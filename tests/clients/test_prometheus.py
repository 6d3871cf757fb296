"""Prometheus's own Python client parses what a real server exposes at /metrics."""

import time

import pytest
import requests
from mastodon import Mastodon
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import Instance

TOKEN = "prometheus-client-test-token-0123456789"


@pytest.fixture(params=["sqlite", "postgres"])
def scraped(request):
    inst = Instance(
        request.param,
        extra_env={
            "GROUNDSWELL_METRICS__BEARER_TOKEN": TOKEN,
            # One person is enough to show a figure here, and the roll-up runs every second,
            # so the engagement gauges have something to show at once.
            "GROUNDSWELL_METRICS__MIN_GROUP_SIZE": "1",
            "GROUNDSWELL_METRICS__ROLLUP_INTERVAL_SECS": "1",
        },
    )
    yield inst
    inst.stop()


def scrape(instance, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(instance.url + "/metrics", headers=headers, timeout=10)


def test_metrics_parse_as_openmetrics_and_name_nobody(scraped):
    scraped.create_user("wilhelmina")
    token = scraped.cli("admin", "issue-token", "wilhelmina", "--scopes", "read write").strip()
    api = Mastodon(access_token=token, api_base_url=scraped.url, version_check_mode="none")
    status = api.status_post("Release notes are out")
    assert api.status(status.id).content
    me = api.account_verify_credentials()

    assert scrape(scraped, token=None).status_code == 401
    assert "error" in scrape(scraped, token="not-" + TOKEN).json()

    # The engagement gauges: today's figures once the roll-up has counted the post.
    deadline = time.monotonic() + 30
    while True:
        resp = scrape(scraped)
        engagement = {
            s.labels["measure"]: s.value
            for f in text_string_to_metric_families(resp.text)
            if f.name == "groundswell_engagement_today"
            for s in f.samples
            if not s.labels.get("department")
        }
        if engagement.get("posts") == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert engagement.get("posts") == 1, engagement
    assert engagement.get("new_users", 0) >= 1, engagement
    active = {
        s.labels["window"]: s.value
        for f in text_string_to_metric_families(resp.text)
        if f.name == "groundswell_engagement_active_users"
        for s in f.samples
    }
    assert active.get("7d") == 1 and active.get("30d") == 1, active
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
    families = {f.name: f for f in text_string_to_metric_families(resp.text)}
    for name, kind in [
        ("groundswell_http_requests", "counter"),
        ("groundswell_http_request_duration_seconds", "histogram"),
        ("groundswell_delivery_pending", "gauge"),
        ("groundswell_delivery_failed", "gauge"),
        ("groundswell_db_pool_connections", "gauge"),
        ("groundswell_db_pool_max_connections", "gauge"),
    ]:
        assert name in families, f"{name} missing from {sorted(families)}"
        assert families[name].type == kind

    requests_total = {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for s in families["groundswell_http_requests"].samples
        if s.name == "groundswell_http_requests_total"
    }
    assert requests_total[("/api/v1/statuses/{id}", "GET", "200")] == 1
    assert requests_total[("/api/v1/statuses", "POST", "200")] == 1
    assert requests_total[("/api/v1/accounts/verify_credentials", "GET", "200")] == 1
    # Labels name routes, never an employee, their account or their post.
    for secret in ("wilhelmina", str(me.id), str(status.id)):
        assert secret not in resp.text
