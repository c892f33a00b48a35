// mfa.js runs the authenticator app card and the backup codes of Account
// settings, and the authenticator code page of the sign-in. Each of them
// also works without it, as plain forms; this script keeps the person on
// the page and talks to the JSON endpoints instead.
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

  // --- Sign-in: the authenticator code page ------------------------------

  document.querySelectorAll('form[data-totp-login]').forEach(function (form) {
    var input = form.querySelector('input[name="totp_code"]');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      busy(form, true);
      var remember = form.querySelector('input[name="remember_device"]');
      var body = { totp_code: input.value };
      if (remember && remember.checked) body.remember_device = '1';
      post('/validate-totp-code/', body).then(function (r) {
        if (r.ok && r.data.redirect_url) {
          window.location.assign(r.data.redirect_url);
          return;
        }
        busy(form, false);
        if (followed(r)) return;
        fieldError(input, errorOf(r));
        input.focus();
        input.select();
      });
    });
  });

  // --- Account settings: the Authenticator App card ----------------------

  var card = document.querySelector('[data-totp]');
  if (card) authenticatorCard(card);

  function authenticatorCard(card) {
    var errorBox = card.querySelector('[data-totp-error]');
    var enable = card.querySelector('form[data-totp-enable]');
    var confirm = card.querySelector('form[data-totp-confirm]');
    var input = confirm.querySelector('input[name="code"]');
    var qr = card.querySelector('[data-qr]');
    var img = card.querySelector('[data-qr-img]');
    var reveal = card.querySelector('[data-qr-reveal]');
    var timerText = card.querySelector('[data-qr-timer]');
    var secret = card.querySelector('[data-qr-secret]');
    var prompt = card.querySelector('[data-backup-prompt]');
    var removeLink = card.querySelector('[data-totp-remove]');
    var removeForm = card.querySelector('form[data-totp-remove-confirm]');
    var timer = null;

    function setState(state) {
      card.setAttribute('data-state', state);
      card.querySelectorAll('[data-when]').forEach(function (el) {
        el.hidden = el.getAttribute('data-when').split(' ').indexOf(state) < 0;
      });
    }

    // The QR code and the secret show for QR_SECONDS, then blur until
    // "Reveal QR Code" shows them again for as long.
    function stopTimer() {
      if (timer) window.clearInterval(timer);
      timer = null;
    }
    function showQR() {
      stopTimer();
      var deadline = Date.now() + QR_SECONDS * 1000;
      qr.classList.remove('is-hidden');
      secret.classList.remove('is-hidden');
      secret.removeAttribute('aria-hidden');
      reveal.hidden = true;
      var tick = function () {
        var left = Math.ceil((deadline - Date.now()) / 1000);
        if (left <= 0) {
          hideQR();
          return;
        }
        timerText.textContent = 'QR code hides in ' + left + 's';
      };
      tick();
      timer = window.setInterval(tick, 250);
    }
    function hideQR() {
      stopTimer();
      qr.classList.add('is-hidden');
      secret.classList.add('is-hidden');
      secret.setAttribute('aria-hidden', 'true');
      reveal.hidden = false;
      timerText.textContent = 'QR code hidden';
    }
    function forgetQR() {
      stopTimer();
      img.removeAttribute('src');
      secret.textContent = '';
      input.value = '';
      fieldError(input, '');
    }

    reveal.addEventListener('click', function () {
      showQR();
    });

    enable.addEventListener('submit', function (e) {
      e.preventDefault();
      notice(errorBox, '');
      busy(enable, true);
      post('/generate-totp-factor/').then(function (r) {
        busy(enable, false);
        if (followed(r)) return;
        if (!r.ok) {
          notice(errorBox, errorOf(r));
          return;
        }
        forgetQR();
        img.src = r.data.qr;
        secret.textContent = groupSecret(r.data.secret);
        setState('enroll');
        showQR();
        input.focus();
      });
    });

    card.querySelector('[data-totp-cancel]').addEventListener('click', function () {
      forgetQR();
      setState('off');
      enable.querySelector('button').focus();
    });

    confirm.addEventListener('submit', function (e) {
      e.preventDefault();
      notice(errorBox, '');
      busy(confirm, true);
      post('/confirm-totp-enrollment/', { code: input.value }).then(function (r) {
        busy(confirm, false);
        if (followed(r)) return;
        if (r.ok) {
          forgetQR();
          setState('on');
          setSessionMethod('', 'Authenticator app');
          if (prompt) prompt.hidden = false;
          var start = prompt && prompt.querySelector('[data-backup-start]');
          (start || removeLink).focus();
          return;
        }
        if (r.data.restart) {
          // The pending factor is gone: start again with Enable (or, when
          // another tab finished the set-up, show the app as active).
          forgetQR();
          setState(r.status === 409 ? 'on' : 'off');
          notice(errorBox, errorOf(r));
          return;
        }
        if (r.status === 400) {
          fieldError(input, errorOf(r));
          input.focus();
          input.select();
          return;
        }
        notice(errorBox, errorOf(r));
      });
    });

    removeLink.addEventListener('click', function (e) {
      e.preventDefault();
      notice(errorBox, '');
      setState('remove');
      removeForm.querySelector('button').focus();
    });

    card.querySelector('[data-totp-remove-cancel]').addEventListener('click', function () {
      notice(errorBox, '');
      setState('on');
      removeLink.focus();
    });

    removeForm.addEventListener('submit', function (e) {
      e.preventDefault();
      notice(errorBox, '');
      busy(removeForm, true);
      post('/remove-totp-device/').then(function (r) {
        busy(removeForm, false);
        if (followed(r)) return;
        if (!r.ok) {
          // The app is still set up: the person can retry or cancel.
          notice(errorBox, errorOf(r));
          return;
        }
        if (prompt) prompt.hidden = true;
        setState('off');
        setSessionMethod('Authenticator app', 'SMS code');
        enable.querySelector('button').focus();
      });
    });
  }

  // --- Backup codes ------------------------------------------------------

  // Copy and Download .txt for a list of codes on the page.
  document.querySelectorAll('[data-backup-tools]').forEach(function (tools) {
    var box = tools.parentElement;
    var status = tools.querySelector('[data-backup-status]');
    var codes = function () {
      return Array.prototype.map.call(box.querySelectorAll('[data-backup-list] code'), function (c) {
        return c.textContent;
      });
    };
    tools.hidden = false;
    tools.querySelector('[data-backup-copy]').addEventListener('click', function () {
      copy(codes().join('\n')).then(function () {
        status.textContent = 'Copied to the clipboard.';
      }, function () {
        status.textContent = 'Copying failed: select the codes and copy them by hand.';
      });
    });
    tools.querySelector('[data-backup-download]').addEventListener('click', function () {
      download('gatehouse-backup-codes.txt',
        'Gatehouse backup codes (created ' + new Date().toISOString().slice(0, 10) + ')\n\n' +
        codes().join('\n') + '\n\n' +
        'Each code works once. Generating a new set of codes invalidates these.\n');
      status.textContent = 'Downloaded gatehouse-backup-codes.txt.';
    });
  });

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

  var backup = document.querySelector('section[data-backup]');
  if (backup && backup.querySelector('[data-backup-when]')) backupCard(backup);

  function backupCard(backup) {
    var errorBox = backup.querySelector('[data-backup-error]');
    var generate = backup.querySelector('form[data-backup-generate]');
    var list = backup.querySelector('[data-backup-list]');
    var left = backup.querySelector('[data-backup-left]');
    var status = backup.querySelector('[data-backup-status]');

    function setState(state) {
      backup.querySelectorAll('[data-backup-when]').forEach(function (el) {
        el.hidden = el.getAttribute('data-backup-when') !== state;
      });
    }

    // "Generate backup codes" here, or "Create backup codes" in the
    // authenticator card right after enrollment: the warning first.
    document.querySelectorAll('[data-backup-start]').forEach(function (a) {
      a.addEventListener('click', function (e) {
        e.preventDefault();
        notice(errorBox, '');
        setState('confirm');
        backup.scrollIntoView({ block: 'start' });
        generate.querySelector('button').focus({ preventScroll: true });
      });
    });

    backup.querySelector('[data-backup-cancel]').addEventListener('click', function (e) {
      e.preventDefault();
      setState('idle');
    });

    generate.addEventListener('submit', function (e) {
      e.preventDefault();
      notice(errorBox, '');
      busy(generate, true);
      post('/generate-backup-codes/').then(function (r) {
        busy(generate, false);
        if (followed(r)) return;
        if (!r.ok || !r.data.codes) {
          setState('idle');
          notice(errorBox, errorOf(r));
          return;
        }
        list.textContent = '';
        r.data.codes.forEach(function (c) {
          var li = document.createElement('li');
          var code = document.createElement('code');
          code.textContent = c;
          li.appendChild(code);
          list.appendChild(li);
        });
        status.textContent = '';
        left.textContent = r.data.codes.length + ' codes left';
        left.classList.remove('pill-off');
        left.classList.add('pill-on');
        var prompt = document.querySelector('[data-backup-prompt]');
        if (prompt) prompt.hidden = true;
        setState('codes');
        backup.querySelector('[data-backup-copy]').focus();
      });
    });

    // Once saved, the codes leave the page: they are shown only once.
    backup.querySelector('[data-backup-done]').addEventListener('click', function () {
      list.textContent = '';
      status.textContent = '';
      setState('idle');
      backup.querySelector('[data-backup-start]').focus();
    });
  }
})();
