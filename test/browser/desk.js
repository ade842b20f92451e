/* The desk in a real browser: Debian's headless Chromium driven by playwright-core (which
 * downloads no browser). test/integration/test_browser.sh starts the servers and runs this.
 *
 * Environment:
 *   KM_DESK_URL        the desk, http://127.0.0.1:PORT (required)
 *   KM_DESK_LOGIN, KM_DESK_PASSWORD    the operator who works the queue (required)
 *   KM_DESK_LOGIN2, KM_DESK_PASSWORD2  a second operator whose claim must show up live
 *   KM_DESK_ADMIN, KM_DESK_ADMIN_PASSWORD  an admin for the supervisor and users views
 *   KM_CHROMIUM        the browser (default /usr/bin/chromium)
 *   KM_SCREENSHOT      where the laptop screenshot goes (default build/desk.png); a phone
 *                      one goes beside it (NAME-phone.png)
 *   KM_RESULT          a JSON file for the script: {item, ticket, reply: {status, text}}
 *   KM_WAIT_S          how long to wait for the first posts (default 60)
 *
 * Prints "ok", "FAIL" and "skip" lines; exits 1 if anything failed. A step whose server
 * side is missing (404 from its route) is skipped with the reason, not failed. */
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const URL_ = process.env.KM_DESK_URL;
const LOGIN = process.env.KM_DESK_LOGIN;
const PASSWORD = process.env.KM_DESK_PASSWORD;
const SHOT = process.env.KM_SCREENSHOT || 'build/desk.png';
const WAIT_MS = Number(process.env.KM_WAIT_S || 60) * 1000;

let failures = 0;
let passed = 0;
const result = { item: null, ticket: null, reply: null, skipped: [] };

function ok(msg) {
    passed++;
    console.log('ok   ' + msg);
}

function fail(msg) {
    failures++;
    console.log('FAIL ' + msg);
}

function skip(msg) {
    result.skipped.push(msg);
    console.log('skip ' + msg);
}

function check(cond, msg, detail) {
    if (cond) {
        ok(msg);
    } else {
        fail(msg + (detail !== undefined ? ': ' + detail : ''));
    }
    return cond;
}

/* A second operator, through the API from here (not the page): login, then a claim. */
async function otherOperatorClaims(id) {
    const login = process.env.KM_DESK_LOGIN2;
    const res = await fetch(URL_ + '/api/login', { method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ login, password: process.env.KM_DESK_PASSWORD2, lang: 'ru' }) });
    if (!res.ok) {
        throw new Error('login of ' + login + ': HTTP ' + res.status);
    }
    const sess = await res.json();
    const cookie = (res.headers.get('set-cookie') || '').split(';')[0];
    const claim = await fetch(URL_ + '/api/items/' + encodeURIComponent(id) + '/claim', {
        method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie,
            'X-CSRF-Token': sess.csrf }, body: '{}' });
    return claim.status;
}

async function logIn(page) {
    await page.goto(URL_ + '/');
    await page.waitForSelector('#login-form', { state: 'visible' });
    check(await page.isVisible('#login-submit'), 'the login page loads');
    await page.fill('#login-login', LOGIN);
    await page.fill('#login-password', 'wrong-' + PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#login-error', { state: 'visible' });
    ok('a wrong password is refused on the page: '
        + (await page.textContent('#login-error')).trim());
    await page.fill('#login-password', PASSWORD);
    await page.selectOption('#login-lang', 'kk');
    await page.click('#login-submit');
    await page.waitForSelector('#view-queue', { state: 'visible', timeout: 15000 });
    check((await page.textContent('#tab-queue')).trim() === 'Кезек',
        'logged in; the interface is in Kazakh as chosen at login',
        await page.textContent('#tab-queue'));
    await page.selectOption('#lang-switch', 'en');
    check((await page.textContent('#tab-queue')).trim() === 'Queue', 'switched to English');
    await page.selectOption('#lang-switch', 'ru');
    check((await page.textContent('#tab-queue')).trim() === 'Очередь', 'switched to Russian');
    /* Survives only as long as the page is not reloaded. */
    await page.evaluate(() => { window.komekNoReload = true; });
}

async function rows(page) {
    return page.$$eval('#queue .row', (els) => els.map((e) => ({ id: e.dataset.id,
        prio: e.querySelector('.prio').textContent, sla: e.querySelector('.sla').textContent,
        due: Date.parse(e.querySelector('.sla').dataset.due),
        net: e.querySelector('.net').textContent,
        claim: (e.querySelector('.tag.claim') || {}).textContent || '' })));
}

/* Posts drip in from the fake networks: one that was not there must appear by itself. */
async function liveNewPost(page) {
    await page.waitForSelector('#queue .row', { timeout: WAIT_MS });
    const before = (await rows(page)).map((x) => x.id);
    try {
        await page.waitForFunction((ids) => [...document.querySelectorAll('#queue .row')]
            .some((r) => !ids.includes(r.dataset.id)), before, { timeout: 30000 });
        ok('a new post appeared in the queue without a reload (SSE post event)');
    } catch (e) {
        fail('no new post appeared within 30 s (' + before.length + ' rows; GET /api/stream?)');
    }
}

async function queueChecks(page) {
    await page.selectOption('#f-network', 'telegram');
    await page.waitForFunction(() => [...document.querySelectorAll('#queue .row .net')]
        .every((n) => n.textContent === 'telegram'), null, { timeout: 10000 });
    await page.waitForSelector('#queue .row', { timeout: WAIT_MS });
    /* two items, for the other operator's claim; more keep coming in */
    await page.waitForFunction(() => document.querySelectorAll('#queue .row').length >= 2,
        null, { timeout: 30000 }).catch(() => {});
    const r = await rows(page);
    check(r.length > 0 && r.every((x) => x.net === 'telegram'),
        'the network filter shows Telegram items only', r.length + ' rows');
    const prios = r.map((x) => Number(x.prio.slice(1)));
    check(prios.every((p, i) => i === 0 || prios[i - 1] < p
        || (prios[i - 1] === p && r[i - 1].due <= r[i].due)),
    'the queue is ordered by priority, then SLA due', r.map((x) => x.prio + '@'
        + new Date(x.due).toISOString()).join(' '));
    check(r.every((x) => /^−?\d+:\d\d/.test(x.sla)), 'every item shows an SLA countdown',
        r.map((x) => x.sla).join(' '));
    return r;
}

async function liveClaimCheck(page, r) {
    if (!process.env.KM_DESK_LOGIN2) {
        skip('claims by others: no second operator given');
        return;
    }
    if (r.length < 2) {
        skip('claims by others: fewer than two Telegram items');
        return;
    }
    const status = await otherOperatorClaims(r[1].id);
    if (status === 404) {
        skip('claims by others: POST /api/items/:id/claim answers 404 (DESK-API not ready)');
        return;
    }
    check(status === 200, 'a second operator claims the second item through the API',
        'HTTP ' + status);
    const login2 = process.env.KM_DESK_LOGIN2;
    try {
        await page.waitForFunction(([id, who]) => {
            const row = document.querySelector('#queue .row[data-id="' + CSS.escape(id) + '"]');
            return row && (row.querySelector('.tag.claim') || {}).textContent
                && row.querySelector('.tag.claim').textContent.includes(who);
        }, [r[1].id, login2], { timeout: 10000 });
        ok('the other operator\'s claim shows on the page live (SSE claim event)');
    } catch (e) {
        fail('the other operator\'s claim did not show within 10 s (GET /api/stream claim)');
    }
}

async function claimTop(page, top) {
    result.item = top.id;
    await page.click('#queue .row[data-id="' + top.id.replace(/"/g, '\\"') + '"]');
    await page.waitForSelector('#panel #post-text', { state: 'visible' });
    check((await page.textContent('#post-text')).trim().length > 0,
        'the item panel shows the post (' + top.id + ')');
    await page.keyboard.press('c');
    await page.waitForSelector('#claim-state.mine', { timeout: 10000 });
    ok('claimed the top item with the C key');
}

async function createTicket(page) {
    const item = await page.evaluate(async (id) =>
        (await fetch('/api/items/' + encodeURIComponent(id))).json(), result.item);
    await page.click('#act-ticket');
    await page.waitForSelector('#dlg[open] #t-category');
    check(await page.inputValue('#t-category') === (item.category || 'other'),
        'the ticket form is prefilled with the triage category', item.category);
    check(await page.inputValue('#t-agency') === (item.agency || ''),
        'the ticket form is prefilled with the agency', item.agency);
    await page.fill('#t-note', 'browser test: created from the desk page');
    const [resp] = await Promise.all([
        page.waitForResponse((x) => x.url().endsWith('/ticket') && x.request().method() === 'POST'),
        page.click('#dlg-submit'),
    ]);
    const body = await resp.json().catch(() => ({}));
    if (!check(resp.status() === 201 && body.number, 'POST .../ticket answers 201 with a number',
        resp.status() + ' ' + JSON.stringify(body))) {
        return null;
    }
    result.ticket = body.number;
    await page.waitForFunction((n) => (document.querySelector('#ticket-number') || {})
        .textContent === n, body.number, { timeout: 10000 });
    ok('the panel shows ticket ' + body.number);
    return body.number;
}

async function reply(page, number) {
    const templates = page.waitForResponse((x) => x.url().includes('/api/templates'),
        { timeout: 10000 }).catch(() => null);
    await page.click('#act-reply');
    await page.waitForSelector('#dlg[open] #r-template');
    const tplResp = await templates;
    if (tplResp && tplResp.status() === 404) {
        skip('reply: GET /api/templates answers 404 (DESK-API/REPLY not ready)');
        return;
    }
    try {
        await page.waitForFunction(() => document.querySelectorAll('#r-template option')
            .length > 0, null, { timeout: 10000 });
    } catch (e) {
        skip('reply: no templates for the post\'s language (etc/replies.conf, REPLY)');
        return;
    }
    const preview = await page.inputValue('#r-text');
    check(preview.includes(number), 'the reply template is filled with the ticket number',
        preview);
    const [resp] = await Promise.all([
        page.waitForResponse((x) => x.url().endsWith('/reply') && x.request().method() === 'POST'),
        page.click('#dlg-submit'),
    ]);
    const body = await resp.json().catch(() => ({}));
    result.reply = { status: resp.status(), text: body.text || '', message_id: body.message_id };
    if (resp.status() === 404) {
        skip('reply: POST /api/items/:id/reply answers 404 (DESK-API/REPLY not ready)');
        return;
    }
    check(resp.status() === 200 && String(body.text || '').includes(number),
        'POST .../reply answers 200 with the text carrying the ticket number',
        resp.status() + ' ' + JSON.stringify(body));
    await page.waitForSelector('#dlg', { state: 'hidden', timeout: 5000 }).catch(() => {});
    check(!(await page.$eval('#dlg', (d) => d.open)), 'the reply dialog closed after sending');
}

async function screenshots(page, browser) {
    fs.mkdirSync(path.dirname(SHOT), { recursive: true });
    /* the whole queue beside the panel, and no toasts over it */
    await page.selectOption('#f-network', '');
    await page.waitForSelector('#queue .row', { timeout: 10000 }).catch(() => {});
    await page.evaluate(() => document.querySelectorAll('.toast').forEach((x) => x.remove()));
    await page.screenshot({ path: SHOT });
    ok('screenshot ' + SHOT);
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2, isMobile: true, hasTouch: true,
        storageState: await page.context().storageState() });
    const p2 = await phone.newPage();
    await p2.goto(URL_ + '/');
    await p2.waitForSelector('#view-queue', { state: 'visible', timeout: 15000 });
    await p2.waitForSelector('#queue .row', { timeout: 15000 }).catch(() => {});
    const wide = await p2.evaluate(() => document.documentElement.scrollWidth
        <= window.innerWidth + 1);
    check(wide, 'the queue fits a phone screen without sideways scrolling');
    const phoneShot = SHOT.replace(/\.png$/, '') + '-phone.png';
    await p2.screenshot({ path: phoneShot });
    ok('screenshot ' + phoneShot);
    await phone.close();
}

/* An admin's view: supervisor figures and charts, tags and lexicon validation, users. */
async function adminChecks(browser) {
    const login = process.env.KM_DESK_ADMIN;
    if (!login) {
        skip('supervisor and users views: no admin given');
        return;
    }
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await ctx.newPage();
    await page.goto(URL_ + '/');
    await page.fill('#login-login', login);
    await page.fill('#login-password', process.env.KM_DESK_ADMIN_PASSWORD);
    await page.selectOption('#login-lang', 'en');
    await page.click('#login-submit');
    await page.waitForSelector('#tab-supervisor', { state: 'visible', timeout: 15000 });
    await page.click('#tab-supervisor');
    try {
        await page.waitForSelector('#s-depth svg rect', { timeout: 10000 });
        await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#s-breaches-now')
            .textContent), null, { timeout: 10000 });
        ok('supervisor view: breaches ' + await page.textContent('#s-breaches-now')
            + ' now, depth chart drawn');
        await page.waitForSelector('#s-agencies svg, #s-agencies p', { timeout: 10000 });
        await page.waitForSelector('#s-problems svg, #s-problems p', { timeout: 10000 });
        await page.waitForSelector('#s-watch .chip', { timeout: 10000 });
        ok('supervisor view: ratings and ' + (await page.$$('#s-watch .chip')).length
            + ' watched tags shown');
        await page.click('#w-validate');
        await page.waitForSelector('#w-status', { timeout: 10000 });
        check(await page.textContent('#w-status') === 'No errors.',
            'supervisor view: "Validate" finds the shipped tags and lexicon valid',
            await page.textContent('#w-result'));
        const shot = SHOT.replace(/\.png$/, '') + '-supervisor.png';
        await page.screenshot({ path: shot, fullPage: true });
        ok('screenshot ' + shot);
    } catch (e) {
        fail('supervisor view: ' + e.message.split('\n')[0]);
    }
    await page.click('#tab-users');
    try {
        await page.waitForFunction((who) => [...document.querySelectorAll('#users-table td')]
            .some((td) => td.textContent === who), LOGIN, { timeout: 10000 });
        ok('users view lists ' + LOGIN);
    } catch (e) {
        fail('users view does not list ' + LOGIN);
    }
    await ctx.close();
}

async function main() {
    if (!URL_ || !LOGIN || !PASSWORD) {
        console.error('desk.js: set KM_DESK_URL, KM_DESK_LOGIN and KM_DESK_PASSWORD');
        process.exit(2);
    }
    const browser = await chromium.launch({
        executablePath: process.env.KM_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        /* root in a container: Chromium's sandbox needs user namespaces it may not get */
        args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    const problems = [];
    try {
        const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 },
            locale: 'ru-RU' });
        const page = await ctx.newPage();
        page.on('pageerror', (e) => problems.push('page error: ' + e.message));
        page.on('console', (m) => {
            if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) {
                problems.push('console: ' + m.text());
            }
        });
        await logIn(page);
        await liveNewPost(page);
        const r = await queueChecks(page);
        await liveClaimCheck(page, r);
        const top = (await rows(page)).find((x) => !x.claim) || r[0];
        await claimTop(page, top);
        const number = await createTicket(page);
        if (number) {
            await reply(page, number);
        } else {
            skip('reply: no ticket was created');
        }
        check(await page.evaluate(() => window.komekNoReload === true),
            'the page was never reloaded (live updates only)');
        await screenshots(page, browser);
        await adminChecks(browser);
        check(problems.length === 0, 'no script errors or CSP violations', problems.join('; '));
    } catch (e) {
        fail('browser run stopped: ' + (e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ')
            : e));
    } finally {
        await browser.close();
    }
    if (process.env.KM_RESULT) {
        fs.writeFileSync(process.env.KM_RESULT, JSON.stringify(result) + '\n');
    }
    console.log('desk.js: ' + passed + ' passed, ' + failures + ' failed');
    process.exit(failures > 0 ? 1 : 0);
}

main();
