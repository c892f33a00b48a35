// pow.js solves the portal's proof-of-work CAPTCHA (ALTCHA's format) in the
// browser. For every [data-captcha="pow"] element it fetches a challenge from
// /captcha/challenge, finds the number n in [0, maxnumber] whose
// SHA-256(salt + n) is the challenge, and puts base64(JSON) of the solution
// into the hidden input name="captcha". No inline script, no dependencies.
(function () {
  'use strict';

  var TEXT = {
    working: 'Checking that you are not a robot…',
    waiting: 'Checking that you are not a robot… the form is sent when done.',
    solved: 'Verified — you\'re not a robot',
    failed: 'Could not load the check. ',
    retry: 'Retry'
  };
  var BATCH = 1000; // hashes in flight at once
  var SLICE_MS = 40; // longest stretch of work between two yields to the page
  var encoder = new TextEncoder();

  // SHA-256 constants (FIPS 180-4), for pages that are not a secure context
  // (plain http on a LAN address), where SubtleCrypto is missing.
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

  // sha256 hashes a short message synchronously.
  function sha256(msg) {
    var size = (msg.length + 72) & ~63; // message, 0x80, zero padding, 64-bit length
    var buf = new Uint8Array(size);
    buf.set(msg);
    buf[msg.length] = 0x80;
    var view = new DataView(buf.buffer);
    view.setUint32(size - 4, msg.length * 8);
    var h = new Uint32Array(H0);
    var w = new Uint32Array(64);
    for (var off = 0; off < size; off += 64) {
      var i;
      for (i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
      for (i = 16; i < 64; i++) {
        var x = w[i - 15], y = w[i - 2];
        w[i] = w[i - 16] + (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) + w[i - 7] + (rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10));
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (i = 0; i < 64; i++) {
        var t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
    }
    var out = new Uint8Array(32);
    var outView = new DataView(out.buffer);
    for (var j = 0; j < 8; j++) outView.setUint32(j * 4, h[j]);
    return out;
  }

  var digest = window.crypto && window.crypto.subtle
    ? function (bytes) {
      return window.crypto.subtle.digest('SHA-256', bytes).then(function (sum) { return new Uint8Array(sum); });
    }
    : function (bytes) { return Promise.resolve(sha256(bytes)); };

  function fromHex(s) {
    var out = new Uint8Array(s.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
    return out;
  }

  function same(a, b) {
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return a.length === b.length;
  }

  function pause() {
    return new Promise(function (resolve) { setTimeout(resolve, 0); });
  }

  function base64(text) {
    var bytes = encoder.encode(text), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return window.btoa(bin);
  }

  async function fetchChallenge() {
    var res = await fetch('/captcha/challenge', {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' }
    });
    if (!res.ok) throw new Error('challenge: HTTP ' + res.status);
    var ch = await res.json();
    if (!ch || ch.algorithm !== 'SHA-256' || !/^[0-9a-f]{64}$/.test(ch.challenge) ||
        typeof ch.salt !== 'string' || typeof ch.signature !== 'string' ||
        !Number.isSafeInteger(ch.maxnumber) || ch.maxnumber < 0) {
      throw new Error('challenge: unexpected shape');
    }
    return ch;
  }

  // solve returns the secret number, or -1 once stillWanted() turns false.
  async function solve(ch, stillWanted) {
    var target = fromHex(ch.challenge);
    var since = performance.now();
    for (var start = 0; start <= ch.maxnumber; start += BATCH) {
      var end = Math.min(start + BATCH - 1, ch.maxnumber), jobs = [];
      for (var n = start; n <= end; n++) jobs.push(digest(encoder.encode(ch.salt + n)));
      var sums = await Promise.all(jobs);
      for (var i = 0; i < sums.length; i++) if (same(sums[i], target)) return start + i;
      if (!stillWanted()) return -1;
      if (performance.now() - since > SLICE_MS) {
        await pause();
        since = performance.now();
      }
    }
    throw new Error('challenge: no solution');
  }

  function setup(el) {
    if (el.hasAttribute('data-captcha-bound')) return;
    el.setAttribute('data-captcha-bound', '');
    var form = el.closest('form');
    var input = el.querySelector('input[name="captcha"]');
    if (!input) {
      input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'captcha';
      el.appendChild(input);
    }
    var status = el.querySelector('[data-captcha-status]');
    if (!status) {
      status = document.createElement('span');
      status.setAttribute('data-captcha-status', '');
      el.appendChild(status);
    }
    if (!status.hasAttribute('aria-live')) status.setAttribute('aria-live', 'polite');
    // A button the page provides becomes the retry button; otherwise one is
    // made and shown inside the status text.
    var retry = el.querySelector('[data-captcha-retry], button');
    var ownRetry = !retry;
    if (ownRetry) {
      retry = document.createElement('button');
      retry.className = 'captcha-retry';
      retry.textContent = TEXT.retry;
    }
    retry.type = 'button'; // never submits the form
    retry.hidden = true;
    retry.addEventListener('click', start);

    var run = 0, state = 'idle', queued = null, refresh = 0;

    function show(next, text) {
      state = next;
      el.classList.toggle('is-solving', next === 'solving');
      el.classList.toggle('is-solved', next === 'solved');
      el.classList.toggle('is-failed', next === 'failed');
      status.textContent = text;
      retry.hidden = next !== 'failed';
      if (next === 'failed' && ownRetry) status.appendChild(retry);
    }

    // A solution lives until the expiry in its salt; solve a fresh one
    // shortly before, so a slowly filled form still carries a valid token.
    function scheduleRefresh(salt) {
      var m = /[?&]expires=(\d+)/.exec(salt);
      if (m) refresh = setTimeout(start, Math.max(Number(m[1]) * 1000 - Date.now() - 30000, 60000));
    }

    function submitQueued() {
      var q = queued;
      queued = null;
      if (!q || !form) return;
      try {
        form.requestSubmit(q.submitter);
      } catch (err) {
        form.requestSubmit();
      }
    }

    async function start() {
      var mine = ++run;
      clearTimeout(refresh);
      input.value = '';
      show('solving', queued ? TEXT.waiting : TEXT.working);
      try {
        var ch = await fetchChallenge();
        var n = await solve(ch, function () { return mine === run; });
        if (mine !== run) return;
        input.value = base64(JSON.stringify({
          algorithm: ch.algorithm, challenge: ch.challenge, number: n, salt: ch.salt, signature: ch.signature
        }));
        show('solved', TEXT.solved);
        scheduleRefresh(ch.salt);
        (form || el).dispatchEvent(new CustomEvent('captcha:solved', { bubbles: true, detail: { kind: 'pow' } }));
        submitQueued();
      } catch (err) {
        if (mine !== run) return;
        queued = null;
        show('failed', TEXT.failed);
      }
    }

    // A form sent before the check is done waits for it instead of reaching
    // the server without a token.
    if (form) {
      form.addEventListener('submit', function (e) {
        if (state !== 'solving') return;
        e.preventDefault();
        queued = { submitter: e.submitter || null };
        status.textContent = TEXT.waiting;
      });
    }
    // A page restored from the back/forward cache holds a spent token.
    window.addEventListener('pageshow', function (e) { if (e.persisted) start(); });
    start();
  }

  function init() {
    document.querySelectorAll('[data-captcha="pow"]').forEach(setup);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
