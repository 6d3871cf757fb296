"""Prometheus's own Python client parses what a real server exposes at /metrics."""

import pytest
import requests
from mastodon import Mastodon
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import Instance

TOKEN = "prometheus-client-test-token-0123456789"


@pytest.fixture(params=["sqlite", "postgres"])
def scraped(request):
    inst = Instance(request.param, extra_env={"GROUNDSWELL_METRICS__BEARER_TOKEN": TOKEN})
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

    resp = scrape(scraped)
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
