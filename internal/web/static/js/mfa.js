// mfa.js runs the authenticator app card and the backup codes of Account
// settings, and the authenticator code page of the sign-in. Each of them
// also works without it, as plain forms; this script keeps the person on
// the page and talks to the JSON endpoints instead.
(function () {
  'use strict';

  var m = window.gatehouseMFA;
  var QR_SECONDS = m.QR_SECONDS, post = m.post, followed = m.followed, errorOf = m.errorOf, busy = m.busy,
    fieldError = m.fieldError, notice = m.notice, groupSecret = m.groupSecret, setSessionMethod = m.setSessionMethod,
    copy = m.copy;

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
    var qrStatus = card.querySelector('[data-qr-status]');
    var secret = card.querySelector('[data-qr-secret]');
    var openLine = card.querySelector('[data-qr-open-line]');
    var openLink = card.querySelector('[data-qr-open]');
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
    // "Reveal QR Code" shows them again for as long. The visible countdown
    // is hidden from screen readers; they hear two sentences instead, one
    // when the code shows and one when it hides.
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
      qrStatus.textContent = 'The QR code and the key are shown for ' + QR_SECONDS + ' seconds.';
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
      qrStatus.textContent = 'The QR code and the key are hidden. Reveal QR Code shows them again.';
    }
    function forgetQR() {
      stopTimer();
      img.removeAttribute('src');
      secret.textContent = '';
      qrStatus.textContent = '';
      openLink.removeAttribute('href');
      openLine.hidden = true;
      keyTools(card, false);
      input.value = '';
      fieldError(input, '');
    }

    // The button vanishes with the blur it lifts: focus goes on to the
    // code field, the next thing to do, instead of falling to the page.
    reveal.addEventListener('click', function () {
      showQR();
      input.focus();
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
        if (/^otpauth:\/\//.test(r.data.uri || '')) {
          openLink.href = r.data.uri;
          openLine.hidden = false;
        }
        keyTools(card, true);
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

  // --- Copy key ----------------------------------------------------------

  // keyTools shows or hides the Copy key button of the key under root.
  // Without JavaScript the key stays on the page to select by hand.
  function keyTools(root, on) {
    var tools = root.querySelector('[data-key-tools]');
    if (!tools) return;
    tools.hidden = !on;
    tools.querySelector('[data-copy-status]').textContent = '';
  }

  document.querySelectorAll('[data-copy-key]').forEach(function (button) {
    var root = button.closest('section') || document;
    var status = root.querySelector('[data-copy-status]');
    button.addEventListener('click', function () {
      var key = root.querySelector('[data-qr-secret]').textContent.replace(/\s+/g, '');
      if (key === '') return;
      copy(key).then(function () {
        status.textContent = 'Key copied. Paste it into your authenticator app.';
      }, function () {
        status.textContent = 'Copying failed: select the key and copy it by hand.';
      });
    });
  });
  // The key of the page without the card (the set-up page) is there from
  // the start.
  document.querySelectorAll('[data-key-tools]').forEach(function (tools) {
    var root = tools.closest('section');
    if (root && !root.hasAttribute('data-totp')) keyTools(root, true);
  });
})();
