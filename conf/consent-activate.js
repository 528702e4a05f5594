/*
 * consent-activate.js: switches on, in the browser, the tracker elements that
 * ngx_consent_module's `consent_action neutralize;` left inert
 * (<script type="text/plain" data-consent="IDS" ...>, <img|iframe
 * data-consent="IDS" data-consent-src=...>), for the recipients the visitor's
 * consent now allows, without a reload. No dependencies, no build step.
 *
 *   <script src="/consent-activate.js" data-cookie="consent"
 *           data-categories='{"google":"advertising","tealium":"analytics"}'></script>
 *
 * It runs on DOMContentLoaded (at once if that has passed) and on every
 * `consent:changed` event dispatched on document or window. Consent is, in
 * order: event.detail.allowed (an array of recipient ids and/or categories, or
 * "all"), else the plain-list cookie the module reads (name from data-cookie,
 * default "consent": ids and/or categories separated by "," "|" "%2C" "%7C",
 * or "all" / "none"; malformed, "none" anywhere or absent: nothing). It fails
 * closed like the module:
 *  - data-categories maps the recipients the site declares in the rules to
 *    their category there (sites[].declares). With it, category items
 *    grant, and recipients missing from it (undeclared) are never activated,
 *    not even by "all". Without it, category items grant nothing.
 *  - Global Privacy Control (navigator.globalPrivacyControl) withholds
 *    advertising and social recipients, and without data-categories every
 *    recipient; data-gpc="off" to match `consent_gpc off`.
 *  - if the cookie occurs more than once, only what every occurrence allows.
 * An element is activated once, only when ALL its ids are allowed; it then
 * carries data-consent-active="IDS" and no data-consent. Activation cannot be
 * undone: a withdrawal takes effect on the next page load (the server gates).
 * Elements inserted later are looked at on the next consent:changed.
 * Scripts are re-created (a browser never runs a script whose type changes
 * later) with their attributes, data-consent-type as type, data-consent-src as
 * src, in document order: external scripts without `async` run in order
 * (async=false), and an inline script waits for the external ones before it.
 *
 * Wiring a consent manager (each dispatches consent:changed; category names
 * must be those of data-categories, ids those of the rules):
 *
 * OneTrust: calls window.OptanonWrapper() once its SDK has loaded and after
 * each choice (and fires OneTrustGroupsUpdated on window); the consented
 * group ids are in OnetrustActiveGroups (",C0001,C0002,"). Default groups,
 * mapped as the module maps them:
 *   function OptanonWrapper() { const g = {C0002: 'analytics', C0003: 'functional', C0004: 'advertising', C0005: 'social'};
 *     document.dispatchEvent(new CustomEvent('consent:changed', {detail: {
 *       allowed: OnetrustActiveGroups.split(',').map(x => g[x]).filter(Boolean)}})); }
 *
 * Cookiebot: window events CookiebotOnAccept / CookiebotOnDecline, and
 * CookiebotOnConsentReady (consent given or read back); Cookiebot.consent has
 * booleans preferences, statistics, marketing.
 *   window.addEventListener('CookiebotOnConsentReady', () => { const c = Cookiebot.consent;
 *     document.dispatchEvent(new CustomEvent('consent:changed', {detail: {allowed: [c.statistics && 'analytics',
 *       c.preferences && 'functional', c.marketing && 'advertising', c.marketing && 'social'].filter(Boolean)}})); });
 *
 * orestbida/cookieconsent v3: the onConsent and onChange callbacks of
 * CookieConsent.run() receive {cookie}; cookie.categories lists accepted ones.
 *   const fire = ({cookie}) => document.dispatchEvent(new CustomEvent('consent:changed', {detail: {allowed: cookie.categories}}));
 *   CookieConsent.run({ ...config, onConsent: fire, onChange: fire });
 *
 * Klaro: the manager's consents map service name -> boolean (name services
 * after recipient ids); watchers get update(manager, eventName, data), and
 * 'saveConsents' follows each choice. (A service's callback(consent, service)
 * works too.)
 *   const m = klaro.getManager(), fire = () => document.dispatchEvent(new CustomEvent('consent:changed',
 *     {detail: {allowed: Object.keys(m.consents).filter(s => m.consents[s])}}));
 *   m.watch({update: (_, name) => name === 'saveConsents' && fire()}); if (m.confirmed) fire();
 *
 * IAB TCF v2: listeners get (tcData, success); eventStatus is 'tcloaded' or
 * 'useractioncomplete' when a decision exists; vendor.consents and
 * purpose.consents are keyed by id. Map vendor ids to recipients (the rules'
 * tcf_vendor_id); purpose 1 (store/access) is required, as the module does.
 *   const V = {755: 'google', 91: 'criteo', 16: 'rtbhouse', 506: 'salesforce'};
 *   __tcfapi('addEventListener', 2, (d, ok) => ok && /^(tcloaded|useractioncomplete)$/.test(d.eventStatus) &&
 *     document.dispatchEvent(new CustomEvent('consent:changed', {detail: {allowed:
 *       d.purpose.consents[1] ? Object.keys(V).filter(v => d.vendor.consents[v]).map(v => V[v]) : []}})));
 */
(() => {
  'use strict';
  const me = document.currentScript || document.querySelector('script[src*="consent-activate"]');
  const opt = (n, d) => (me && me.getAttribute(n)) || d;
  const NAME = opt('data-cookie', 'consent');
  let cats = null;
  if (me && me.hasAttribute('data-categories')) {
    cats = {};
    try {
      const m = JSON.parse(opt('data-categories', '{}'));
      for (const k in m) cats[k.toLowerCase()] = String(m[k]).toLowerCase();
    } catch (e) { /* unreadable map: declares nothing, activates nothing */ }
  }
  const gpc = navigator.globalPrivacyControl === true && opt('data-gpc', 'on') !== 'off';
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const NONE = () => false;

  // items (lowercase strings) -> predicate over recipient ids
  const grant = items => {
    if (!items.length || items.includes('none')) return NONE;
    const all = items.includes('all');
    return id => (!cats || has(cats, id)) &&
      !(gpc && (!cats || cats[id] === 'advertising' || cats[id] === 'social')) &&
      (all || items.includes(id) || (!!cats && items.includes(cats[id])));
  };

  const fromList = v => {
    if (v.length > 1 && v[0] === '"' && v[v.length - 1] === '"') v = v.slice(1, -1);
    v = v.replace(/%2c|%7c/gi, ',');
    if (!v || v.length > 4096 || /[^A-Za-z0-9_\- ,|]/.test(v)) return NONE;
    return grant(v.split(/[,|]/).map(s => s.trim().toLowerCase()).filter(Boolean));
  };

  const fromCookie = () => {
    let p = null;
    for (const c of document.cookie.split(';')) {
      const i = c.indexOf('=');
      if (i < 0 || c.slice(0, i).trim() !== NAME) continue;
      const q = fromList(c.slice(i + 1).trim()), prev = p;
      p = prev ? id => prev(id) && q(id) : q;
    }
    return p || NONE;
  };

  const decide = detail => {
    const a = detail && detail.allowed;
    if (a === undefined || a === null) return fromCookie();
    if (typeof a === 'string') return grant([a.toLowerCase()]);
    return Array.isArray(a) ? grant(a.map(s => String(s).toLowerCase())) : NONE;
  };

  // Re-creates scripts one after the other, in document order.
  let queue = Promise.resolve();
  const runScripts = async list => {
    let pending = [];
    for (const [old, ids] of list) {
      if (!old.isConnected) continue;
      const s = document.createElement('script');
      for (const a of old.attributes) {
        if (a.name !== 'type' && !a.name.startsWith('data-consent')) s.setAttribute(a.name, a.value);
      }
      const type = old.getAttribute('data-consent-type'), src = old.getAttribute('data-consent-src');
      if (type !== null) s.setAttribute('type', type);
      if (old.nonce) s.nonce = old.nonce;
      s.setAttribute('data-consent-active', ids.join(' '));
      if (src !== null) {
        if (!s.hasAttribute('async')) {
          s.async = false;
          pending.push(new Promise(r => { s.addEventListener('load', r); s.addEventListener('error', r); }));
        }
        s.setAttribute('src', src);
      } else {
        if (pending.length) { await Promise.all(pending); pending = []; }
        if (!old.isConnected) continue;
        s.text = old.text;
      }
      old.replaceWith(s);
    }
  };

  const activate = allows => {
    const scripts = [];
    for (const el of document.querySelectorAll('[data-consent]')) {
      const ids = el.getAttribute('data-consent').toLowerCase().split(/\s+/).filter(Boolean);
      if (!ids.length || !ids.every(allows)) continue;
      el.removeAttribute('data-consent');
      if (el.tagName === 'SCRIPT') { scripts.push([el, ids]); continue; }
      for (const a of ['srcset', 'src']) {
        const v = el.getAttribute('data-consent-' + a);
        if (v !== null) { el.removeAttribute('data-consent-' + a); el.setAttribute(a, v); }
      }
      el.setAttribute('data-consent-active', ids.join(' '));
    }
    if (scripts.length) queue = queue.then(() => runScripts(scripts)).catch(() => {});
  };

  const run = e => activate(decide(e && e.detail));
  document.addEventListener('consent:changed', run);
  window.addEventListener('consent:changed', e => { if (e.target === window) run(e); });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => run());
  else run();
})();
