// mfa-base.js holds what the scripts of the authenticator and backup-code
// pages share: the JSON calls, messages next to fields and the clipboard.
// It runs before mfa.js and codes.js and exposes window.gatehouseMFA.
(function () {
  'use strict';

  var QR_SECONDS = 30; // the QR code blurs this long after it is shown
  var OFFLINE = 'We could not reach Gatehouse. Check your connection and try again.';

  // post sends fields as a form to a JSON endpoint and resolves with the
  // status and the decoded answer; it never rejects.
  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields || {}).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString()
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        return { ok: res.ok, status: res.status, data: data };
      });
    }, function () {
      return { ok: false, status: 0, data: { error: OFFLINE } };
    });
  }

  // followed reports whether an answer sends the browser elsewhere (the
  // session ended, or the step no longer applies), and goes there.
  function followed(r) {
    if (!r.ok && r.data && r.data.redirect_url) {
      window.location.assign(r.data.redirect_url);
      return true;
    }
    return false;
  }

  function errorOf(r) {
    return (r.data && r.data.error) || 'Something went wrong. Please try again.';
  }

  // busy disables a form's buttons while its request runs.
  function busy(form, on) {
    form.querySelectorAll('button').forEach(function (b) { b.disabled = on; });
  }

  // fieldError shows msg under an input, creating the message element the
  // server renders only with an error; an empty msg clears it.
  function fieldError(input, msg) {
    var field = input.closest('.field');
    var id = input.id + '-error';
    var p = document.getElementById(id);
    if (!p && msg) {
      p = document.createElement('p');
      p.className = 'field-error';
      p.id = id;
      field.appendChild(p);
    }
    if (p) {
      p.textContent = msg || '';
      p.hidden = !msg;
    }
    field.classList.toggle('is-invalid', !!msg);
    if (msg) {
      input.setAttribute('aria-invalid', 'true');
      var by = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      if (by.indexOf(id) < 0) by.push(id);
      input.setAttribute('aria-describedby', by.join(' '));
    } else {
      input.removeAttribute('aria-invalid');
    }
  }

  // notice shows or hides a message box.
  function notice(el, msg) {
    if (!el) return;
    el.textContent = msg || '';
    el.hidden = !msg;
  }

  function groupSecret(s) {
    return String(s || '').replace(/\s+/g, '').replace(/(.{4})/g, '$1 ').trim();
  }

  // The second factor of this session, as the account page shows it.
  function setSessionMethod(from, to) {
    document.querySelectorAll('[data-session-method]').forEach(function (el) {
      if (!from || el.textContent === from) el.textContent = to;
    });
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement('textarea');
      area.className = 'clip';
      area.value = text;
      area.setAttribute('readonly', '');
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      area.remove();
      if (ok) resolve(); else reject(new Error('copy failed'));
    });
  }

  function download(name, text) {
    var url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    var a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.className = 'clip';
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  window.gatehouseMFA = {
    QR_SECONDS: QR_SECONDS, post: post, followed: followed, errorOf: errorOf, busy: busy,
    fieldError: fieldError, notice: notice, groupSecret: groupSecret, setSessionMethod: setSessionMethod,
    copy: copy, download: download
  };
})();
