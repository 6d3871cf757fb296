// Media and live streams through masto.js against a real Groundswell server, on SQLite and on
// PostgreSQL: uploading images (v2.media.create), describing and focusing them, attaching them
// to statuses, the served files (content type, long cache, EXIF gone), the size limit, avatars
// (updateCredentials), and the streaming API over WebSocket (createStreamingAPIClient with the
// `ws` package, since Node 20 has no global WebSocket): the user stream's updates,
// notifications, edits and deletions, and hashtag streams. Run: node --test (see run.sh).
//
// The test images are made here, byte by byte: PNGs (node:zlib plus a CRC-32) and a tiny
// baseline JPEG (one flat grey component whose blocks hold only a zero DC), each able to carry
// EXIF (an APP1 segment, a PNG eXIf chunk) with a marker string that must not survive upload.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import { deflateSync } from "node:zlib";

import { createRestAPIClient, createStreamingAPIClient } from "masto";
import WebSocket from "ws";

import { BACKENDS, apiRequest, rejectsWithStatus, startServer } from "./harness.mjs";

const SCOPES = "read write follow";
const EXIF_MARKER = "GS-SECRET-GPS-51.5007N-0.1246W";
/** How long a stream gets to deliver an event before the test fails. */
const EVENT_TIMEOUT_MS = 3000;
/**
 * Mastodon's streaming protocol does not acknowledge `subscribe`: once the socket is open and
 * the message sent, a client just waits a moment before counting on events.
 */
const SUBSCRIBE_SETTLE_MS = 300;

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// ---------------------------------------------------------------------------------------------
// Images, made by hand.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGB PNG; `pixel(x, y)` gives [r, g, b]; `exif` adds an eXIf chunk before IDAT. */
function makePng({ width, height, pixel, exif }) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3); // filter byte 0 (None), then the pixels
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    ...(exif ? [pngChunk("eXIf", exif)] : []),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A TIFF (EXIF) structure with one tag, ImageDescription = `text`. */
function tiffWithDescription(text) {
  const value = Buffer.from(text + "\0", "latin1");
  const tiff = Buffer.alloc(26);
  tiff.write("MM", 0, "latin1"); // big-endian
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // first IFD at 8
  tiff.writeUInt16BE(1, 8); // one entry:
  tiff.writeUInt16BE(0x010e, 10); //   ImageDescription
  tiff.writeUInt16BE(2, 12); //   ASCII
  tiff.writeUInt32BE(value.length, 14);
  tiff.writeUInt32BE(26, 18); //   the string right after the IFD
  tiff.writeUInt32BE(0, 22); // no next IFD
  return Buffer.concat([tiff, value]);
}

/**
 * A baseline greyscale JPEG, flat mid-grey: every 8x8 block is DC difference 0 then end-of-block,
 * each coded by a one-symbol Huffman table as the single bit 0. `app1` is an APP1 payload.
 */
function makeJpeg({ width, height, app1 }) {
  const segment = (marker, body) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([head, body]);
  };
  const oneSymbolTable = (classAndId, symbol) =>
    Buffer.from([classAndId, 1, ...new Array(15).fill(0), symbol]);
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const bits = blocks * 2;
  const scan = Buffer.alloc(Math.ceil(bits / 8)); // all zero bits ...
  if (bits % 8) scan[scan.length - 1] = (1 << (8 - (bits % 8))) - 1; // ... padded with ones
  const sof = Buffer.from([8, 0, 0, 0, 0, 1, 1, 0x11, 0]);
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]), // SOI
    ...(app1 ? [segment(0xe1, app1)] : []),
    segment(0xdb, Buffer.from([0, ...new Array(64).fill(1)])), // DQT 0: all ones
    segment(0xc0, sof), // SOF0: 1 component, id 1, 1x1 sampling, table 0
    segment(0xc4, Buffer.concat([oneSymbolTable(0x00, 0x00), oneSymbolTable(0x10, 0x00)])), // DHT
    segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])), // SOS
    scan,
    Buffer.from([0xff, 0xd9]), // EOI
  ]);
}

/** { width, height } of a PNG (IHDR) or JPEG (SOFn); throws on anything else. */
function imageSize(bytes) {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return { format: "png", width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 4 <= bytes.length) {
      if (bytes[i] !== 0xff) throw new Error(`JPEG: no marker at ${i}`);
      const marker = bytes[i + 1];
      if (marker === 0xff) {
        i += 1;
        continue;
      }
      const length = bytes.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { format: "jpeg", height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
      }
      i += 2 + length;
    }
    throw new Error("JPEG: no SOF segment");
  }
  throw new Error(`not a PNG or JPEG: ${bytes.subarray(0, 8).toString("hex")}`);
}

const gradient = (x, y) => [(x * 8) & 255, (y * 12) & 255, 160];

/** GET an absolute URL; resolves to { status, headers, bytes }. */
async function download(url) {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Checks a served media file: 200, an image content type, cached for a year and immutable. */
async function assertServedImage(url, { contentType } = {}) {
  const file = await download(url);
  assert.equal(file.status, 200, `GET ${url}`);
  const type = file.headers.get("content-type") ?? "";
  if (contentType) assert.equal(type.split(";")[0].trim(), contentType, `content type of ${url}`);
  else assert.match(type, /^image\//, `content type of ${url}`);
  const cache = (file.headers.get("cache-control") ?? "").split(",").map((s) => s.trim().toLowerCase());
  assert.ok(cache.includes("public"), `Cache-Control of ${url}: ${cache}`);
  assert.ok(cache.includes("max-age=31536000"), `Cache-Control of ${url}: ${cache}`);
  assert.ok(cache.includes("immutable"), `Cache-Control of ${url}: ${cache}`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Streams: what a masto.js subscription delivers, collected as it comes.

class EventLog {
  constructor(subscription, label) {
    this.subscription = subscription;
    this.label = label;
    this.events = [];
    this.error = null;
    this.wake = new Set();
    this.done = (async () => {
      try {
        for await (const event of subscription) {
          this.events.push(event);
          for (const wake of this.wake) wake();
        }
      } catch (e) {
        this.error = e;
        for (const wake of this.wake) wake();
      }
    })();
  }

  describe() {
    const seen = this.events.map((e) => `${e.event}:${typeof e.payload === "string" ? e.payload : e.payload?.id}`);
    return `${this.label} got [${seen.join(", ")}]${this.error ? ` and failed: ${this.error.stack}` : ""}`;
  }

  /** The first event matching `predicate`, waiting for it up to `timeoutMs`. */
  async next(predicate, what, timeoutMs = EVENT_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (this.error || Date.now() >= deadline) {
        assert.fail(`${this.label}: no ${what} within ${timeoutMs} ms; ${this.describe()}`);
      }
      await new Promise((ok) => {
        const wake = () => {
          clearTimeout(timer);
          this.wake.delete(wake);
          ok();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        this.wake.add(wake);
      });
    }
  }

  has(predicate) {
    return this.events.some(predicate);
  }
}

const isUpdate = (id) => (e) => e.event === "update" && e.payload?.id === id;
const isDelete = (id) => (e) => e.event === "delete" && String(e.payload) === id;

for (const backend of BACKENDS) {
  describe(`masto.js media and streaming on ${backend}`, () => {
    let server;
    let streamingApiUrl;
    const users = {}; // name -> { client, token, account }
    const streams = []; // streaming clients, closed after each test

    /** A streaming client for `name`, as an app would make it from the instance's URL. */
    function streamingClient(name, { useInsecureAccessToken = false } = {}) {
      const client = createStreamingAPIClient({
        streamingApiUrl,
        accessToken: users[name].token,
        implementation: WebSocket,
        useInsecureAccessToken,
        retry: false,
      });
      streams.push(client);
      return client;
    }

    /** Subscribes, waits until the socket is open and the subscription settled. */
    async function subscribed(client, subscription, label) {
      const log = new EventLog(subscription, label);
      await client.prepare();
      await sleep(SUBSCRIBE_SETTLE_MS);
      if (log.error) assert.fail(`${label}: ${log.describe()}`);
      return log;
    }

    before(async () => {
      server = await startServer({ backend });
      for (const name of ["alice", "bob", "carol"]) {
        await server.createUser(name);
        const token = await server.issueToken(name, SCOPES);
        const client = createRestAPIClient({ url: server.url, accessToken: token });
        const account = await client.v1.accounts.verifyCredentials();
        users[name] = { client, token, account };
      }
      const instance = await users.alice.client.v2.instance.fetch();
      streamingApiUrl = instance.configuration.urls.streaming;
    });

    afterEach(() => {
      for (const client of streams.splice(0)) client.close();
    });

    after(async () => {
      for (const client of streams.splice(0)) client.close();
      await server?.stop();
    });

    test("uploads a described PNG: an image whose files are served for a year, eXIf gone", async () => {
      const { alice } = users;
      const png = makePng({ width: 30, height: 20, pixel: gradient, exif: tiffWithDescription(EXIF_MARKER) });
      assert.ok(png.includes(EXIF_MARKER) && png.includes("eXIf"), "the upload carries the marker");

      const media = await alice.client.v2.media.create({
        file: new Blob([png], { type: "image/png" }),
        description: "A gradient, from black to pink",
        skipPolling: true, // an image is processed synchronously: 200 with its url
      });
      assert.match(media.id, /^\d+$/);
      assert.equal(media.type, "image");
      assert.equal(media.description, "A gradient, from black to pink");
      assert.equal(media.meta.original.width, 30);
      assert.equal(media.meta.original.height, 20);
      assert.equal(typeof media.blurhash, "string");
      assert.ok(media.blurhash.length > 0, "blurhash");
      assert.ok(media.url, "url");
      assert.ok(media.previewUrl, "previewUrl");
      assert.equal(new URL(media.url).origin, server.url);

      const original = await assertServedImage(media.url, { contentType: "image/png" });
      assert.deepEqual(imageSize(original.bytes), { format: "png", width: 30, height: 20 });
      assert.ok(!original.bytes.includes(EXIF_MARKER), "the EXIF marker was served back");
      assert.ok(!original.bytes.includes("eXIf"), "the served PNG still has an eXIf chunk");

      const preview = await assertServedImage(media.previewUrl);
      assert.ok(!preview.bytes.includes(EXIF_MARKER), "the EXIF marker is in the preview");
    });

    test("uploads a JPEG with EXIF: re-encoded without it, through masto.js's polling upload", async () => {
      const { alice } = users;
      const app1 = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiffWithDescription(EXIF_MARKER)]);
      const jpeg = makeJpeg({ width: 24, height: 16, app1 });
      assert.ok(jpeg.includes(EXIF_MARKER));

      // Without skipPolling masto.js waits for GET /api/v1/media/:id to give a url.
      const media = await alice.client.v2.media.create({
        file: new Blob([jpeg], { type: "image/jpeg" }),
        description: "Grey",
      });
      assert.equal(media.type, "image");
      assert.equal(media.description, "Grey");
      assert.equal(media.meta.original.width, 24);
      assert.equal(media.meta.original.height, 16);
      assert.ok(media.blurhash, "blurhash");

      const original = await assertServedImage(media.url, { contentType: "image/jpeg" });
      assert.deepEqual(imageSize(original.bytes), { format: "jpeg", width: 24, height: 16 });
      assert.ok(!original.bytes.includes(EXIF_MARKER), "the EXIF marker was served back");
      assert.ok(!original.bytes.includes("Exif\0\0"), "the served JPEG still has an EXIF segment");
      await assertServedImage(media.previewUrl);
    });

    test("describes and focuses an upload, attaches it to a status; only its owner may", async () => {
      const { alice, bob } = users;
      const media = await alice.client.v2.media.create({
        file: new Blob([makePng({ width: 16, height: 16, pixel: gradient })], { type: "image/png" }),
        skipPolling: true,
      });
      assert.equal(media.description, null);

      const updated = await alice.client.v1.media.$select(media.id).update({
        description: "Now described",
        focus: "0.5,-0.25",
      });
      assert.equal(updated.id, media.id);
      assert.equal(updated.description, "Now described");
      assert.deepEqual(updated.meta.focus, { x: 0.5, y: -0.25 });
      const fetched = await alice.client.v1.media.$select(media.id).fetch();
      assert.equal(fetched.description, "Now described");
      assert.deepEqual(fetched.meta.focus, { x: 0.5, y: -0.25 });
      assert.equal(fetched.url, media.url);

      // Someone else's upload does not exist for bob, and he cannot attach it.
      await rejectsWithStatus(bob.client.v1.media.$select(media.id).fetch(), 404);
      await rejectsWithStatus(bob.client.v1.media.$select(media.id).update({ description: "mine" }), 404);
      await rejectsWithStatus(bob.client.v1.statuses.create({ status: "stolen", mediaIds: [media.id] }), 422);

      const status = await alice.client.v1.statuses.create({
        status: "Look at this",
        mediaIds: [media.id],
        visibility: "public",
      });
      assert.equal(status.mediaAttachments.length, 1);
      const [attached] = status.mediaAttachments;
      assert.equal(attached.id, media.id);
      assert.equal(attached.type, "image");
      assert.equal(attached.url, media.url);
      assert.equal(attached.description, "Now described");
      assert.deepEqual(attached.meta.focus, { x: 0.5, y: -0.25 });

      // As others see it.
      const seen = await bob.client.v1.statuses.$select(status.id).fetch();
      assert.deepEqual(seen.mediaAttachments.map((m) => m.id), [media.id]);

      // Once posted, the attachment is no longer an upload: GET and PUT /api/v1/media/:id only
      // know unattached media (changing a posted one goes through editing the status), and it
      // cannot be attached to another status.
      await rejectsWithStatus(alice.client.v1.media.$select(media.id).fetch(), 404);
      await rejectsWithStatus(alice.client.v1.media.$select(media.id).update({ description: "late" }), 404);
      const unchanged = await bob.client.v1.statuses.$select(status.id).fetch();
      assert.equal(unchanged.mediaAttachments[0].description, "Now described");
      await rejectsWithStatus(alice.client.v1.statuses.create({ status: "again", mediaIds: [media.id] }), 422);
    });

    test("refuses a file that is not an image with 422", async () => {
      const { alice } = users;
      const error = await rejectsWithStatus(
        alice.client.v2.media.create({
          file: new Blob(["just some text, no pixels here\n"], { type: "text/plain" }),
          skipPolling: true,
        }),
        422,
      );
      assert.ok(error.message, "an error message");
      // Not even with an image content type.
      await rejectsWithStatus(
        alice.client.v2.media.create({
          file: new Blob(["%PDF-1.4 pretending"], { type: "image/png" }),
          skipPolling: true,
        }),
        422,
      );
    });

    test("refuses an image over limits.max_image_bytes with 413", async () => {
      const small = await startServer({ backend, env: { GROUNDSWELL_LIMITS__MAX_IMAGE_BYTES: "2000" } });
      try {
        await small.createUser("dora");
        const token = await small.issueToken("dora", SCOPES);
        const client = createRestAPIClient({ url: small.url, accessToken: token });

        const tiny = makePng({ width: 8, height: 8, pixel: gradient });
        assert.ok(tiny.length < 2000);
        const ok = await client.v2.media.create({ file: new Blob([tiny], { type: "image/png" }), skipPolling: true });
        assert.equal(ok.type, "image");

        const noise = randomBytes(40 * 40 * 3);
        const big = makePng({ width: 40, height: 40, pixel: (x, y) => noise.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3) });
        assert.ok(big.length > 2000, `${big.length} bytes`);
        await rejectsWithStatus(
          client.v2.media.create({ file: new Blob([big], { type: "image/png" }), skipPolling: true }),
          413,
        );
        // Nor as an avatar.
        await rejectsWithStatus(
          client.v1.accounts.updateCredentials({ avatar: new Blob([big], { type: "image/png" }) }),
          413,
        );
      } finally {
        await small.stop();
      }
    });

    test("sets an avatar with updateCredentials: cropped to 400x400 and served", async () => {
      const { carol } = users;
      const png = makePng({ width: 600, height: 300, pixel: gradient });
      const account = await carol.client.v1.accounts.updateCredentials({
        avatar: new Blob([png], { type: "image/png" }),
      });
      assert.equal(account.id, carol.account.id);
      assert.match(new URL(account.avatar).pathname, /\/avatar\.(png|jpg)$/, account.avatar);
      assert.equal(new URL(account.avatar).origin, server.url);
      const avatar = await assertServedImage(account.avatar);
      const size = imageSize(avatar.bytes);
      assert.deepEqual([size.width, size.height], [400, 400], account.avatar);
      const still = await download(account.avatarStatic);
      assert.equal(still.status, 200, account.avatarStatic);
      assert.match(still.headers.get("content-type") ?? "", /^image\//);

      const again = await carol.client.v1.accounts.verifyCredentials();
      assert.equal(again.avatar, account.avatar);
      const seen = await users.alice.client.v1.accounts.$select(carol.account.id).fetch();
      assert.equal(seen.avatar, account.avatar);
    });

    test("streaming: health is OK and the instance gives the WebSocket URL", async () => {
      const res = await apiRequest(server, "/api/v1/streaming/health");
      assert.equal(res.status, 200);
      assert.equal(res.text, "OK");
      assert.equal(streamingApiUrl, `ws://${server.domain}`);
    });

    test("user stream: a followed account's posts, edits and deletions, and notifications", async () => {
      const { alice, bob, carol } = users;
      await bob.client.v1.accounts.$select(alice.account.id).follow();

      const streaming = streamingClient("bob");
      const user = await subscribed(streaming, streaming.user.subscribe(), "bob's user stream");

      // carol, whom bob does not follow, posts; then alice, whom he does.
      const stranger = await carol.client.v1.statuses.create({ status: "Not for bob's home", visibility: "public" });
      const post = await alice.client.v1.statuses.create({ status: "Hello followers", visibility: "public" });
      const update = await user.next(isUpdate(post.id), `update for alice's status ${post.id}`);
      assert.deepEqual(update.stream, ["user"]);
      assert.equal(update.payload.account.id, alice.account.id);
      assert.equal(update.payload.content, post.content);
      assert.ok(!user.has(isUpdate(stranger.id)), `an unfollowed account's status came: ${user.describe()}`);

      // An edit comes as status.update.
      await alice.client.v1.statuses.$select(post.id).update({ status: "Hello followers, edited" });
      const edit = await user.next(
        (e) => e.event === "status.update" && e.payload?.id === post.id,
        `status.update for ${post.id}`,
      );
      assert.match(edit.payload.content, /edited/);
      assert.ok(edit.payload.editedAt, "editedAt");

      // carol favourites bob's status: a notification.
      const mine = await bob.client.v1.statuses.create({ status: "Favourite me", visibility: "public" });
      await carol.client.v1.statuses.$select(mine.id).favourite();
      const notification = await user.next(
        (e) => e.event === "notification" && e.payload?.type === "favourite",
        "favourite notification",
      );
      assert.deepEqual(notification.stream, ["user"]);
      assert.equal(notification.payload.account.id, carol.account.id);
      assert.equal(notification.payload.status.id, mine.id);
      assert.match(notification.payload.id, /^\d+$/);
      const [listed] = await bob.client.v1.notifications.list({ types: ["favourite"], limit: 1 });
      assert.equal(listed.id, notification.payload.id);

      // alice deletes her status: a delete with its id.
      await alice.client.v1.statuses.$select(post.id).remove();
      const deletion = await user.next(isDelete(post.id), `delete of ${post.id}`);
      assert.equal(typeof deletion.payload, "string");
    });

    test("hashtag stream: public statuses with the tag only, and their deletion", async () => {
      const { alice, carol } = users;
      // carol follows alice, so even alice's followers-only posts are visible to her: the
      // hashtag stream must still carry only public ones.
      await carol.client.v1.accounts.$select(alice.account.id).follow();

      const streaming = streamingClient("carol", { useInsecureAccessToken: true });
      const tagged = await subscribed(streaming, streaming.hashtag.subscribe({ tag: "gsphotos" }), "carol's #gsphotos stream");

      const hidden = await alice.client.v1.statuses.create({ status: "Only followers #gsphotos", visibility: "private" });
      const unlisted = await alice.client.v1.statuses.create({ status: "Quietly #gsphotos", visibility: "unlisted" });
      const other = await alice.client.v1.statuses.create({ status: "Another tag #gsother", visibility: "public" });
      const shown = await alice.client.v1.statuses.create({ status: "For everyone #gsphotos", visibility: "public" });

      const update = await tagged.next(isUpdate(shown.id), `update for public #gsphotos status ${shown.id}`);
      assert.deepEqual(update.stream, ["hashtag", "gsphotos"]);
      assert.deepEqual(update.payload.tags.map((t) => t.name.toLowerCase()), ["gsphotos"]);
      // The statuses made before it would have come before it.
      assert.ok(!tagged.has(isUpdate(hidden.id)), `a followers-only status came: ${tagged.describe()}`);
      assert.ok(!tagged.has(isUpdate(unlisted.id)), `an unlisted status came: ${tagged.describe()}`);
      assert.ok(!tagged.has(isUpdate(other.id)), `a status with another tag came: ${tagged.describe()}`);

      await alice.client.v1.statuses.$select(shown.id).remove();
      await tagged.next(isDelete(shown.id), `delete of ${shown.id}`);
    });

    test("hashtag stream subscribed as the tag is written (#GsLaunch) gets its statuses", async () => {
      const { alice, carol } = users;
      const streaming = streamingClient("carol");
      // masto.js keeps only events whose `stream` names the tag as subscribed, as Mastodon
      // echoes it: ["hashtag", "GsLaunch"].
      const tagged = await subscribed(streaming, streaming.hashtag.subscribe({ tag: "GsLaunch" }), "carol's #GsLaunch stream");
      const post = await alice.client.v1.statuses.create({ status: "We have lift-off #GsLaunch", visibility: "public" });
      const update = await tagged.next(isUpdate(post.id), `update for #GsLaunch status ${post.id}`);
      assert.deepEqual(update.stream, ["hashtag", "GsLaunch"]);
    });
  });
}
