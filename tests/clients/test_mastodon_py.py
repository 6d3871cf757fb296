"""Mastodon.py (the Python client library) against a real Groundswell server."""

import time
import urllib.parse

import pytest
from mastodon import (Mastodon, MastodonAPIError, MastodonIllegalArgumentError,
                      MastodonUnauthorizedError)

from conftest import REDIRECT_URI, browser_authorize


def register(instance, scopes=("read", "write", "follow")):
    return Mastodon.create_app("Groundswell tests", api_base_url=instance.url,
                               redirect_uris=REDIRECT_URI, scopes=list(scopes),
                               website="https://tests.example")


def test_instance_is_recognised_as_mastodon(instance):
    api = Mastodon(api_base_url=instance.url, version_check_mode="created")
    assert api.retrieve_mastodon_version().startswith("4.3.0")
    assert api.verify_minimum_version("4.0.0")
    info = api.instance_v2()
    assert info.title == "Engineering"
    assert info.api_versions["mastodon"] >= 2
    assert info.configuration.urls.streaming == f"ws://{instance.domain}"
    assert info.configuration.statuses.max_characters == 5000
    assert [r.text for r in api.instance_rules()] == ["Be kind", "No customer data"]
    v1 = api.instance_v1()
    assert v1.uri == instance.domain
    assert v1.urls.streaming_api == f"ws://{instance.domain}"
    assert api.custom_emojis() == []


def test_oauth_code_flow_through_the_login_form(instance):
    username, password = instance.create_user("alice", role="admin")
    client_id, client_secret = register(instance)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=instance.url)
    url = api.auth_request_url(redirect_uris=REDIRECT_URI, scopes=["read", "write"],
                               state="xyz-123", force_login=True, allow_http=True)
    location = browser_authorize(instance, url, username, password)
    assert location.startswith(REDIRECT_URI + "?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["state"] == ["xyz-123"], "state comes back unchanged"

    token = api.log_in(code=query["code"][0], redirect_uri=REDIRECT_URI, scopes=["read", "write"],
                     allow_http=True)
    assert token
    me = api.account_verify_credentials()
    assert me.username == "alice"
    assert me.acct == "alice"
    assert me.url == f"http://{instance.domain}/@alice"
    assert me.source.privacy == "public"
    assert me.role.name == "Admin"
    app = api.app_verify_credentials()
    assert app.name == "Groundswell tests"
    assert sorted(app.scopes) == ["read", "write"], "exactly the scopes granted"

    # The code is single use.
    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):
        Mastodon(client_id=client_id, client_secret=client_secret,
                 api_base_url=instance.url).log_in(code=query["code"][0], redirect_uri=REDIRECT_URI,
                                                   scopes=["read", "write"], allow_http=True)

    # Replaying a code is a sign it leaked: the token it gave is revoked (RFC 6749 4.1.2).
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()


def test_denied_authorization_redirects_with_access_denied(instance):
    username, password = instance.create_user("bob")
    client_id, client_secret = register(instance)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=instance.url)
    url = api.auth_request_url(redirect_uris=REDIRECT_URI, scopes=["read"], state="s1",
                               allow_http=True)
    location = browser_authorize(instance, url, username, password, decision="deny")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s1"]
    assert "code" not in query


def test_out_of_band_flow_shows_the_code(instance):
    username, password = instance.create_user("carol")
    oob = "urn:ietf:wg:oauth:2.0:oob"
    client_id, client_secret = Mastodon.create_app("CLI tool", api_base_url=instance.url,
                                                   redirect_uris=oob, scopes=["read"])
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=instance.url)
    page = browser_authorize(instance, api.auth_request_url(redirect_uris=oob, scopes=["read"],
                                                                       allow_http=True),
                             username, password)
    assert page.status_code == 200
    marker = '<code class="big" id="code">'
    code = page.text.split(marker, 1)[1].split("</code>", 1)[0]
    api.log_in(code=code, redirect_uri=oob, scopes=["read"], allow_http=True)
    assert api.account_verify_credentials().username == "carol"

    # Revoking the token ends access.
    api.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()


def test_cli_issued_token_works_with_scopes_enforced(instance):
    instance.create_user("dave")
    token = instance.cli("admin", "issue-token", "dave", "--scopes", "write").strip()
    api = Mastodon(access_token=token, api_base_url=instance.url)
    with pytest.raises(MastodonAPIError) as err:
        api.account_verify_credentials()
    assert "outside the authorized scopes" in str(err.value)
    token = instance.cli("admin", "issue-token", "dave", "--scopes", "read:accounts").strip()
    api = Mastodon(access_token=token, api_base_url=instance.url)
    assert api.account_verify_credentials().username == "dave"

    # A suspension by the CLI (another process) reaches the server's token cache within a
    # tenth of a second on SQLite, and through NOTIFY on PostgreSQL.
    instance.cli("admin", "suspend", "dave")
    time.sleep(0.5)
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()


def test_posting_timelines_favourites_boosts_notifications(instance):
    instance.create_user("alice")
    instance.create_user("bob")
    alice = Mastodon(access_token=instance.cli("admin", "issue-token", "alice", "--scopes", "read write follow").strip(),
                     api_base_url=instance.url)
    bob = Mastodon(access_token=instance.cli("admin", "issue-token", "bob", "--scopes", "read write follow").strip(),
                   api_base_url=instance.url)
    alice_account = alice.account_verify_credentials()
    rel = bob.account_follow(alice_account.id)
    assert rel.following

    first = alice.status_post("Hello @bob! #launch", visibility="public", language="en")
    assert first.mentions[0].acct == "bob"
    assert first.tags[0].name == "launch"
    posted = [first.id] + [alice.status_post(f"update {i}").id for i in range(4)]

    # Pagination the way Mastodon.py does it: fetch_next follows the Link header.
    page = bob.timeline_home(limit=2)
    seen = []
    while page:
        seen.extend(s.id for s in page)
        page = bob.fetch_next(page)
    assert seen == list(reversed(posted))
    everything = bob.fetch_remaining(bob.timeline_home(limit=2))
    assert [s.id for s in everything] == list(reversed(posted))
    assert [s.id for s in bob.timeline_hashtag("launch")] == [first.id]
    assert [s.id for s in bob.timeline_local()][:1] == [posted[-1]]

    faved = bob.status_favourite(first.id)
    assert faved.favourited and faved.favourites_count == 1
    boost = bob.status_reblog(first.id)
    assert boost.reblog.id == first.id and boost.reblog.reblogs_count == 1
    assert [a.acct for a in alice.status_favourited_by(first.id)] == ["bob"]

    kinds = [n.type for n in alice.notifications()]
    assert kinds == ["reblog", "favourite", "follow"]
    mentions = bob.notifications(types=["mention"])
    assert len(mentions) == 1 and mentions[0].status.id == first.id
    alice.notifications_dismiss(alice.notifications()[0].id)
    assert [n.type for n in alice.notifications()] == ["favourite", "follow"]
    alice.notifications_clear()
    assert alice.notifications() == []

    reply = bob.status_post("Congrats!", in_reply_to_id=first.id)
    context = alice.status_context(first.id)
    assert [s.id for s in context.descendants] == [reply.id]
    assert alice.status(first.id).replies_count == 1

    edited = alice.status_update(first.id, "Hello again #launch")
    assert edited.edited_at is not None
    assert len(alice.status_history(first.id)) == 2
    deleted = alice.status_delete(first.id)
    assert deleted.text == "Hello again #launch"
    with pytest.raises(MastodonAPIError):
        bob.status(first.id)


def test_errors_reach_the_client_as_mastodon_errors(instance):
    instance.create_user("erin")
    api = Mastodon(access_token=instance.cli("admin", "issue-token", "erin", "--scopes", "read write").strip(),
                   api_base_url=instance.url)
    with pytest.raises(MastodonAPIError) as err:
        api.status_post("x" * 5001)
    assert "character limit" in str(err.value)
    with pytest.raises(MastodonAPIError) as err:
        api.status_post("hi", in_reply_to_id="999")
    assert "Record not found" in str(err.value)
    with pytest.raises(MastodonAPIError) as err:
        api.status("not-a-number")
    assert "Record not found" in str(err.value)


def test_streaming_user_and_hashtag(instance):
    import threading
    from mastodon import StreamListener

    instance.create_user("alice")
    instance.create_user("bob")
    alice = Mastodon(access_token=instance.cli("admin", "issue-token", "alice", "--scopes", "read write follow").strip(),
                     api_base_url=instance.url)
    bob = Mastodon(access_token=instance.cli("admin", "issue-token", "bob", "--scopes", "read write follow").strip(),
                   api_base_url=instance.url)
    alice.account_follow(bob.account_verify_credentials().id)

    class Collector(StreamListener):
        def __init__(self):
            self.updates, self.notifications, self.deletes = [], [], []
            self.event = threading.Event()

        def on_update(self, status):
            self.updates.append(status)
            self.event.set()

        def on_notification(self, notification):
            self.notifications.append(notification)
            self.event.set()

        def on_delete(self, status_id):
            self.deletes.append(str(status_id))
            self.event.set()

    def wait_for(collector, predicate):
        for _ in range(100):
            if predicate():
                return
            collector.event.wait(0.1)
            collector.event.clear()
        raise AssertionError("no event arrived")

    home, tags = Collector(), Collector()
    handles = [alice.stream_user(home, run_async=True, reconnect_async=False),
               alice.stream_hashtag("launch", tags, run_async=True, reconnect_async=False)]
    try:
        import time
        time.sleep(0.5)
        post = bob.status_post("Launch day #launch")
        wait_for(home, lambda: any(s.id == post.id for s in home.updates))
        wait_for(tags, lambda: any(s.id == post.id for s in tags.updates))
        mine = alice.status_post("my own")
        bob.status_favourite(mine.id)
        wait_for(home, lambda: any(n.type == "favourite" for n in home.notifications))
        bob.status_delete(post.id)
        wait_for(home, lambda: str(post.id) in home.deletes)
        hidden = bob.status_post("followers only #launch", visibility="private")
        time.sleep(0.5)
        assert all(s.id != hidden.id for s in tags.updates), "private posts stay out of hashtag streams"
    finally:
        for handle in handles:
            handle.close()


def test_posting_with_media(instance):
    import io
    import struct
    import zlib

    def png(width, height):
        raw = b"".join(b"\x00" + b"".join(bytes([x % 256, y % 256, 128]) for x in range(width))
                       for y in range(height))

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

    instance.create_user("mia")
    api = Mastodon(access_token=instance.cli("admin", "issue-token", "mia", "--scopes", "read write").strip(),
                   api_base_url=instance.url)
    media = api.media_post(io.BytesIO(png(800, 400)), mime_type="image/png", description="A chart", focus=(0.5, 0.5))
    assert media.type == "image"
    assert media.meta.original.width == 800
    assert media.meta.small.width == 640
    assert media.description == "A chart"
    status = api.status_post("Quarterly numbers", media_ids=[media.id])
    assert status.media_attachments[0].id == media.id
    assert status.media_attachments[0].description == "A chart"
    import requests
    served = requests.get(status.media_attachments[0].url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert [s.id for s in api.account_statuses(api.me().id, only_media=True)] == [status.id]


def test_usage_policy_is_a_clear_error_until_accepted(instance):
    import os

    import requests

    instance.create_user("gina")
    token = instance.cli("admin", "issue-token", "gina", "--scopes", "read write follow").strip()
    api = Mastodon(access_token=token, api_base_url=instance.url)
    api.status_post("Before the policy")

    path = os.path.join(instance.dir, "policy.md")
    with open(path, "w") as f:
        f.write("# Social media policy\n\nBe kind. Keep customer data out.\n")
    assert "published version 1" in instance.cli("usage-policy", "publish", path)

    # The server hears of the CLI's version within moments (another process wrote).
    policy_url = f"http://{instance.domain}/about/usage-policy"
    deadline = time.time() + 10
    while True:
        try:
            api.status_post("Is it in force yet?")
        except MastodonAPIError as err:
            refused = err
            break
        assert time.time() < deadline, "the new version was never enforced"
        time.sleep(0.2)
    _, status, _, message = refused.args
    assert status == 403
    assert "usage policy (version 1)" in message and policy_url in message
    # Reading stays possible.
    assert [s.content for s in api.timeline_home()][0].startswith("<p>")

    # The employee reads and accepts it; posting works again.
    standing = requests.get(instance.url + "/api/v1/groundswell/usage_policy",
                            headers={"Authorization": f"Bearer {token}"}).json()
    assert standing["accepted_at"] is None and standing["url"] == policy_url
    assert "<h1>Social media policy</h1>" in standing["html"]
    accepted = requests.post(instance.url + "/api/v1/groundswell/usage_policy/accept",
                             headers={"Authorization": f"Bearer {token}"},
                             data={"version": standing["version"]})
    assert accepted.status_code == 200, accepted.text
    posted = api.status_post("After accepting the policy")
    assert "After accepting" in posted.content


def test_grouped_notifications_and_notification_requests(instance):
    for name in ("alice", "bob", "carol", "dan"):
        instance.create_user(name)

    def api(name):
        token = instance.cli("admin", "issue-token", name, "--scopes", "read write follow").strip()
        return Mastodon(access_token=token, api_base_url=instance.url)

    alice, bob, carol, dan = api("alice"), api("bob"), api("carol"), api("dan")
    me = alice.account_verify_credentials()
    post = alice.status_post("Quarterly numbers are in")
    for fan in (bob, carol, dan):
        fan.status_favourite(post.id)
    bob.account_follow(me.id)
    carol.account_follow(me.id)

    grouped = alice.grouped_notifications()
    kinds = [g.type for g in grouped.notification_groups]
    assert kinds == ["follow", "favourite"]
    favourites = grouped.notification_groups[1]
    assert favourites.notifications_count == 3
    assert favourites.status_id == post.id
    assert len(favourites.sample_account_ids) == 3
    # Mastodon.py asks for partial avatars: the newest sender of each group in full.
    full = {a.id for a in grouped.accounts}
    assert favourites.sample_account_ids[0] in full
    assert [s.id for s in grouped.statuses] == [post.id]
    assert {a.id for a in grouped.accounts} | {a.id for a in grouped.partial_accounts} >= set(
        favourites.sample_account_ids)

    one = alice.grouped_notification(favourites.group_key)
    assert one.notification_groups[0].notifications_count == 3
    senders = alice.grouped_notification_accounts(favourites.group_key)
    assert [a.acct for a in senders] == ["dan", "carol", "bob"]
    assert alice.unread_grouped_notifications_count() == 2
    alice.dismiss_grouped_notification(favourites.group_key)
    assert [g.type for g in alice.grouped_notifications().notification_groups] == ["follow"]

    # Filter notifications from people alice does not follow into requests, then accept one.
    policy = alice.update_notifications_policy(for_not_following="filter")
    assert policy.for_not_following == "filter"
    dan.status_post("@alice a question about the numbers")
    assert [g.type for g in alice.grouped_notifications().notification_groups] == ["follow"]
    requests = alice.notification_requests()
    assert [r.account.acct for r in requests] == ["dan"]
    assert alice.notifications_policy().summary.pending_requests_count == 1
    alice.accept_notification_request(requests[0])
    assert alice.notifications_merged()
    assert [g.type for g in alice.grouped_notifications().notification_groups] == ["mention", "follow"]
    assert alice.notification_requests() == []


def test_web_push_reaches_the_app_and_decrypts(request):
    """Mastodon.py's Web Push: keys made by the library, a subscription, and a push that a
    local push receiver gets and the library decrypts with the app's private key."""
    import http.server
    import threading

    received = []

    class PushReceiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = http.server.HTTPServer(("127.0.0.1", 0), PushReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    request.addfinalizer(receiver.shutdown)

    from conftest import Instance
    instance = Instance("sqlite", extra_env={
        "GROUNDSWELL_PUSH__ALLOW_HTTP_ENDPOINTS": "true",
        "GROUNDSWELL_PUSH__ALLOW_PRIVATE_ENDPOINTS": "true",
    })
    request.addfinalizer(instance.stop)
    instance.create_user("alice")
    instance.create_user("bob")
    alice = Mastodon(access_token=instance.cli("admin", "issue-token", "alice", "--scopes", "read write follow").strip(),
                     api_base_url=instance.url)
    bob_token = instance.cli("admin", "issue-token", "bob", "--scopes", "read write follow push").strip()
    bob = Mastodon(access_token=bob_token, api_base_url=instance.url)

    private, public = bob.push_subscription_generate_keys()
    endpoint = f"http://127.0.0.1:{receiver.server_port}/push/bob"
    sub = bob.push_subscription_set(endpoint, public, mention_events=True, follow_events=True,
                                    favourite_events=False)
    assert sub.endpoint == endpoint
    assert sub.alerts.mention and sub.alerts.follow and not sub.alerts.favourite
    assert sub.server_key == bob.instance_v2().configuration.vapid.public_key
    assert bob.push_subscription().id == sub.id

    alice.status_post("@bob the build is green")
    deadline = time.time() + 20
    while not received and time.time() < deadline:
        time.sleep(0.1)
    assert received, "the push reached the receiver"
    path, headers, body = received[0]
    assert path == "/push/bob"
    assert headers["content-encoding"] == "aesgcm", "Mastodon.py subscribes the pre-4.4 way"
    push = bob.push_subscription_decrypt_push(body, private, headers["encryption"],
                                              headers["crypto-key"])
    mention = bob.notifications()[0]
    assert mention.type == "mention"
    assert str(push.notification_id) == str(mention.id)
    assert push.notification_type == "mention"
    assert push.title == "You were mentioned by alice"
    assert push.body == "@bob the build is green"
    assert push.access_token == bob_token

    updated = bob.push_subscription_update(favourite_events=True, mention_events=False)
    assert updated.alerts.favourite and not updated.alerts.mention
    bob.push_subscription_delete()
    with pytest.raises(MastodonAPIError):
        bob.push_subscription()


def test_suggestions_find_colleagues_with_shared_interests(instance):
    """Mastodon.py's suggestions (v2, with sources): a colleague who posts about the same
    hashtags comes first, and a dismissed suggestion stays dismissed."""
    for name in ("ines", "jonas", "kim"):
        instance.create_user(name)

    def client(name):
        token = instance.cli("admin", "issue-token", name, "--scopes", "read write follow").strip()
        return Mastodon(access_token=token, api_base_url=instance.url)

    ines, jonas, kim = client("ines"), client("jonas"), client("kim")
    ines.status_post("Tuning #postgres indexes today", visibility="public")
    jonas.status_post("#postgres vacuum tips", visibility="public")
    kim.status_post("Quarterly planning", visibility="public")

    suggested = ines.suggestions_v2()
    names = [s.account.acct for s in suggested]
    assert names[0] == "jonas", names
    assert "similar_to_recently_followed" in suggested[0].sources
    assert "kim" in names
    # Unpacked the way apps use it.
    assert ines.suggestions()[0].acct == "jonas"
    ines.suggestion_delete(suggested[0].account.id)
    assert "jonas" not in [s.account.acct for s in ines.suggestions_v2()]
    # Following someone takes them out of the suggestions.
    kim_id = next(s.account.id for s in suggested if s.account.acct == "kim")
    ines.account_follow(kim_id)
    assert "kim" not in [s.account.acct for s in ines.suggestions_v2()]
