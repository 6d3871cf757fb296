// The engagement charts in a real browser, on three real departments with real activity:
// Engineering's administrator reads the department's charts (active employees, posts,
// questions, time to first answer, interactions by kind, the departments heat map,
// retention) and the company report collected from Sales and Ops with their tokens; every
// page is screenshotted, and once more at a phone's width.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { eventually, launchBrowser, screenshot, signIn, startDepartments, watch } from "./harness.mjs";

let eng;
let sales;
let ops;
let browser;

before(async () => {
  [[eng, sales, ops], browser] = await Promise.all([
    startDepartments(["Engineering", "Sales", "Ops"], {
      env: {
        GROUNDSWELL_METRICS__MIN_GROUP_SIZE: "2",
        GROUNDSWELL_METRICS__ROLLUP_INTERVAL_SECS: "1",
      },
      // Engineering's console reports on the other two, their tokens in files.
      config: (i, servers) =>
        i === 0
          ? servers
              .slice(1)
              .map((s) => `[[metrics.company]]\nurl = "${s.url}"\ntoken_file = "${join(s.dir, "metrics-token")}"\n`)
              .join("\n")
          : null,
    }),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await eng?.stop();
  await sales?.stop();
  await ops?.stop();
});

async function shot(page, name) {
  console.log(`screenshot: ${await screenshot(page, name)}`);
}

/** An administrator's token with admin:read on `server`. */
async function adminToken(server, username) {
  await server.employee(username, { role: "admin" });
  return (await server.cli(["admin", "issue-token", username, "--scopes", "admin:read"])).trim();
}

/** `who` (on `from`) follows `target@domain`. */
async function follow(from, who, acct) {
  const found = await from.api(who, "GET", `/api/v2/search?type=accounts&resolve=true&q=${encodeURIComponent(acct)}`);
  assert.equal(found.status, 200, JSON.stringify(found.body));
  const res = await from.api(who, "POST", `/api/v1/accounts/${found.body.accounts[0].id}/follow`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

async function post(server, who, body) {
  const res = await server.api(who, "POST", "/api/v1/statuses", body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

test("administrators read the engagement charts and the company report", async () => {
  const ada = await eng.employee("ada", { role: "admin" });
  const adaToken = (await eng.cli(["admin", "issue-token", "ada", "--scopes", "admin:read"])).trim();
  for (const server of [sales, ops]) {
    writeFileSync(join(server.dir, "metrics-token"), await adminToken(server, "root"));
  }
  const alice = await eng.employee("alice");
  const bob = await eng.employee("bob");
  const sam = await sales.employee("sam");
  const sue = await sales.employee("sue");
  const olga = await ops.employee("olga");

  // Questions and answers in Engineering, posts about #rust everywhere.
  const q1 = await post(eng, alice, { status: "Who knows #kubernetes well?" });
  const q2 = await post(eng, bob, { status: "Lunch options near the office #question" });
  await post(eng, bob, { status: "@alice I do", in_reply_to_id: q1.id });
  await post(eng, alice, { status: "@bob the canteen", in_reply_to_id: q2.id });
  for (const [server, who] of [[eng, alice], [eng, bob], [sales, sam], [sales, sue], [ops, olga]]) {
    await post(server, who, { status: "Learning #rust this week" });
  }
  // Between departments: Engineering follows Sales, Sales follows back, Ops follows Alice.
  for (const who of [alice, bob]) {
    await follow(eng, who, `sam@${sales.domain}`);
    await follow(eng, who, `sue@${sales.domain}`);
  }
  await follow(sales, sam, `alice@${eng.domain}`);
  await follow(sales, sue, `bob@${eng.domain}`);
  await follow(ops, olga, `alice@${eng.domain}`);

  // The roll-up (every second here) has counted it.
  const day = new Date().toISOString().slice(0, 10);
  await eventually(async () => {
    const res = await eng.api({ token: adaToken }, "GET", `/api/v1/groundswell/metrics?start=${day}&end=${day}`);
    const follows = res.body.totals?.find((t) => t.measure === "cross_follows_out" && t.department === sales.domain);
    const answered = res.body.totals?.find((t) => t.measure === "questions_answered" && !t.department);
    const fromOps = res.body.totals?.find((t) => t.measure === "cross_follows_in" && t.department === ops.domain);
    return follows?.total === 4 && answered?.total === 2 && fromOps?.lower_bound === true;
  }, 30_000, "the roll-up");

  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watch(page);
  await signIn(page, eng, ada, "/admin/engagement");
  assert.equal(await page.locator("h1").innerText(), "Engagement");
  // Active employees, posts and replies, interactions by kind, questions, time to first answer.
  assert.equal(await page.locator("svg.chart").count(), 5);
  assert.ok((await page.locator("svg.chart rect:not(.suppressed)").count()) > 0, "today's bars are drawn");
  assert.match(await page.locator("#questions").innerText(), /answered\s+(≥ )?2\n/i);
  assert.doesNotMatch(await page.locator("#questions").innerText(), /first answer, median\s+suppressed/i);
  // The departments heat map: Sales shaded, Ops' single follow suppressed.
  const heat = page.locator("table#departments");
  assert.match(await heat.locator(`tbody tr:has(th:text-is("${sales.domain}"))`).innerText(), /4/);
  assert.ok((await heat.locator("td.suppressed").count()) > 0, "one person's follow is suppressed");
  assert.ok((await page.locator("table#retention tbody tr").count()) > 0, "retention cohorts");
  assert.ok(await page.locator("svg[aria-label='Interactions with other departments, by kind']").isVisible());
  const json = await page.request.get(eng.url + (await page.locator("#download-json").getAttribute("href")));
  assert.equal(json.status(), 200);
  assert.equal((await json.json()).department, eng.domain);
  await shot(page, "admin-engagement-charts");

  // --- The company report, collected from Sales and Ops.
  await Promise.all([page.waitForURL(/\/admin\/engagement\/company/), page.click("#company-report")]);
  assert.equal(await page.locator("h1").innerText(), "Company report");
  assert.equal(await page.locator("#missing").count(), 0, "every department collected");
  assert.match(await page.locator("#company").innerText(), /posts\s+at least 6/i);
  const matrix = page.locator("table#matrix");
  assert.match(await matrix.locator(`tbody tr:has(th:text-is("${eng.domain}"))`).innerText(), /4/);
  assert.match(await matrix.locator(`tbody tr:has(th:text-is("${ops.domain}"))`).innerText(), /suppressed/);
  assert.equal(await page.locator("#per-department tbody tr").count(), 3);
  assert.match(await page.locator("#company-hashtags").innerText(), /#rust — 4/);
  const csv = await page.request.get(eng.url + (await page.locator("#download-company-csv").getAttribute("href")));
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /^section,department,other_department,hashtag,measure,value,lower_bound,suppressed\r\n/);
  await shot(page, "admin-engagement-company");

  // At a phone's width the tables scroll inside their panels; the page itself does not.
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(`${eng.url}/admin/engagement`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const widest = await page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 5)
      .map((e) => `${e.tagName}#${e.id}.${e.className?.baseVal ?? e.className} ${Math.round(e.getBoundingClientRect().right)}`),
  );
  assert.ok(overflow <= 1, `no sideways scrolling (${overflow}px): ${widest.join(", ")}`);
  await shot(page, "admin-engagement-phone");

  assert.deepEqual(seen.problems(), []);
  await context.close();
});
