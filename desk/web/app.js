/* komek operator desk: the page's whole logic, plain JavaScript with no build step.
 *
 * Talks only to the desk's JSON API (README, "Operator desk"): a session cookie set by
 * POST /api/login, the csrf token it returns in X-CSRF-Token on every state change, and
 * live updates from GET /api/stream (server-sent events named post, ticket and claim).
 * Every element is built with DOM calls and textContent: post texts, names and handles
 * come from the public and are never parsed as HTML. Interface text is in i18n.js. */
'use strict';

(function () {
    const I18N = window.KM_I18N || {};
    const LANGS = ['ru', 'kk', 'en'];
    const NETWORKS = ['telegram', 'mastodon', 'vk', 'rss', 'bluesky', 'x', 'instagram', 'json'];
    const CATEGORIES = ['snow', 'flooding', 'roads', 'manholes', 'transport', 'medical',
        'electricity', 'heating', 'water', 'gas', 'stray_animals', 'schools', 'garbage',
        'lighting', 'parking', 'greenery', 'public_order', 'elevator', 'consultation',
        'gratitude', 'other'];
    const ROLES = ['operator', 'supervisor', 'admin'];
    const ROLE_RANK = { operator: 1, supervisor: 2, admin: 3 };
    const DISMISS_KINDS = ['duplicate', 'spam', 'not_for_us'];
    /* A burst of new posts causes one queue reload, not one per post. */
    const REFRESH_DEBOUNCE_MS = 400;
    /* Safety net under the live stream: the queue is re-read this often anyway. */
    const QUEUE_POLL_MS = 60000;
    /* How long a toast stays. */
    const TOAST_MS = 6000;
    /* A held claim is renewed when less than this share of its lease is left, and only if
     * the operator touched the page since: a claim must lapse when they walk away. */
    const RENEW_SHARE = 0.5;

    const state = {
        session: null,
        lang: 'ru',
        view: 'queue',
        items: [],
        known: { network: new Set(NETWORKS), category: new Set(CATEGORIES),
            source: new Set(), lang: new Set(LANGS) },
        filters: { network: '', category: '', source: '', lang: '', priority: '' },
        skew: 0,            /* server clock minus ours, ms */
        selected: null,     /* id of the highlighted queue row */
        open: null,         /* the item shown in the panel (GET /api/items/:id) */
        openId: null,
        claimSpan: 0,       /* lease length seen at our last claim, ms */
        activity: false,    /* the operator did something since the last renewal */
        stream: null,
        seenIds: new Set(),
        fresh: new Set(),   /* ids that arrived live, highlighted once */
        timers: {},
    };

    /* ---- small helpers ---------------------------------------------------------------- */

    function $(id) {
        return document.getElementById(id);
    }

    /* h('div', {class: 'x', onclick: fn}, 'text', child...) */
    function h(tag, attrs, ...kids) {
        const el = document.createElement(tag);
        setAttrs(el, attrs);
        appendKids(el, kids);
        return el;
    }

    function s(tag, attrs, ...kids) {
        const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
        setAttrs(el, attrs);
        appendKids(el, kids);
        return el;
    }

    function setAttrs(el, attrs) {
        for (const [k, v] of Object.entries(attrs || {})) {
            if (v === null || v === undefined || v === false) {
                continue;
            }
            if (k.startsWith('on') && typeof v === 'function') {
                el.addEventListener(k.slice(2), v);
            } else if (k === 'dataset') {
                Object.assign(el.dataset, v);
            } else {
                el.setAttribute(k, v === true ? '' : String(v));
            }
        }
    }

    function appendKids(el, kids) {
        for (const k of kids.flat(Infinity)) {
            if (k === null || k === undefined || k === false) {
                continue;
            }
            el.append(k instanceof Node ? k : String(k));
        }
    }

    /* Replaces el's children; unlike replaceChildren() it skips null and false. */
    function fill(el, ...kids) {
        el.replaceChildren();
        appendKids(el, kids);
        return el;
    }

    function t(key, vars) {
        const table = I18N[state.lang] || {};
        let str = table[key];
        if (str === undefined) {
            str = (I18N.en || {})[key];
        }
        if (str === undefined) {
            return key;
        }
        return str.replace(/\{(\w+)\}/g, (m, name) =>
            vars && vars[name] !== undefined ? String(vars[name]) : m);
    }

    /* A category's name in the interface language, or the code itself. */
    function catName(code) {
        const key = 'cat.' + code;
        const v = t(key);
        return v === key ? code : v;
    }

    function applyI18n(root) {
        root.querySelectorAll('[data-i18n]').forEach((el) => {
            el.textContent = t(el.dataset.i18n);
        });
        document.documentElement.lang = state.lang;
    }

    function locale() {
        return { ru: 'ru-RU', kk: 'kk-KZ', en: 'en-GB' }[state.lang] || 'ru-RU';
    }

    function now() {
        return Date.now() + state.skew;
    }

    /* RFC 3339 (or Unix ms) to Unix ms; null when absent or unreadable. */
    function ms(iso) {
        const v = !iso ? NaN : /^\d{10,}$/.test(String(iso)) ? Number(iso) : Date.parse(iso);
        return Number.isNaN(v) ? null : v;
    }

    function fmtTime(iso) {
        const v = ms(iso);
        if (v === null) {
            return '';
        }
        const d = new Date(v);
        const today = new Date(now()).toDateString() === d.toDateString();
        const opts = today ? { hour: '2-digit', minute: '2-digit' }
            : { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' };
        return d.toLocaleString(locale(), opts);
    }

    function pad2(n) {
        return String(n).padStart(2, '0');
    }

    /* 7:05, 1:02:03; a leading minus once the deadline has passed. */
    function fmtCountdown(left) {
        const neg = left < 0;
        let sec = Math.floor(Math.abs(left) / 1000);
        const hours = Math.floor(sec / 3600);
        sec -= hours * 3600;
        const mins = Math.floor(sec / 60);
        sec -= mins * 60;
        const body = hours > 0 ? hours + ':' + pad2(mins) + ':' + pad2(sec) : mins + ':' + pad2(sec);
        return (neg ? '−' : '') + body;
    }

    /* Priorities arrive as 1..4 or "P1".."P4"; the API takes 1..4. */
    function prio(p) {
        const n = typeof p === 'number' ? p : parseInt(String(p || '').replace(/^P/i, ''), 10);
        return n >= 1 && n <= 4 ? n : 4;
    }

    function safeUrl(u) {
        return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null;
    }

    function enc(id) {
        return encodeURIComponent(id);
    }

    function show(el, on) {
        el.hidden = !on;
    }

    function toast(text, kind) {
        const el = h('div', { class: 'toast ' + (kind || 'ok') }, text);
        $('toasts').append(el);
        setTimeout(() => el.remove(), TOAST_MS);
    }

    function debounce(name, delay, fn) {
        clearTimeout(state.timers[name]);
        state.timers[name] = setTimeout(fn, delay);
    }

    /* ---- API -------------------------------------------------------------------------- */

    class ApiError extends Error {
        constructor(status, data, retryAfter) {
            super((data && data.error) || ('HTTP ' + status));
            this.status = status;
            this.data = data || {};
            this.retryAfter = retryAfter;
        }
    }

    async function api(method, path, body) {
        const headers = { Accept: 'application/json' };
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
        }
        if (method !== 'GET' && method !== 'HEAD' && state.session && state.session.csrf) {
            headers['X-CSRF-Token'] = state.session.csrf;
        }
        let res;
        try {
            res = await fetch(path, { method, headers, credentials: 'same-origin',
                body: body === undefined ? undefined : JSON.stringify(body) });
        } catch (e) {
            throw new ApiError(0, { error: t('err.network') });
        }
        let data = null;
        if ((res.headers.get('Content-Type') || '').includes('json')) {
            data = await res.json().catch(() => null);
        }
        if (!res.ok) {
            if (res.status === 401 && path !== '/api/login' && state.session) {
                sessionLost();
            }
            throw new ApiError(res.status, data, res.headers.get('Retry-After'));
        }
        return data || {};
    }

    /* What an operator reads for a failed call. */
    function errText(e) {
        if (!(e instanceof ApiError)) {
            return String(e && e.message ? e.message : e);
        }
        const d = e.data || {};
        switch (e.status) {
        case 0: return t('err.network');
        case 401: return t('err.401');
        case 403: return d.error === 'csrf' ? t('err.csrf') : t('err.403');
        case 404: return t('err.404');
        case 409: return d.claimed_by ? t('err.claimed', { login: d.claimed_by })
            : t('err.409', { msg: d.error || '' });
        case 429: return t('err.429', { s: e.retryAfter || '?' });
        case 502: return t('err.502', { msg: d.error || '' });
        case 503: return t('err.503');
        default: return d.error ? String(d.error) : t('err.other', { code: e.status });
        }
    }

    /* ---- session ---------------------------------------------------------------------- */

    function pickLang(l) {
        return LANGS.includes(l) ? l : 'ru';
    }

    function setLang(lang) {
        state.lang = pickLang(lang);
        try {
            localStorage.setItem('komek.lang', state.lang);
        } catch (e) { /* private mode: the choice lasts for this page only */ }
        $('lang-switch').value = state.lang;
        $('login-lang').value = state.lang;
        applyI18n(document);
        setLive($('live').dataset.state || 'off');
        renderFilters();
        renderRoleOptions();
        if (state.session) {
            renderView();
        }
    }

    function storedLang() {
        try {
            const l = localStorage.getItem('komek.lang');
            if (l) {
                return l;
            }
        } catch (e) { /* ignore */ }
        const nav = (navigator.language || '').slice(0, 2);
        return nav === 'kk' ? 'kk' : nav === 'en' ? 'en' : 'ru';
    }

    function hasStoredLang() {
        try {
            return !!localStorage.getItem('komek.lang');
        } catch (e) {
            return false;
        }
    }

    async function boot() {
        const picked = hasStoredLang();
        setLang(storedLang());
        wireStatic();
        try {
            const sess = await api('GET', '/api/session');
            /* a reload keeps the language last picked on this browser */
            startSession(sess, picked ? state.lang : sess.lang);
        } catch (e) {
            showLogin();
        }
    }

    function showLogin() {
        stopSession();
        $('top').hidden = true;
        for (const v of ['queue', 'supervisor', 'users']) {
            $('view-' + v).hidden = true;
        }
        show($('view-login'), true);
        $('login-password').value = '';
        $('login-login').focus();
    }

    function sessionLost() {
        showLogin();
        const el = $('login-error');
        el.textContent = t('login.expired');
        show(el, true);
    }

    async function submitLogin(ev) {
        ev.preventDefault();
        const err = $('login-error');
        show(err, false);
        $('login-submit').disabled = true;
        try {
            const sess = await api('POST', '/api/login', {
                login: $('login-login').value.trim(),
                password: $('login-password').value,
                lang: $('login-lang').value,
            });
            startSession(sess, sess.lang);
        } catch (e) {
            err.textContent = e.status === 401 ? t('login.wrong') : errText(e);
            show(err, true);
        } finally {
            $('login-submit').disabled = false;
        }
    }

    function startSession(sess, lang) {
        state.session = sess;
        setLang(lang || state.lang);
        show($('view-login'), false);
        $('top').hidden = false;
        $('me').textContent = (sess.name || sess.login) + ' · ' + t('role.' + sess.role);
        const rank = ROLE_RANK[sess.role] || 1;
        show($('tab-supervisor'), rank >= 2);
        show($('tab-users'), rank >= 3);
        switchView('queue');
        connectStream();
        state.timers.poll = setInterval(() => loadQueue(), QUEUE_POLL_MS);
        state.timers.tick = setInterval(tick, 1000);
        state.timers.renew = setInterval(maybeRenew, 5000);
    }

    function stopSession() {
        state.session = null;
        if (state.stream) {
            state.stream.close();
            state.stream = null;
        }
        for (const k of ['poll', 'tick', 'renew']) {
            clearInterval(state.timers[k]);
        }
        state.items = [];
        state.open = null;
        state.openId = null;
        setLive('off');
    }

    async function logout() {
        try {
            await api('POST', '/api/logout', {});
        } catch (e) { /* the session is gone either way */ }
        showLogin();
    }

    /* ---- views ------------------------------------------------------------------------ */

    function switchView(view) {
        const rank = state.session ? ROLE_RANK[state.session.role] || 1 : 0;
        if ((view === 'supervisor' && rank < 2) || (view === 'users' && rank < 3)) {
            view = 'queue';
        }
        state.view = view;
        for (const v of ['queue', 'supervisor', 'users']) {
            show($('view-' + v), v === view);
            $('tab-' + v).classList.toggle('active', v === view);
        }
        renderView();
    }

    function renderView() {
        if (state.view === 'queue') {
            loadQueue();
            if (state.openId) {
                renderPanel();
            }
        } else if (state.view === 'supervisor') {
            loadSupervisor();
        } else if (state.view === 'users') {
            loadUsers();
        }
    }

    function wireStatic() {
        $('login-form').addEventListener('submit', submitLogin);
        $('login-lang').addEventListener('change', (e) => setLang(e.target.value));
        $('lang-switch').addEventListener('change', (e) => setLang(e.target.value));
        $('logout').addEventListener('click', logout);
        $('nav').addEventListener('click', (e) => {
            const v = e.target.closest('[data-view]');
            if (v) {
                switchView(v.dataset.view);
            }
        });
        $('filters').addEventListener('change', (e) => {
            const f = e.target.dataset.filter;
            if (f) {
                state.filters[f] = e.target.value;
                loadQueue();
            }
        });
        $('filters').addEventListener('submit', (e) => e.preventDefault());
        $('range').addEventListener('submit', (e) => {
            e.preventDefault();
            loadReports();
        });
        $('w-validate').addEventListener('click', () => watchAction('validate'));
        $('w-reload').addEventListener('click', () => watchAction('reload'));
        $('user-add').addEventListener('submit', addUser);
        document.addEventListener('keydown', onKey);
        for (const ev of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
            document.addEventListener(ev, () => { state.activity = true; }, { passive: true });
        }
    }

    /* ---- queue ------------------------------------------------------------------------ */

    function renderFilters() {
        const labels = { network: 'f.network', category: 'f.category', source: 'f.source',
            lang: 'f.lang', priority: 'f.priority' };
        for (const f of Object.keys(labels)) {
            const sel = $('f-' + f);
            const values = f === 'priority' ? ['1', '2', '3', '4']
                : [...state.known[f]].sort();
            fill(sel, h('option', { value: '' }, t(labels[f])));
            for (const v of values) {
                const label = f === 'category' ? catName(v) : f === 'priority' ? 'P' + v
                    : f === 'lang' ? v.toUpperCase() : v;
                sel.append(h('option', { value: v }, label));
            }
            sel.value = state.filters[f];
            sel.setAttribute('aria-label', t(labels[f]));
        }
    }

    function queueQuery() {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(state.filters)) {
            if (v) {
                q.set(k, v);
            }
        }
        q.set('limit', '200');
        return '/api/queue?' + q.toString();
    }

    async function loadQueue() {
        if (!state.session) {
            return;
        }
        try {
            const data = await api('GET', queueQuery());
            const server = ms(data.now);
            if (server !== null) {
                state.skew = server - Date.now();
            }
            setItems(data.items || []);
            show($('queue-error'), false);
        } catch (e) {
            if (e.status !== 401) {
                $('queue-error').textContent = errText(e);
                show($('queue-error'), true);
            }
        }
    }

    function setItems(items) {
        let grew = false;
        for (const it of items) {
            for (const f of ['network', 'category', 'source', 'lang']) {
                if (it[f] && !state.known[f].has(it[f])) {
                    state.known[f].add(it[f]);
                    grew = true;
                }
            }
            if (state.seenIds.size > 0 && !state.seenIds.has(it.id)) {
                state.fresh.add(it.id);
            }
        }
        for (const it of items) {
            state.seenIds.add(it.id);
        }
        state.items = items;
        sortItems();
        if (grew) {
            renderFilters();
        }
        renderQueue();
    }

    function sortItems() {
        state.items.sort((a, b) => prio(a.priority) - prio(b.priority)
            || (ms(a.sla_due) || Infinity) - (ms(b.sla_due) || Infinity));
    }

    function claimHolder(it) {
        const exp = ms(it.claim_expires);
        if (!it.claimed_by || (exp !== null && exp <= now())) {
            return null;
        }
        return it.claimed_by;
    }

    function mine(it) {
        return state.session && claimHolder(it) === state.session.login;
    }

    function isBreached(it) {
        const due = ms(it.sla_due);
        return !!it.breached || (due !== null && due <= now());
    }

    function renderQueue() {
        const list = $('queue');
        fill(list, ...state.items.map(renderRow));
        show($('queue-empty'), state.items.length === 0);
        $('queue-count').textContent = t('queue.count', { n: state.items.length });
        document.title = '(' + state.items.length + ') komek';
        state.fresh.clear();
        if (state.selected && !state.items.some((i) => i.id === state.selected)) {
            state.selected = null;
        }
        highlight();
        tick();
    }

    function renderRow(it) {
        const holder = claimHolder(it);
        const p = prio(it.priority);
        const author = it.author || {};
        const row = h('li', {
            class: 'row p' + p + (isBreached(it) ? ' breached' : '')
                + (state.fresh.has(it.id) ? ' fresh' : '') + (holder ? ' claimed' : '')
                + (it.id === state.openId ? ' open' : ''),
            dataset: { id: it.id }, tabindex: '0',
            onclick: () => openItem(it.id),
        },
        h('span', { class: 'prio' }, 'P' + p),
        h('span', { class: 'sla', dataset: { due: it.sla_due || '' } }),
        h('span', { class: 'meta' },
            h('span', { class: 'net net-' + it.network }, it.network || ''),
            it.source && it.source !== it.network ? h('span', { class: 'src' }, it.source) : null,
            h('span', { class: 'cat' }, catName(it.category || 'other')),
            it.lang ? h('span', { class: 'lang' }, String(it.lang).toUpperCase()) : null,
            it.incident && it.incident_posts > 1 ? h('span', { class: 'tag inc' },
                t('item.incident_short', { n: it.incident_posts })) : null,
            holder ? h('span', { class: 'tag claim' + (mine(it) ? ' mine' : '') },
                mine(it) ? t('claim.mine_short') : t('claim.by', { login: holder })) : null),
        h('span', { class: 'who' }, author.name || author.handle || ''),
        h('span', { class: 'text' }, it.text || ''));
        return row;
    }

    /* Once a second: the countdowns and the breached marks, without rebuilding the list. */
    function tick() {
        const n = now();
        document.querySelectorAll('.sla[data-due]').forEach((el) => {
            const due = ms(el.dataset.due);
            if (due === null) {
                el.textContent = '';
                return;
            }
            el.textContent = fmtCountdown(due - n);
            const row = el.closest('.row, .panel-head');
            el.classList.toggle('over', due <= n);
            if (row && due <= n) {
                row.classList.add('breached');
            }
        });
        const exp = document.querySelector('[data-claim-expires]');
        if (exp) {
            const left = ms(exp.dataset.claimExpires) - n;
            exp.textContent = left > 0 ? fmtCountdown(left) : t('claim.lapsed');
        }
    }

    function highlight() {
        document.querySelectorAll('#queue .row').forEach((r) => {
            r.classList.toggle('sel', r.dataset.id === state.selected);
            r.classList.toggle('open', r.dataset.id === state.openId);
        });
    }

    function moveSelection(step) {
        if (state.items.length === 0) {
            return;
        }
        let i = state.items.findIndex((it) => it.id === state.selected);
        i = i < 0 ? 0 : Math.min(state.items.length - 1, Math.max(0, i + step));
        state.selected = state.items[i].id;
        highlight();
        const row = document.querySelector('#queue .row.sel');
        if (row) {
            row.scrollIntoView({ block: 'nearest' });
        }
    }

    /* ---- live updates ----------------------------------------------------------------- */

    function setLive(st) {
        const el = $('live');
        el.dataset.state = st;
        el.textContent = t('live.' + st);
    }

    function connectStream() {
        if (state.stream) {
            state.stream.close();
        }
        const es = new EventSource('/api/stream');
        state.stream = es;
        setLive('connecting');
        es.onopen = () => setLive('on');
        es.onerror = () => {
            if (es.readyState === EventSource.CLOSED) {
                setLive('off');
                /* Refused outright (session gone?): ask, then try again a bit later. */
                setTimeout(async () => {
                    if (state.stream !== es || !state.session) {
                        return;
                    }
                    try {
                        await api('GET', '/api/session');
                        connectStream();
                    } catch (e) { /* sessionLost() took over on 401 */ }
                }, 5000);
            } else {
                setLive('connecting');
            }
        };
        es.addEventListener('post', () => debounce('queue', REFRESH_DEBOUNCE_MS, loadQueue));
        es.addEventListener('ticket', (ev) => onTicketEvent(parse(ev.data)));
        es.addEventListener('claim', (ev) => onClaimEvent(parse(ev.data)));
        /* the server lost our place in the streams: read everything again */
        es.addEventListener('resync', () => {
            loadQueue();
            if (state.openId) {
                openItem(state.openId, true);
            }
        });
    }

    function parse(s) {
        try {
            return JSON.parse(s) || {};
        } catch (e) {
            return {};
        }
    }

    function onClaimEvent(d) {
        const id = d.item;
        if (d.type !== 'claim' && d.type !== 'release' && d.type !== 'expire') {
            /* an action other than a claim: the item may have left the queue */
            debounce('queue', REFRESH_DEBOUNCE_MS, loadQueue);
            if (id && id === state.openId) {
                debounce('panel', REFRESH_DEBOUNCE_MS, () => openItem(id, true));
            }
            return;
        }
        const claimed = d.type === 'claim';
        const it = state.items.find((i) => i.id === id);
        if (it) {
            it.claimed_by = claimed ? d.login : null;
            it.claim_expires = claimed ? d.expires : null;
            const row = document.querySelector('#queue .row[data-id="' + CSS.escape(id) + '"]');
            if (row) {
                row.replaceWith(renderRow(it));
                highlight();
                tick();
            }
        }
        if (state.open && id === state.openId) {
            state.open.claimed_by = claimed ? d.login : null;
            state.open.claim_expires = claimed ? d.expires : null;
            renderPanel();
        }
    }

    function onTicketEvent(d) {
        debounce('queue', REFRESH_DEBOUNCE_MS, loadQueue);
        const o = state.open;
        if (!o) {
            return;
        }
        const num = d.number || d.ticket;
        const related = (o.ticket && o.ticket.number === num) || d.item === o.id
            || d.post === o.id || (num && !o.ticket);
        if (related) {
            debounce('panel', REFRESH_DEBOUNCE_MS, () => openItem(o.id, true));
        }
    }

    /* ---- the item panel --------------------------------------------------------------- */

    async function openItem(id, quiet) {
        state.openId = id;
        state.selected = id;
        highlight();
        try {
            const item = await api('GET', '/api/items/' + enc(id));
            if (state.openId !== id) {
                return;
            }
            state.open = item;
            renderPanel();
        } catch (e) {
            if (!quiet) {
                toast(errText(e), 'bad');
            }
        }
    }

    function closePanel() {
        state.open = null;
        state.openId = null;
        show($('panel'), false);
        document.body.classList.remove('panel-open');
        highlight();
    }

    function renderPanel() {
        const it = state.open;
        const panel = $('panel');
        if (!it) {
            return;
        }
        fill(panel, [panelHead(it), claimLine(it), actionBar(it), postBlock(it),
            reasonsBlock(it), ticketBlock(it), listBlock('item.duplicates', it.duplicates),
            listBlock('item.incident_items', it.incident_items), eventsBlock(it.events),
            rawBlock(it)]);
        show(panel, true);
        document.body.classList.add('panel-open');
        tick();
    }

    function panelHead(it) {
        const p = prio(it.priority);
        return h('div', { class: 'panel-head p' + p + (isBreached(it) ? ' breached' : '') },
            h('span', { class: 'prio' }, 'P' + p),
            h('span', { class: 'sla', dataset: { due: it.sla_due || '' },
                title: t('item.sla') }),
            h('span', { class: 'net net-' + it.network }, it.network || ''),
            h('span', { class: 'cat' }, catName(it.category || 'other')),
            h('span', { class: 'spacer' }),
            h('button', { type: 'button', class: 'ghost close', id: 'panel-close',
                'aria-label': t('act.close'), onclick: closePanel }, '×'));
    }

    function claimLine(it) {
        const holder = claimHolder(it);
        let text;
        if (!holder) {
            text = t('claim.none');
        } else if (mine(it)) {
            return h('p', { class: 'claimline mine', id: 'claim-state' }, t('claim.mine') + ' ',
                h('span', { dataset: { claimExpires: it.claim_expires || '' } }));
        } else {
            text = t('claim.by', { login: holder });
        }
        return h('p', { class: 'claimline' + (holder ? ' other' : ''), id: 'claim-state' }, text);
    }

    function actionBar(it) {
        const held = mine(it);
        const hasTicket = !!(it.ticket && it.ticket.number);
        const b = (id, key, label, fn, extra) => h('button', Object.assign({ type: 'button',
            id: 'act-' + id, onclick: fn }, extra || {}), h('kbd', {}, key), ' ', t(label));
        return h('div', { class: 'actionbar' },
            held ? b('release', 'U', 'act.release', releaseItem)
                : b('claim', 'C', 'act.claim', claimItem, { class: 'primary' }),
            b('ticket', 'T', 'act.ticket', ticketDialog, { disabled: hasTicket }),
            b('attach', 'A', 'act.attach', attachDialog, { disabled: hasTicket }),
            b('dismiss', 'D', 'act.dismiss', dismissDialog, { disabled: hasTicket }),
            b('priority', 'P', 'act.priority', priorityDialog),
            b('reply', 'R', 'act.reply', replyDialog, { disabled: !hasTicket,
                title: hasTicket ? null : t('reply.need_ticket') }));
    }

    function postBlock(it) {
        const a = it.author || {};
        const url = safeUrl(it.url);
        return h('section', { class: 'post' },
            h('div', { class: 'author' },
                h('strong', {}, a.name || a.handle || a.id || '?'),
                a.handle ? h('span', { class: 'muted' }, ' @' + String(a.handle).replace(/^@/, ''))
                    : null,
                it.chat && it.chat.title ? h('span', { class: 'muted' }, ' · ' + it.chat.title)
                    : null),
            h('div', { class: 'muted small' },
                [it.network, it.source, fmtTime(it.created_at),
                    it.lang ? String(it.lang).toUpperCase() : null].filter(Boolean).join(' · '),
                url ? [' · ', h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' },
                    t('item.open_original'))] : null),
            h('p', { class: 'posttext', id: 'post-text' }, it.text || ''),
            it.agency ? h('p', { class: 'small' }, h('span', { class: 'muted' },
                t('item.agency') + ': '), it.agency) : null,
            it.dup_of ? h('p', { class: 'small' }, t('item.dup_of', { id: it.dup_of })) : null);
    }

    function describe(v) {
        if (v === null || v === undefined) {
            return '';
        }
        if (typeof v !== 'object') {
            return String(v);
        }
        return Object.entries(v).filter(([, x]) => x !== null && x !== '')
            .map(([k, x]) => k + ': ' + (typeof x === 'object' ? JSON.stringify(x) : x))
            .join(', ');
    }

    function reasonsBlock(it) {
        const r = it.reasons || [];
        return h('section', { class: 'block' }, h('h4', {}, t('item.reasons'),
            it.urgency !== undefined && it.urgency !== null
                ? h('span', { class: 'muted' }, ' · ' + t('item.urgency') + ' ' + it.urgency)
                : null),
        r.length ? h('ul', { class: 'reasons' }, r.map((x) => h('li', {}, describe(x))))
            : h('p', { class: 'muted' }, '—'));
    }

    function ticketBlock(it) {
        const tk = it.ticket;
        if (!tk) {
            return h('section', { class: 'block' }, h('h4', {}, t('item.ticket')),
                h('p', { class: 'muted', id: 'ticket-none' }, t('item.no_ticket')));
        }
        const rows = [];
        for (const [k, v] of Object.entries(tk)) {
            if (k === 'number' || k === 'events' || k === 'posts' || v === null
                || typeof v === 'object') {
                continue;
            }
            rows.push(h('dt', {}, t('tk.' + k) === 'tk.' + k ? k : t('tk.' + k)),
                h('dd', {}, ticketValue(k, v)));
        }
        return h('section', { class: 'block' }, h('h4', {}, t('item.ticket')),
            h('p', { class: 'ticketno', id: 'ticket-number' }, tk.number), h('dl', {}, rows));
    }

    function ticketValue(k, v) {
        if (k === 'status') {
            return t('status.' + v);
        }
        if (k === 'category') {
            return catName(v);
        }
        if (k === 'priority') {
            return 'P' + prio(v);
        }
        if (typeof v === 'boolean') {
            return t(v ? 'common.yes' : 'common.no');
        }
        return k.endsWith('_at') || k.endsWith('_due') ? fmtTime(v) : String(v);
    }

    function listBlock(title, items) {
        if (!items || items.length === 0) {
            return null;
        }
        return h('section', { class: 'block' }, h('h4', {}, t(title), ' (' + items.length + ')'),
            h('ul', { class: 'minis' }, items.map((x) => h('li', {},
                h('span', { class: 'muted' }, [x.network, (x.author || {}).name || '',
                    fmtTime(x.created_at)].filter(Boolean).join(' · ')),
                h('div', {}, x.text || x.id)))));
    }

    function eventsBlock(events) {
        if (!events || events.length === 0) {
            return null;
        }
        return h('section', { class: 'block' }, h('h4', {}, t('item.events')),
            h('ul', { class: 'events' }, events.map((e) => h('li', {},
                h('span', { class: 'muted' }, fmtTime(e.at || e.created_at || e.time) + ' '),
                h('strong', {}, e.type || e.kind || ''), ' ',
                e.actor || e.login || '', e.note || e.reason ? ' — ' + (e.note || e.reason)
                    : ''))));
    }

    function rawBlock(it) {
        if (!it.post) {
            return null;
        }
        return h('details', { class: 'block raw' }, h('summary', {}, t('item.raw')),
            h('pre', {}, JSON.stringify(it.post, null, 2)));
    }

    /* ---- actions ---------------------------------------------------------------------- */

    function itemPath(suffix) {
        return '/api/items/' + enc(state.open.id) + '/' + suffix;
    }

    function applyClaim(r) {
        const it = state.open;
        it.claimed_by = r.claimed_by || state.session.login;
        it.claim_expires = r.claim_expires || null;
        const exp = ms(it.claim_expires);
        state.claimSpan = exp !== null ? exp - now() : 0;
        state.activity = false;
        const row = state.items.find((i) => i.id === it.id);
        if (row) {
            row.claimed_by = it.claimed_by;
            row.claim_expires = it.claim_expires;
        }
    }

    async function claimItem() {
        if (!state.open) {
            return false;
        }
        try {
            applyClaim(await api('POST', itemPath('claim'), {}));
            renderPanel();
            renderQueue();
            return true;
        } catch (e) {
            toast(errText(e), 'bad');
            if (e.status === 409 && e.data.claimed_by) {
                state.open.claimed_by = e.data.claimed_by;
                renderPanel();
            }
            return false;
        }
    }

    /* Actions need the claim: take it first when nobody (or we) hold it. */
    async function ensureClaim() {
        if (!state.open) {
            return false;
        }
        return mine(state.open) ? true : claimItem();
    }

    async function releaseItem() {
        try {
            await api('POST', itemPath('release'), {});
            state.open.claimed_by = null;
            state.open.claim_expires = null;
            renderPanel();
            loadQueue();
        } catch (e) {
            toast(errText(e), 'bad');
        }
    }

    async function maybeRenew() {
        const it = state.open;
        if (!it || !mine(it) || !state.activity || state.claimSpan <= 0) {
            return;
        }
        const left = ms(it.claim_expires) - now();
        if (left < state.claimSpan * RENEW_SHARE) {
            try {
                applyClaim(await api('POST', itemPath('claim'), {}));
                renderPanel();
            } catch (e) {
                toast(errText(e), 'bad');
            }
        }
    }

    /* One dialog for every action: fields, a submit that calls the API, errors inline. */
    function openDialog(title, fields, submitLabel, onSubmit) {
        const dlg = $('dlg');
        const err = h('p', { class: 'error', role: 'alert', hidden: true });
        const ok = h('button', { type: 'submit', class: 'primary', id: 'dlg-submit' },
            t(submitLabel));
        const form = h('form', { class: 'dlg-form', id: 'dlg-form' }, h('h3', {}, t(title)),
            fields, err, h('div', { class: 'actions' },
                h('button', { type: 'button', id: 'dlg-cancel', onclick: () => dlg.close() },
                    t('act.cancel')), ok));
        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            ok.disabled = true;
            show(err, false);
            try {
                await onSubmit(form);
                dlg.close();
            } catch (e) {
                err.textContent = errText(e);
                show(err, true);
            } finally {
                ok.disabled = false;
            }
        });
        fill(dlg, form);
        dlg.showModal();
        const first = form.querySelector('input:not([type=hidden]), select, textarea');
        if (first) {
            first.focus();
        }
        return form;
    }

    function field(label, control) {
        return h('label', { class: 'field' }, h('span', {}, t(label)), control);
    }

    function select(id, options, value) {
        const el = h('select', { id }, options.map(([v, label]) => h('option', { value: v }, label)));
        el.value = value;
        return el;
    }

    async function afterAction(msg, keepOpen) {
        toast(msg, 'ok');
        loadQueue();
        if (keepOpen && state.open) {
            await openItem(state.open.id, true);
        } else {
            closePanel();
        }
    }

    async function ticketDialog() {
        if (!(await ensureClaim())) {
            return;
        }
        const it = state.open;
        const cats = new Set(CATEGORIES);
        if (it.category) {
            cats.add(it.category);
        }
        const fields = [
            field('tk.category', select('t-category', [...cats].map((c) => [c, catName(c)]),
                it.category || 'other')),
            field('tk.agency', h('input', { id: 't-agency', value: it.agency || '' })),
            field('tk.priority', select('t-priority', [1, 2, 3, 4].map((p) => [String(p), 'P' + p]),
                String(prio(it.priority)))),
            field('tk.note', h('textarea', { id: 't-note', rows: '3' })),
        ];
        if (it.incident) {
            fields.push(h('label', { class: 'check' }, h('input', { type: 'checkbox',
                id: 't-incident' }), ' ', t('tk.whole_incident', { n: it.incident_posts || '' })));
        }
        openDialog('tk.create_title', fields, 'tk.create', async (f) => {
            const body = {
                category: f.querySelector('#t-category').value,
                agency: f.querySelector('#t-agency').value.trim(),
                priority: Number(f.querySelector('#t-priority').value),
                note: f.querySelector('#t-note').value.trim(),
                incident: !!(f.querySelector('#t-incident') || {}).checked,
            };
            if (!body.note) {
                delete body.note;
            }
            const r = await api('POST', itemPath('ticket'), body);
            await afterAction(t('tk.created', { number: r.number || '' }), true);
        });
    }

    async function attachDialog() {
        if (!(await ensureClaim())) {
            return;
        }
        const it = state.open;
        const kind = select('a-kind', [['ticket', t('attach.ticket')],
            ['incident', t('attach.incident')]], it.incident ? 'incident' : 'ticket');
        const target = h('input', { id: 'a-target', required: true,
            value: it.incident ? String(it.incident) : '', placeholder: '109-2026-000123' });
        openDialog('attach.title', [field('attach.kind', kind), field('attach.target', target)],
            'act.attach', async () => {
                const v = target.value.trim();
                const body = kind.value === 'ticket' ? { ticket: v }
                    : { incident: /^\d+$/.test(v) ? Number(v) : v };
                await api('POST', itemPath('attach'), body);
                await afterAction(t('attach.done', { target: v }), false);
            });
    }

    async function dismissDialog() {
        if (!(await ensureClaim())) {
            return;
        }
        const kind = select('d-kind', DISMISS_KINDS.map((k) => [k, t('dismiss.' + k)]),
            state.open.dup_of ? 'duplicate' : 'spam');
        const reason = h('textarea', { id: 'd-reason', rows: '2', required: true });
        openDialog('dismiss.title', [field('dismiss.kind', kind), field('common.reason', reason)],
            'act.dismiss', async () => {
                if (!reason.value.trim()) {
                    throw new Error(t('common.reason_required'));
                }
                await api('POST', itemPath('dismiss'), { kind: kind.value,
                    reason: reason.value.trim() });
                await afterAction(t('dismiss.done'), false);
            });
    }

    async function priorityDialog() {
        if (!(await ensureClaim())) {
            return;
        }
        const p = select('p-priority', [1, 2, 3, 4].map((n) => [String(n), 'P' + n]),
            String(prio(state.open.priority)));
        const reason = h('textarea', { id: 'p-reason', rows: '2', required: true });
        openDialog('prio.title', [field('tk.priority', p), field('common.reason', reason)],
            'act.save', async () => {
                if (!reason.value.trim()) {
                    throw new Error(t('common.reason_required'));
                }
                await api('POST', itemPath('priority'), { priority: Number(p.value),
                    reason: reason.value.trim() });
                await afterAction(t('prio.done', { p: 'P' + p.value }), true);
            });
    }

    /* The operator's preview of a template as etc/replies.conf writes it ({ticket},
     * {agency}, {category}, \n, {{ and }}); the server renders the text that is sent. */
    function renderTemplate(text, it, lang) {
        const tk = it.ticket || {};
        const cat = tk.category || it.category || '';
        const vars = { ticket: tk.number || '', agency: tk.agency || it.agency || '',
            category: (I18N[lang] || {})['cat.' + cat] || cat };
        return String(text || '').replace(/\{\{|\}\}|\\n|\{(ticket|agency|category)\}/g,
            (m, k) => (k ? vars[k] : m === '\\n' ? '\n' : m[0]));
    }

    async function replyDialog() {
        const it = state.open;
        if (!it || !it.ticket) {
            toast(t('reply.need_ticket'), 'bad');
            return;
        }
        if (!(await ensureClaim())) {
            return;
        }
        const lang = select('r-lang', LANGS.map((l) => [l, l.toUpperCase()]),
            LANGS.includes(it.lang) ? it.lang : 'ru');
        const tpl = h('select', { id: 'r-template' });
        const text = h('textarea', { id: 'r-text', rows: '5' });
        let templates = [];
        let rendered = '';
        const preview = () => {
            const x = templates.find((y) => y.name === tpl.value);
            rendered = x ? renderTemplate(x.text, it, lang.value) : '';
            text.value = rendered;
        };
        const load = async () => {
            try {
                const r = await api('GET', '/api/templates?lang=' + enc(lang.value));
                templates = (r.templates || []).filter((x) => !x.lang || x.lang === lang.value);
            } catch (e) {
                templates = [];
                toast(errText(e), 'bad');
            }
            fill(tpl, templates.map((x) => h('option', { value: x.name }, x.name)));
            preview();
        };
        lang.addEventListener('change', load);
        tpl.addEventListener('change', preview);
        openDialog('reply.title', [h('p', { class: 'muted small' }, t('reply.to', {
            who: (it.author || {}).name || '', net: it.network })), field('reply.lang', lang),
        field('reply.template', tpl), field('reply.text', text)], 'reply.send', async () => {
            const body = text.value.trim() === rendered.trim() && tpl.value
                ? { template: tpl.value, lang: lang.value }
                : { text: text.value.trim(), lang: lang.value };
            if (!body.template && !body.text) {
                throw new Error(t('reply.empty'));
            }
            const r = await api('POST', itemPath('reply'), body);
            await afterAction(t('reply.sent', { id: r.message_id || '' }), true);
        });
        await load();
    }

    /* ---- keyboard --------------------------------------------------------------------- */

    const KEYS = {
        KeyC: () => claimItem(), KeyU: () => releaseItem(), KeyT: () => ticketDialog(),
        KeyA: () => attachDialog(), KeyD: () => dismissDialog(), KeyP: () => priorityDialog(),
        KeyR: () => replyDialog(),
    };

    /* e.code, not e.key: the same physical keys work in Russian and Kazakh layouts. */
    function onKey(e) {
        if (e.ctrlKey || e.metaKey || e.altKey || $('dlg').open || !state.session
            || state.view !== 'queue') {
            return;
        }
        const tag = (e.target.tagName || '').toLowerCase();
        if (tag === 'input' || tag === 'textarea' || tag === 'select') {
            return;
        }
        let done = true;
        if (e.code === 'KeyJ' || e.key === 'ArrowDown') {
            moveSelection(1);
        } else if (e.code === 'KeyK' || e.key === 'ArrowUp') {
            moveSelection(-1);
        } else if ((e.key === 'Enter' || e.code === 'KeyO') && state.selected) {
            openItem(state.selected);
        } else if (e.key === 'Escape' && state.openId) {
            closePanel();
        } else if (e.key === '/') {
            $('f-network').focus();
        } else if (KEYS[e.code] && state.open && !e.shiftKey) {
            const btn = $('act-' + { KeyC: 'claim', KeyU: 'release', KeyT: 'ticket',
                KeyA: 'attach', KeyD: 'dismiss', KeyP: 'priority', KeyR: 'reply' }[e.code]);
            if (btn && !btn.disabled) {
                KEYS[e.code]();
            }
        } else {
            done = false;
        }
        if (done) {
            e.preventDefault();
        }
    }

    /* ---- supervisor ------------------------------------------------------------------- */

    async function loadSupervisor() {
        show($('sup-error'), false);
        try {
            const o = await api('GET', '/api/supervisor/overview');
            $('s-breaches-now').textContent = o.breaches_now ?? '—';
            $('s-breaches-today').textContent = o.breaches_today ?? '—';
            fill($('s-depth'), depthChart(o.depth || {}));
            fill($('s-operators'), operatorsTable(o.operators || []));
        } catch (e) {
            supError(e);
        }
        loadReports();
        loadWatch();
    }

    function supError(e) {
        if (e.status === 401) {
            return;
        }
        $('sup-error').textContent = errText(e);
        show($('sup-error'), true);
    }

    function depthChart(depth) {
        const keys = ['P1', 'P2', 'P3', 'P4'];
        const vals = keys.map((k) => Number(depth[k] || 0));
        const max = Math.max(1, ...vals);
        const W = 240, H = 140, bw = 40, gap = 20, base = 115;
        return s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'svg depth', role: 'img',
            'aria-label': t('sup.depth') },
        keys.map((k, i) => {
            const bh = Math.round((vals[i] / max) * 95);
            const x = 10 + i * (bw + gap);
            return s('g', { class: 'p' + (i + 1) },
                s('rect', { x, y: base - bh, width: bw, height: Math.max(bh, 1), class: 'bar' }),
                s('text', { x: x + bw / 2, y: base - bh - 4, 'text-anchor': 'middle',
                    class: 'val' }, String(vals[i])),
                s('text', { x: x + bw / 2, y: base + 16, 'text-anchor': 'middle', class: 'lbl' },
                    k));
        }));
    }

    function table(heads, rows) {
        return h('table', { class: 'tbl' }, h('thead', {}, h('tr', {}, heads.map((x) =>
            h('th', {}, x)))), h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) =>
            h('td', {}, c))))));
    }

    function operatorsTable(ops) {
        if (ops.length === 0) {
            return h('p', { class: 'muted' }, t('sup.no_operators'));
        }
        return table([t('users.login'), t('users.name'), t('users.role'), t('sup.handled'),
            t('sup.last_seen')], ops.map((o) => [o.login, o.name || '', t('role.' + o.role),
            String(o.handled_today ?? 0), fmtTime(o.last_seen)]));
    }

    /* Horizontal bars: rows of {label, value, note}, value scaled to max. */
    function barChart(rows, max, fmt) {
        const W = 640, rowH = 24, labelW = 300, barW = W - labelW - 70;
        const H = Math.max(rowH, rows.length * rowH) + 4;
        return s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'svg bars', role: 'img' },
            rows.map((r, i) => {
                const y = i * rowH + 2;
                const w = max > 0 && r.value !== null ? Math.max(1, (r.value / max) * barW) : 0;
                const label = r.label.length > 42 ? r.label.slice(0, 41) + '…' : r.label;
                return s('g', { class: 'barrow' + (r.cls ? ' ' + r.cls : '') },
                    s('title', {}, r.label + (r.note ? ' — ' + r.note : '')),
                    s('text', { x: 0, y: y + 16, class: 'lbl' }, label),
                    s('rect', { x: labelW, y: y + 4, width: w, height: rowH - 8, rx: 3,
                        class: 'bar' }),
                    s('text', { x: labelW + w + 6, y: y + 16, class: 'val' },
                        r.value === null ? '—' : fmt(r.value)));
            }));
    }

    function rangeQuery() {
        const q = new URLSearchParams();
        if ($('r-from').value) {
            q.set('from', $('r-from').value);
        }
        if ($('r-to').value) {
            q.set('to', $('r-to').value);
        }
        return q.toString();
    }

    async function loadReports() {
        const q = rangeQuery();
        try {
            const a = await api('GET', '/api/reports/agencies' + (q ? '?' + q : ''));
            fill($('s-agencies'), agencyChart(a.agencies || []));
        } catch (e) {
            supError(e);
        }
        try {
            const p = await api('GET', '/api/reports/problems?limit=15' + (q ? '&' + q : ''));
            fill($('s-problems'), problemChart(p.problems || []));
        } catch (e) {
            supError(e);
        }
    }

    function agencyChart(all) {
        /* routing names every agency; only those that received tickets have a rating */
        const rows = all.filter((r) => Number(r.received) > 0);
        if (rows.length === 0) {
            return h('p', { class: 'muted' }, t('sup.no_data'));
        }
        return barChart(rows.map((r) => ({
            label: r.agency || t('sup.no_agency'),
            value: typeof r.score === 'number' ? r.score : null,
            cls: typeof r.score === 'number' && r.score < 50 ? 'low' : '',
            note: t('sup.agency_note', { received: r.received ?? 0, resolved: r.resolved ?? 0,
                overdue: r.overdue ?? 0, open: r.open ?? 0 }),
        })), 100, (v) => v.toFixed(0));
    }

    function problemChart(rows) {
        if (rows.length === 0) {
            return h('p', { class: 'muted' }, t('sup.no_data'));
        }
        const max = Math.max(...rows.map((r) => Number(r.score) || 0));
        return barChart(rows.map((r) => ({
            label: catName(r.category) + ' · ' + (r.place || '—'),
            value: Number(r.score) || 0,
            cls: r.top_priority === 'P1' ? 'low' : '',
            note: t('sup.problem_note', { posts: r.posts ?? 0, authors: r.authors ?? 0,
                tickets: r.tickets ?? 0 }),
        })), max, (v) => v.toFixed(1));
    }

    async function loadWatch() {
        try {
            const w = await api('GET', '/api/watch');
            fill($('s-watch'), watchView(w));
        } catch (e) {
            supError(e);
        }
    }

    function watchView(w) {
        const lex = w.lexicon || {};
        const routing = w.routing || {};
        return h('div', { class: 'watch' },
            h('h4', {}, t('sup.tags'), ' (' + (w.tags || []).length + ')'),
            h('p', { class: 'chips' }, (w.tags || []).map((x) => h('span', { class: 'chip' },
                typeof x === 'string' ? x : describe(x)))),
            h('h4', {}, t('sup.lexicon'), ' · ' + t('sup.entries', { n: lex.entries ?? 0 })),
            h('ul', { class: 'files' }, (lex.files || []).map((f) => h('li', {},
                typeof f === 'string' ? f : describe(f)))),
            Object.keys(routing).length ? [h('h4', {}, t('sup.routing')),
                h('ul', { class: 'files' }, Object.entries(routing).map(([k, v]) => h('li', {},
                    k + ': ' + (Array.isArray(v) ? v.length : typeof v === 'object' && v
                        ? Object.keys(v).length : String(v)))))] : null);
    }

    async function watchAction(which) {
        const out = $('w-result');
        fill(out, h('p', { class: 'muted' }, t('sup.working')));
        try {
            const r = await api('POST', '/api/watch/' + which, {});
            const errs = r.errors || [];
            fill(out, h('p', { class: r.ok ? 'good' : 'error', id: 'w-status' },
                r.ok ? t(which === 'reload' ? 'sup.reloaded' : 'sup.valid')
                    : t(which === 'reload' ? 'sup.kept' : 'sup.invalid', { n: errs.length })),
            errs.length ? h('ul', { class: 'errors' }, errs.map((x) => h('li', {}, x))) : null);
            if (r.ok && which === 'reload') {
                loadWatch();
            }
        } catch (e) {
            fill(out, h('p', { class: 'error' }, errText(e)));
        }
    }

    /* ---- users (admin) ---------------------------------------------------------------- */

    function renderRoleOptions() {
        const sel = $('u-role');
        const v = sel.value || 'operator';
        fill(sel, ...ROLES.map((r) => h('option', { value: r }, t('role.' + r))));
        sel.value = v;
    }

    async function loadUsers() {
        show($('users-error'), false);
        try {
            const r = await api('GET', '/api/users');
            const users = Array.isArray(r) ? r : r.users || [];
            fill($('users-table'), table([t('users.login'), t('users.name'),
                t('users.role'), t('users.state'), t('users.last_login'), ''],
            users.map((u) => [u.login, u.name || '', t('role.' + u.role),
                u.disabled ? t('users.disabled') : t('users.active'),
                fmtTime(u.last_login || u.last_seen), userActions(u)])));
        } catch (e) {
            if (e.status !== 401) {
                $('users-error').textContent = errText(e);
                show($('users-error'), true);
            }
        }
    }

    function userActions(u) {
        return h('span', { class: 'rowacts' },
            h('button', { type: 'button', class: 'small', onclick: () => passwordDialog(u) },
                t('users.set_password')),
            u.disabled ? null : h('button', { type: 'button', class: 'small danger',
                onclick: () => disableDialog(u) }, t('users.disable')));
    }

    function passwordDialog(u) {
        const pw = h('input', { id: 'pw-new', type: 'password', required: true, minlength: '8',
            autocomplete: 'new-password' });
        openDialog('users.set_password', [h('p', {}, u.login), field('users.password', pw)],
            'act.save', async () => {
                await api('POST', '/api/users/' + enc(u.login) + '/password',
                    { password: pw.value });
                toast(t('users.password_set', { login: u.login }), 'ok');
            });
    }

    function disableDialog(u) {
        openDialog('users.disable', [h('p', {}, t('users.disable_q', { login: u.login }))],
            'users.disable', async () => {
                await api('POST', '/api/users/' + enc(u.login) + '/disable', {});
                toast(t('users.disabled_done', { login: u.login }), 'ok');
                loadUsers();
            });
    }

    async function addUser(ev) {
        ev.preventDefault();
        const err = $('users-error');
        show(err, false);
        try {
            await api('POST', '/api/users', { login: $('u-login').value.trim(),
                name: $('u-name').value.trim(), role: $('u-role').value,
                password: $('u-password').value });
            toast(t('users.added', { login: $('u-login').value.trim() }), 'ok');
            $('user-add').reset();
            loadUsers();
        } catch (e) {
            err.textContent = errText(e);
            show(err, true);
        }
    }

    document.addEventListener('DOMContentLoaded', boot);
}());
