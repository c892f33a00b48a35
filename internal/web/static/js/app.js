// app.js enhances the portal's pages. Every page works without it: the
// server validates every form and decides every step.
(function () {
  'use strict';

  document.documentElement.classList.add('js');

  var guarded = [];

  // captchaDone reports whether the form's CAPTCHA, if any, holds a token.
  function captchaDone(form) {
    var box = form.querySelector('[data-captcha]');
    if (!box) return true;
    if (box.classList.contains('is-solving')) return false;
    if (box.classList.contains('is-solved')) return true;
    // The token arrives in "captcha" or in the field the provider's widget
    // fills, which the server names in data-captcha-field.
    var names = ['captcha'];
    if (box.dataset.captchaField) names.push(box.dataset.captchaField);
    return names.some(function (name) {
      var f = form.querySelector('[name="' + name + '"]');
      return f && f.value !== '';
    });
  }

  // labelOf returns how the form names a field, for a sentence.
  function labelOf(form, el) {
    var label = el.id && form.querySelector('label[for="' + el.id + '"]');
    var text = label ? label.textContent.trim() : el.name;
    return text.charAt(0).toLowerCase() + text.slice(1);
  }

  // listOf joins words as a sentence does: "a, b and c".
  function listOf(words) {
    if (words.length < 2) return words.join('');
    return words.slice(0, -1).join(', ') + ' and ' + words[words.length - 1];
  }

  // waitingFor says what a guarded form still needs before it can be sent,
  // or '' when nothing is missing.
  function waitingFor(form) {
    var empty = Array.prototype.filter.call(
      form.querySelectorAll('input[required], select[required], textarea[required]'),
      function (el) { return el.value.trim() === ''; });
    if (empty.length) {
      return 'Fill in ' + listOf(empty.map(function (el) { return labelOf(form, el); }));
    }
    if (!captchaDone(form)) {
      var box = form.querySelector('[data-captcha]');
      return box && box.classList.contains('is-failed') ? 'Retry the security check to continue' : 'Waiting for the security check…';
    }
    return '';
  }

  // update enables a guarded form's submit button once every required
  // field is filled and the CAPTCHA is solved; until then the button says
  // what it waits for, so a greyed-out button is never a riddle.
  function update(form) {
    var wait = waitingFor(form);
    form.querySelectorAll('[data-guard-submit]').forEach(function (b) {
      if (!b.hasAttribute('data-label')) b.setAttribute('data-label', b.textContent);
      b.disabled = wait !== '';
      b.textContent = wait || b.getAttribute('data-label');
    });
  }

  function updateAll() { guarded.forEach(update); }

  document.querySelectorAll('form[data-guard]').forEach(function (form) {
    guarded.push(form);
    ['input', 'change', 'captcha:solved'].forEach(function (type) {
      form.addEventListener(type, function () { update(form); });
    });
    update(form);
  });
  // Browsers may autofill after load without an input event.
  window.addEventListener('load', function () { setTimeout(updateAll, 300); });
  // The pow widget re-solves before its token expires, toggling its classes.
  document.querySelectorAll('[data-captcha]').forEach(function (box) {
    new MutationObserver(updateAll).observe(box, { attributes: true, attributeFilter: ['class'] });
  });

  // Callbacks named in the reCAPTCHA, hCaptcha and Turnstile widgets.
  window.gatehouseCaptchaSolved = updateAll;
  window.gatehouseCaptchaExpired = function () {
    TOKEN_FIELDS.forEach(function (name) {
      document.querySelectorAll('[name="' + name + '"]').forEach(function (f) { f.value = ''; });
    });
    updateAll();
  };

  // Six-digit code fields: keep digits only, so a pasted "123 456" fits.
  // (A backup code field is a one-time code too, but of letters.)
  document.querySelectorAll('input[inputmode="numeric"][autocomplete="one-time-code"]').forEach(function (input) {
    input.addEventListener('paste', function (e) {
      var text = (e.clipboardData || window.clipboardData).getData('text');
      var digits = text.replace(/\D/g, '').slice(0, 6);
      if (digits === '') return;
      e.preventDefault();
      input.value = digits;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    input.addEventListener('input', function () {
      var digits = input.value.replace(/\D/g, '');
      if (digits !== input.value) input.value = digits;
    });
  });

  // Show / hide password buttons.
  document.querySelectorAll('[data-reveal]').forEach(function (button) {
    var input = document.getElementById(button.getAttribute('data-reveal'));
    if (!input) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.textContent = show ? 'Hide' : 'Show';
      button.setAttribute('aria-pressed', show ? 'true' : 'false');
      input.focus();
    });
  });

  // --- Popups -------------------------------------------------------------

  // The server sends a popup as <dialog open data-modal>: a page of its own
  // that works without scripts. Here it becomes a modal dialog: the page
  // behind is inert, focus moves in and Tab cycles inside it, Escape does
  // what its [data-modal-cancel] control does, and focus goes back to where
  // it was when the dialog closes.
  var FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]';

  function focusables(root) {
    return Array.prototype.filter.call(root.querySelectorAll(FOCUSABLE), function (el) {
      return !el.disabled && el.tabIndex >= 0 && el.type !== 'hidden' && el.getClientRects().length > 0;
    });
  }

  function modal(dialog) {
    if (typeof dialog.showModal !== 'function') return;
    var back = document.activeElement;
    var cancelling = false;
    dialog.removeAttribute('open');
    try {
      dialog.showModal();
    } catch (err) {
      dialog.setAttribute('open', '');
      return;
    }
    document.body.classList.add('has-modal');
    var first = dialog.querySelector('[autofocus]') || focusables(dialog)[0];
    if (first) first.focus();

    function cancel() {
      if (cancelling) return;
      cancelling = true;
      var control = dialog.querySelector('[data-modal-cancel]');
      if (control) control.click();
      else dialog.close();
    }

    dialog.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') {
        e.preventDefault();
        cancel();
        return;
      }
      if (e.key !== 'Tab') return;
      var all = focusables(dialog);
      if (all.length === 0) return;
      var i = all.indexOf(document.activeElement);
      if (e.shiftKey && i <= 0) {
        e.preventDefault();
        all[all.length - 1].focus();
      } else if (!e.shiftKey && (i === all.length - 1 || i < 0)) {
        e.preventDefault();
        all[0].focus();
      }
    });
    // Escape without a keydown reaching the dialog (the browser's own close
    // request) lands here.
    dialog.addEventListener('cancel', function (e) {
      e.preventDefault();
      cancel();
    });
    dialog.addEventListener('close', function () {
      if (dialog.open) return;
      document.body.classList.remove('has-modal');
      if (back && back !== document.body && document.contains(back)) back.focus();
    });
    // Back from the back/forward cache after Cancel: ready for Escape again.
    window.addEventListener('pageshow', function () { cancelling = false; });
  }

  document.querySelectorAll('dialog[data-modal]').forEach(modal);

  // --- Resend countdown ---------------------------------------------------

  // A resend button carrying data-resend-in (seconds) or data-resend-at
  // (Unix seconds) waits until then, counting down in its label. The
  // server refuses an early resend all the same; this only saves the trip.
  function countdown(left) {
    if (left < 60) return left + ' s';
    var s = left % 60;
    return Math.floor(left / 60) + ':' + (s < 10 ? '0' : '') + s;
  }

  document.querySelectorAll('[data-resend-in], [data-resend-at]').forEach(function (button) {
    var deadline = button.hasAttribute('data-resend-in')
      ? Date.now() + Number(button.getAttribute('data-resend-in')) * 1000
      : Number(button.getAttribute('data-resend-at')) * 1000;
    if (!isFinite(deadline)) return;
    var label = button.textContent;
    var timer = 0;
    function tick() {
      var left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) {
        window.clearInterval(timer);
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.disabled = true;
      button.textContent = label + ' in ' + countdown(left);
    }
    tick();
    if (button.disabled) timer = window.setInterval(tick, 250);
  });

  // A sent form cannot be sent twice by a double click (two SMS sends).
  // Listening on the document runs after the form's own listeners, so a
  // submit that the CAPTCHA widget held back is not counted.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (e.defaultPrevented || form.method !== 'post') return;
    if (form.hasAttribute('data-sending')) {
      e.preventDefault();
      return;
    }
    form.setAttribute('data-sending', '');
  });
  // A page restored from the back/forward cache must be usable again.
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('form[data-sending]').forEach(function (f) { f.removeAttribute('data-sending'); });
  });
})();
