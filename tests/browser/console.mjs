// The web console in a real browser: sign in, review from the keyboard, resolve a conflict in
// one click, switch to Hindi, sign out. Run by tests/tests/console_browser.rs against a hub
// it seeded through real phone syncs. Usage: node console.mjs URL USER PASSWORD RESPONSE_ID SHOTS_DIR
import { chromium } from "playwright-core";
import fs from "node:fs";

const [url, user, password, rid, meeting, shots] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-background-networking"],
});
const fail = (msg) => { throw new Error(msg); };
try {
  // A 1366×768 office laptop.
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // The one wrong password below is answered 401 on purpose; any other failed load is an error.
  page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 401")) errors.push(m.text()); });

  await page.goto(`${url}/console/overview`);
  if (!page.url().endsWith("/console/login")) fail(`no session must lead to sign-in, got ${page.url()}`);
  await page.screenshot({ path: `${shots}/01-sign-in.png` });
  await page.fill("input[name=user]", user);
  await page.fill("input[name=password]", "wrong password");
  await page.click("button[type=submit]");
  if (!(await page.textContent("[role=alert]")).includes("do not match")) fail("a wrong password must say so");
  await page.fill("input[name=user]", user);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
  await page.waitForURL(/\/console\/overview$/);
  const submitted = await page.textContent("#card-submitted .n");
  if (Number(submitted) < 1) fail(`overview counts submitted responses, got ${submitted}`);
  await page.screenshot({ path: `${shots}/02-overview.png`, fullPage: true });

  // The responses table, filtered by text.
  await page.goto(`${url}/console/responses`);
  await page.fill("input[name=text]", "devi");
  await page.click("form.bar button");
  await page.waitForURL(/text=devi/);
  if (!(await page.textContent("#responses")).includes(rid.slice(0, 8))) fail("text search finds the response");
  await page.screenshot({ path: `${shots}/03-responses.png`, fullPage: true });

  // The review queue from the keyboard: the first row has focus; "i" marks it has-issues.
  await page.goto(`${url}/console/review`);
  await page.waitForSelector("#queue tbody tr[data-href]");
  await page.screenshot({ path: `${shots}/04-review-queue.png`, fullPage: true });
  await page.keyboard.press("c");
  await page.keyboard.type("count the members again");
  await page.keyboard.press("Escape");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("i")]);
  await page.goto(`${url}/console/r/${rid}`);
  const state = await page.textContent("#review-state");
  if (!state.includes("has issues")) fail(`the key press set the review state, got ${state}`);
  if (!(await page.textContent("#review")).includes("count the members again")) fail("the comment was saved");

  // A conflict resolved in one click.
  const before = await page.locator("#conflicts .conflict").count();
  if (before < 1) fail("the seeded conflict is shown");
  await Promise.all([page.waitForNavigation(), page.locator("#conflicts .conflict button").first().click()]);
  if ((await page.locator("#conflicts .conflict").count()) !== before - 1) fail("one click resolves the conflict");
  await page.screenshot({ path: `${shots}/05-record.png`, fullPage: true });

  // Hindi, on a 10-inch tablet.
  await page.setViewportSize({ width: 1280, height: 800 });
  await Promise.all([page.waitForNavigation(), page.click("#lang")]);
  const h1 = await page.textContent("header nav");
  if (!h1.includes("सारांश") || !h1.includes("समीक्षा कतार")) fail(`navigation in Hindi, got ${h1}`);
  if ((await page.getAttribute("html", "lang")) !== "hi") fail("the page says it is Hindi");
  await page.screenshot({ path: `${shots}/06-hindi.png`, fullPage: true });
  await page.goto(`${url}/console/overview`);
  await page.screenshot({ path: `${shots}/07-overview-hindi.png`, fullPage: true });

  // Nothing wider than the laptop's screen on the busiest page.
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(`${url}/console/responses`);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 1366) fail(`the responses page is ${wide}px wide on a 1366px screen`);

  // Enrol a phone: the answer shows its QR code.
  await page.goto(`${url}/console/devices`);
  await page.fill("#enrol input[name=name]", "browser-phone");
  await Promise.all([page.waitForNavigation(), page.click("#enrol button")]);
  if ((await page.locator("#qr svg").count()) !== 1) fail("enrolment shows a QR code");
  if (!(await page.textContent("#enrol-link")).startsWith("sangam://enrol?")) fail("and the enrolment link");
  await page.screenshot({ path: `${shots}/08-enrol-qr.png`, fullPage: true });

  // The later pages: each fits the laptop's width and the 10" tablet's, and shows its parts.
  const fits = async (name, width) => {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > width) fail(`${name} is ${w}px wide on a ${width}px screen`);
  };
  await page.goto(`${url}/console/r/${rid}`);
  const img = page.locator("#media img.thumb");
  if ((await img.count()) !== 1) fail("the record shows its photo");
  if ((await img.evaluate((el) => el.naturalWidth)) < 1) fail("and the photo loads under the page's security policy");
  const pages = [
    ["09-duplicates", "/console/duplicates", "section.pair"],
    ["10-subjects", "/console/subjects?q=Ramp", "table tbody tr td a"],
    ["11-meetings", "/console/meetings", "table tbody tr td a"],
    ["12-meeting", `/console/r/${meeting}`, "#actions tr.overdue"],
    ["13-actions", "/console/actions", "tr.overdue select[name=status]"],
    ["14-forms", "/console/forms", "input[type=file][name=form]"],
    ["15-exports", "/console/exports", "select[name=format]"],
    ["16-map", "/console/map?form=f", "svg.map circle"],
    ["17-bundles", "/console/bundles", "#bundle-import input[type=file][name=bundle]"],
  ];
  for (const [shot, path, want] of pages) {
    for (const [w, h] of [[1366, 768], [800, 1280]]) {
      await page.setViewportSize({ width: w, height: h });
      await page.goto(`${url}${path}`);
      if ((await page.locator(want).count()) < 1) fail(`${path} shows ${want}`);
      await fits(path, w);
    }
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`${url}${path}`);
    await page.screenshot({ path: `${shots}/${shot}.png`, fullPage: true });
  }

  // Sign out: the session is gone.
  await Promise.all([page.waitForNavigation(), page.click("header form[action='/console/logout'] button")]);
  await page.goto(`${url}/console/overview`);
  if (!page.url().endsWith("/console/login")) fail("signed out");

  if (external.length) fail(`the console fetched from elsewhere: ${external.join(", ")}`);
  if (errors.length) fail(`script errors: ${errors.join("; ")}`);
  console.log("console in Chromium: ok");
} finally {
  await browser.close();
}
