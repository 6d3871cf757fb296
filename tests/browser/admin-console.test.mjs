// The admin console in a real browser, with two real departments federating: an administrator
// adds a keyword rule in hold mode, an employee's post (through the API) is held, the
// administrator approves it in the console and it reaches the other department; reports,
// accounts, federation, the usage policy and the audit log are used from their pages; a
// moderator is refused the rules page, an employee the console. Every console page is
// screenshotted (and once more at a phone's width).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { eventually, launchBrowser, screenshot, signIn, startDepartments, watch } from "./harness.mjs";

let eng;
let sales;
let browser;

before(async () => {
  [[eng, sales], browser] = await Promise.all([startDepartments(["Engineering", "Sales"]), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await eng?.stop();
  await sales?.stop();
});

/** Click what submits a form and wait for the page it leads to. */
async function submit(page, locator) {
  await Promise.all([page.waitForNavigation(), locator.click()]);
}

async function shot(page, name) {
  console.log(`screenshot: ${await screenshot(page, name)}`);
}

test("administrators and moderators run the department from the console", async () => {
  const ada = await eng.employee("ada", { role: "admin" });
  const mona = await eng.employee("mona", { role: "moderator" });
  const bob = await eng.employee("bob");
  const carol = await eng.employee("carol");
  const sam = await sales.employee("sam");

  // Sam (Sales) follows Bob (Engineering), so Bob's public posts reach Sam's home timeline.
  const found = await sales.api(sam, "GET", `/api/v2/search?type=accounts&resolve=true&q=${encodeURIComponent(`bob@${eng.domain}`)}`);
  assert.equal(found.status, 200, JSON.stringify(found.body));
  assert.equal(found.body.accounts.length, 1, JSON.stringify(found.body));
  const bobThere = found.body.accounts[0];
  const followed = await sales.api(sam, "POST", `/api/v1/accounts/${bobThere.id}/follow`);
  assert.equal(followed.status, 200, JSON.stringify(followed.body));
  await eventually(async () => {
    const rel = await sales.api(sam, "GET", `/api/v1/accounts/relationships?id[]=${bobThere.id}`);
    return rel.body[0]?.following;
  }, 30_000, "the follow to be accepted");

  // --- The administrator signs in and sees the dashboard.
  const adminContext = await browser.newContext();
  const page = await adminContext.newPage();
  const seen = watch(page);
  await signIn(page, eng, ada, "/admin");
  assert.equal(await page.locator("h1").innerText(), "Dashboard");
  assert.match(await page.locator(".whoami").innerText(), /@ada \(administrator\)/);
  await shot(page, "admin-dashboard");

  // --- A keyword rule in hold mode, from the rule form.
  await page.click("text=Rules");
  await page.waitForURL(`${eng.url}/admin/rules`);
  assert.match(await page.locator(".empty").first().innerText(), /No rules yet/);
  await page.click("text=New rule");
  await page.waitForURL(`${eng.url}/admin/rules/new`);
  await page.fill("#name", "Project codenames");
  await page.selectOption("#action", "hold");
  await page.fill("#keywords", "Project Falcon");
  await page.fill("#explain", "Codenames are checked by a moderator before they are published.");
  await shot(page, "admin-rule-form");
  // A mistake is explained on the form, and nothing typed is lost.
  await page.fill("#more", "visibility = [");
  await submit(page, page.locator("button.primary"));
  assert.match(await page.locator(".notice.error").innerText(), /not valid TOML/);
  assert.equal(await page.inputValue("#keywords"), "Project Falcon");
  assert.equal(await page.inputValue("#name"), "Project codenames");
  await shot(page, "admin-rule-form-error");
  await page.fill("#more", "");
  await submit(page, page.locator("button.primary"));
  assert.equal(page.url(), `${eng.url}/admin/rules?done=rule_added`);
  assert.match(await page.locator(".notice.ok").innerText(), /The rule was added/);
  const ruleRow = page.locator("tbody tr", { hasText: "Project codenames" });
  assert.match(await ruleRow.innerText(), /Hold for review/);
  assert.match(await ruleRow.innerText(), /enforced/);
  await shot(page, "admin-rules");

  // --- Bob posts through the API: held, seen by nobody else.
  const posted = await eng.api(bob, "POST", "/api/v1/statuses", {
    status: "Project Falcon ships on Friday!",
    visibility: "public",
  });
  assert.equal(posted.status, 200, JSON.stringify(posted.body));
  assert.equal(posted.body.held_for_review, "post");
  const hidden = await eng.api(carol, "GET", `/api/v1/statuses/${posted.body.id}`);
  assert.equal(hidden.status, 404);

  // --- The administrator finds it in the held queue (the badge counts it) and approves it.
  await page.goto(`${eng.url}/admin`);
  assert.equal(await page.locator(".nav a[href='/admin/held'] .count").innerText(), "1");
  await page.click(".nav a[href='/admin/held']");
  await page.waitForURL(`${eng.url}/admin/held`);
  const held = page.locator(`#held-${posted.body.id}`);
  assert.match(await held.innerText(), /Project Falcon ships on Friday!/);
  assert.match(await held.innerText(), /@bob/);
  assert.match(await held.innerText(), /Project codenames/);
  await shot(page, "admin-held");
  await submit(page, held.locator("button", { hasText: "Approve and publish" }));
  assert.match(await page.locator(".notice.ok").innerText(), /approved and published/);
  assert.match(await page.locator(".empty").innerText(), /Nothing is waiting/);

  // --- Published here, and on the other department.
  const visible = await eng.api(carol, "GET", `/api/v1/statuses/${posted.body.id}`);
  assert.equal(visible.status, 200);
  const arrived = await eventually(async () => {
    const home = await sales.api(sam, "GET", "/api/v1/timelines/home");
    return home.body.find?.((s) => s.content.includes("Project Falcon ships on Friday!"));
  }, 30_000, "the approved post to reach Sales");
  assert.equal(arrived.account.acct, `bob@${eng.domain}`);

  // --- A report about Bob: in the queue, assigned, acted on (silence) with a reason.
  const report = await eng.api(carol, "POST", "/api/v1/reports", {
    account_id: posted.body.account.id,
    status_ids: [posted.body.id],
    comment: "Shares the launch date outside the team",
    category: "other",
  });
  assert.equal(report.status, 200, JSON.stringify(report.body));
  await page.goto(`${eng.url}/admin/reports`);
  const reportRow = page.locator("tbody tr", { hasText: "@bob" });
  assert.match(await reportRow.innerText(), /@carol/);
  await shot(page, "admin-reports");
  await reportRow.locator(`a[href='/admin/reports/${report.body.id}']`).click();
  await page.waitForURL(`${eng.url}/admin/reports/${report.body.id}`);
  assert.match(await page.locator("main").innerText(), /Shares the launch date outside the team/);
  await submit(page, page.locator("button", { hasText: "Assign to me" }));
  assert.match(await page.locator("main").innerText(), /Assigned to @ada/);
  await shot(page, "admin-report");
  await page.selectOption("#action-type", "silence");
  await page.fill("#action-text", "Launch dates stay in the team until they are announced.");
  await submit(page, page.locator("button", { hasText: "Apply" }));
  assert.match(await page.locator(".notice.ok").innerText(), /in effect and in the audit log/);
  assert.match(await page.locator("h1").innerText(), /resolved/);
  // Bob received the warning.
  const notes = await eng.api(bob, "GET", "/api/v1/notifications");
  assert.ok(notes.body.some((n) => n.type === "moderation_warning"), JSON.stringify(notes.body));

  // --- Accounts: search, the account's page, lifting the silence.
  await page.click(".nav a[href='/admin/accounts']");
  await page.waitForURL(`${eng.url}/admin/accounts`);
  await page.fill("#q", "bob");
  await submit(page, page.locator("form[role=search] button"));
  const bobRow = page.locator("tbody tr", { hasText: "@bob" });
  assert.match(await bobRow.innerText(), /silenced/);
  assert.equal(await page.locator("tbody tr").count(), 1);
  await shot(page, "admin-accounts");
  await submit(page, bobRow.locator("a").first());
  assert.match(await page.locator("h1").innerText(), /@bob/);
  await shot(page, "admin-account");
  await submit(page, page.locator("button", { hasText: "Lift the silence" }));
  assert.match(await page.locator(".notice.ok").innerText(), /lifted/);
  assert.match(await page.locator("main").innerText(), /active/);

  // --- Federation: Sales is allowed (config) and has a delivery queue; retry it now.
  await page.click(".nav a[href='/admin/federation']");
  await page.waitForURL(`${eng.url}/admin/federation`);
  assert.match(await page.locator("main").innerText(), new RegExp(`${sales.domain.replace(/\./g, "\\.")} \\(config file\\)`));
  const queueRow = page.locator("tbody tr", { hasText: sales.domain });
  await queueRow.waitFor();
  await shot(page, "admin-federation");
  await submit(page, queueRow.locator("button", { hasText: "Retry now" }));
  assert.match(await page.locator(".notice.ok").innerText(), /tried now/);

  // --- The usage policy: publish a version; the acceptance rate starts at 0.
  await page.click(".nav a[href='/admin/usage-policy']");
  await page.waitForURL(`${eng.url}/admin/usage-policy`);
  assert.match(await page.locator("main").innerText(), /No usage policy is published/);
  await page.fill("#policy-text", "# How we talk here\n\nBe kind. **No customer data.**");
  await submit(page, page.locator("button", { hasText: "Publish" }));
  assert.match(await page.locator(".notice.ok").innerText(), /is published/);
  // Ada, Mona, Bob, Carol and the administrator the first start created.
  assert.match(await page.locator("tbody").innerText(), /v1\s+current[\s\S]*0 of 5 \(0%\)/);
  assert.equal(await page.locator(".post strong").innerText(), "No customer data.");
  await shot(page, "admin-usage-policy");

  // --- An announcement for every employee's app; read counts stay hidden below the threshold.
  await page.click(".nav a[href='/admin/announcements']");
  await page.waitForURL(`${eng.url}/admin/announcements`);
  assert.match(await page.locator("main").innerText(), /No announcement is published/);
  await page.fill("#announcement-text", "**Town hall** on Friday at 10:00");
  await submit(page, page.locator("button", { hasText: "Publish" }));
  assert.match(await page.locator(".notice.ok").innerText(), /apps show it now/);
  assert.match(await page.locator("tbody").innerText(), /Town hall[\s\S]*nobody yet/);

  // --- A company-wide one reaches Sales: Sam's app shows it, Sales reports its reach back.
  await page.fill("#announcement-text", "**Offices closed** on Monday");
  await page.check("input[name=company_wide]");
  await submit(page, page.locator("button", { hasText: "Publish" }));
  assert.match(await page.locator(".notice.ok").innerText(), /sent to every department/);
  await eventually(async () => {
    const shown = await sales.api(sam, "GET", "/api/v1/announcements");
    return shown.body.some((a) => a.content.includes("Offices closed"));
  }, 30_000, "the announcement in Sam's app");
  const reach = await eventually(async () => {
    await page.reload();
    const text = await page.locator("tbody").innerText();
    return text.includes(`${sales.domain}: fewer than`) ? text : null;
  }, 30_000, "Sales' reach on the console");
  assert.match(reach, /Offices closed[\s\S]*Across the company: (at least )?\d+ of \d+ people in 2 departments/);
  await shot(page, "admin-announcements");

  // --- Engagement: charts (suppressed days drawn as such), totals and the downloads.
  await page.click(".nav a[href='/admin/engagement']");
  await page.waitForURL(`${eng.url}/admin/engagement`);
  assert.equal(await page.locator("h1").innerText(), "Engagement");
  assert.equal(await page.locator("svg.chart").count(), 5);
  assert.ok((await page.locator("svg.chart rect.suppressed").count()) > 0, "days below the threshold are hatched");
  assert.match(await page.locator("#totals").innerText(), /posts\s+suppressed/i);
  const download = await page.request.get(await page.locator("#download-csv").getAttribute("href").then((h) => eng.url + h));
  assert.equal(download.status(), 200);
  assert.match(await download.text(), /^date,measure,department,hashtag,language,value,suppressed\r\n/);
  await shot(page, "admin-engagement");

  // --- The audit log holds what was done, by whom; the export carries it too.
  await page.click(".nav a[href='/admin/audit']");
  await page.waitForURL(`${eng.url}/admin/audit`);
  const log = await page.locator("tbody").innerText();
  for (const action of [
    "policy.rule.add",
    "status.approve",
    "report.assign",
    "account.silence",
    "account.unsilence",
    "federation.retry",
    "usage_policy.publish",
    "announcement.publish",
  ]) {
    assert.match(log, new RegExp(action.replace(".", "\\.")), `the audit log lacks ${action}`);
  }
  assert.match(log, /@ada/);
  await shot(page, "admin-audit");
  await page.selectOption("#action", "account.");
  await submit(page, page.locator("form[role=search] button"));
  const accountsOnly = await page.locator("tbody").innerText();
  assert.match(accountsOnly, /account\.silence/);
  assert.doesNotMatch(accountsOnly, /policy\.rule\.add/);
  const csv = await page.request.get(`${eng.url}/admin/audit/export?format=csv`);
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /^id,created_at,actor,action,target_type,target_id,target,reason,details\r\n/);

  // --- A form without the session's CSRF token is refused, on a page.
  const forged = await page.request.post(`${eng.url}/admin/rules/import`, {
    form: { csrf_token: "forged", file: "" },
  });
  assert.equal(forged.status(), 403);
  assert.match(forged.headers()["content-type"], /text\/html/);
  assert.match(await forged.text(), /The form expired/);

  // --- At a phone's width the console fits the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${eng.url}/admin`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the dashboard is ${overflow}px wider than a phone`);
  await shot(page, "admin-dashboard-phone");
  // The first Tab reaches the skip link.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.className), "skip");
  assert.deepEqual(seen.problems(), []);
  await adminContext.close();

  // --- A moderator reaches the console but not the rules.
  const modContext = await browser.newContext();
  const modPage = await modContext.newPage();
  await signIn(modPage, eng, mona, "/admin");
  assert.equal(await modPage.locator(".nav a[href='/admin/rules']").count(), 0);
  const refused = await modPage.goto(`${eng.url}/admin/rules`);
  assert.equal(refused.status(), 403);
  assert.match(await modPage.locator("main").innerText(), /for the department's administrators/);
  await shot(modPage, "admin-moderator-refused-rules");
  const refusedPost = await modPage.request.post(`${eng.url}/admin/rules/import`, {
    form: { csrf_token: "x", file: "" },
  });
  assert.equal(refusedPost.status(), 403);
  await modContext.close();

  // --- An employee is refused the console; a visitor is sent to sign in.
  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  await signIn(bobPage, eng, bob, "/");
  const notStaff = await bobPage.goto(`${eng.url}/admin`);
  assert.equal(notStaff.status(), 403);
  assert.match(await bobPage.locator("main").innerText(), /moderators and administrators/);
  await shot(bobPage, "admin-employee-refused");
  await bobContext.close();
  const visitor = await browser.newContext();
  const visitorPage = await visitor.newPage();
  await visitorPage.goto(`${eng.url}/admin/reports`);
  assert.equal(new URL(visitorPage.url()).pathname, "/auth/sign_in");
  assert.equal(new URL(visitorPage.url()).searchParams.get("return_to"), "/admin/reports");
  await visitor.close();
});
