// console.js: drives Debian's headless chromium through sb-console's pages
// (tests/integration/0025-console-browser.sh): log in, filter alerts, open
// an alert and its timeline, a hostile title shown as text and running
// nothing, acknowledge and resolve an escalation, the rule chart drawn.
// Prints "ok: ..." or "FAIL: ..." per check; exits 1 when any failed.
// Usage: node console.js URL USER PASSWORD OUTDIR XSS_ALERT_ID ESCALATION_ID
'use strict';

const path = require('path');
const puppeteer = require('puppeteer-core');

const [url, user, password, outdir, xssId, escId] = process.argv.slice(2);
const XSS_TITLE = '<img src=x onerror=alert(1)>';
let failed = 0;

function check(ok, what, got) {
  if (ok) {
    console.log(`ok: ${what}`);
  } else {
    failed++;
    console.log(`FAIL: ${what}${got === undefined ? '' : `: got ${JSON.stringify(got)}`}`);
  }
}

async function shot(page, name) {
  await page.screenshot({path: path.join(outdir, `${name}.png`), fullPage: true});
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(15000);
  await page.setViewport({width: 1280, height: 900});
  const dialogs = [];
  const cspViolations = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  // anything fetched from elsewhere (the injected <img src=x> would be)
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));

  try {
    // ---- log in ----
    await page.goto(`${url}/login`);
    await shot(page, '01-login');
    await page.type('#user', user);
    await page.type('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('#login-button')]);
    await page.waitForFunction(() => document.getElementById('who').textContent.length > 0);
    const who = await page.$eval('#who', (e) => e.textContent);
    check(who === `${user} (responder)`, 'logged in', who);
    const cookies = await page.cookies();
    const session = cookies.find((c) => c.name === 'sb_session');
    check(session && session.httpOnly && session.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict', session);
    check(await page.evaluate(() => !document.cookie.includes('sb_session')), 'scripts cannot read the session cookie');

    // ---- alerts, filtered ----
    await page.waitForSelector('.alert-row');
    const all = await page.$$eval('.alert-row', (rows) => rows.length);
    check(all >= 4, 'the alerts list', all);
    await page.type('#filter-rule', 'vpn');
    await page.click('#filter-apply');
    await page.waitForFunction(() => window.location.hash.includes('rule=vpn'));
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('.alert-row')];
      return rows.length > 0 && rows.every((r) => r.children[3].textContent === 'vpn');
    });
    const vpn = await page.$$eval('.alert-row', (rows) => rows.length);
    check(vpn > 0 && vpn < all, 'filtered by rule', vpn);
    await shot(page, '02-alerts-filtered');

    // ---- an alert and its timeline ----
    await page.click('.alert-row a.alert-link');
    await page.waitForSelector('#timeline');
    const steps = await page.$$eval('.timeline-row', (rows) => rows.map((r) => r.children[2].textContent));
    check(steps.includes('prompted') && steps.includes('answered'), 'the timeline', steps);
    await shot(page, '03-alert');

    // ---- a hostile title is text ----
    await page.goto(`${url}/#/alert/${xssId}`);
    await page.waitForFunction((id) => {
      const f = document.getElementById('field-id');
      return f && f.textContent === id;
    }, {}, xssId);
    const title = await page.$eval('#alert-title', (e) => e.textContent);
    check(title === XSS_TITLE, 'the hostile title shown as text', title);
    const desc = await page.$eval('#field-description', (e) => e.textContent);
    check(desc.includes('<script>'), 'the hostile description shown as text', desc);
    check(await page.$$eval('#view img, #view script', (e) => e.length) === 0, 'no element made of it');
    check(await page.evaluate(() => window.__pwned === undefined), 'no script of it ran');
    const group = await page.$eval('#field-group_id a', (e) => e.getAttribute('href'));
    check(group === `#/alert/${'2'.repeat(64)}`, "a storm's member links to its group's question", group);
    await page.goto(`${url}/#/alerts?q=onerror`);
    await page.waitForSelector('.alert-row');
    const listed = await page.$eval('.alert-row a.alert-link', (e) => e.textContent);
    check(listed === XSS_TITLE, 'in the list too, as text', listed);
    check(await page.$$eval('#view img', (e) => e.length) === 0, 'no image in the list');
    await shot(page, '04-hostile-alert');

    // ---- acknowledge and resolve ----
    await page.goto(`${url}/#/escalations`);
    const row = `.escalation-row[data-id="${escId}"]`;
    await page.waitForSelector(`${row} button.ack`);
    await page.click(`${row} button.ack`);
    await page.waitForFunction((sel) => {
      const r = document.querySelector(sel);
      return r && r.querySelector('.acknowledged-by').textContent !== '';
    }, {}, row);
    const taken = await page.$eval(`${row} .acknowledged-by`, (e) => e.textContent);
    check(taken === `console:${user}`, 'acknowledged', taken);
    await page.select(`${row} select.verdict`, 'true_positive');
    await page.type(`${row} input.note`, 'rotated the keys');
    await page.click(`${row} button.resolve`);
    await page.waitForFunction((sel) => {
      const r = document.querySelector(sel);
      return r && r.querySelector('.verdict-shown').textContent === 'true_positive';
    }, {}, row);
    check(true, 'resolved as true_positive');
    await shot(page, '05-escalations');

    // ---- the rule chart ----
    await page.goto(`${url}/#/rules`);
    await page.waitForSelector('canvas#chart-outcomes');
    await page.waitForFunction(() => window.Chart && window.Chart.getChart('chart-outcomes'));
    const drawn = await page.evaluate(() => {
      const c = document.getElementById('chart-outcomes');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) painted++;
      const chart = window.Chart.getChart('chart-outcomes');
      return {painted, bars: chart.data.datasets[0].data.reduce((a, b) => a + b, 0)};
    });
    check(drawn.painted > 1000 && drawn.bars > 0, 'the rule chart drawn', drawn);
    // "not me" answers by source: the identity mappings to fix
    const wrong = await page.$$eval('#view tr.wrong-row td', (tds) => tds.map((t) => t.textContent));
    check(JSON.stringify(wrong) === '["test","1"]', 'the wrong-person counts by source', wrong);
    await shot(page, '06-rules');

    // ---- the other views draw ----
    for (const [view, sel] of [['employees', '.employee-row'], ['ignore', '#ignore-form'],
      ['dead-letters', 'h2'], ['create', '#create-form']]) {
      await page.goto(`${url}/#/${view}`);
      await page.waitForSelector(sel);
      await shot(page, `07-${view}`);
    }
    check(await page.$$eval('#create-form input', (e) => e.length) === 5, 'the other views');

    check(dialogs.length === 0, 'no dialog ever opened', dialogs);
    check(cspViolations.length === 0, 'no CSP violation', cspViolations);
    const foreign = requested.filter((u) => !u.startsWith(url));
    check(foreign.length === 0, 'nothing fetched from elsewhere', foreign);
    const broken = requested.filter((u) => u.endsWith('/x'));
    check(broken.length === 0, 'the injected image never requested', broken);
  } catch (e) {
    failed++;
    console.log(`FAIL: ${e.message}`);
    await shot(page, '99-failure').catch(() => {});
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}

main();
