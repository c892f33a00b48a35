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

  // update enables a guarded form's submit button once every required
  // field is filled and the CAPTCHA is solved.
  function update(form) {
    var filled = Array.prototype.every.call(
      form.querySelectorAll('input[required], select[required], textarea[required]'),
      function (el) { return el.value.trim() !== ''; });
    var ok = filled && captchaDone(form);
    form.querySelectorAll('[data-guard-submit]').forEach(function (b) {
      b.disabled = !ok;
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

  // One-time code fields: keep digits only, so a pasted "123 456" fits.
  document.querySelectorAll('input[autocomplete="one-time-code"]').forEach(function (input) {
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
