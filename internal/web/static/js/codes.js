// codes.js runs the backup codes of Account settings: a new set, shown
// once, with Copy and Download. Without it the same happens as plain forms.
(function () {
  'use strict';

  var m = window.gatehouseMFA;
  var post = m.post, followed = m.followed, errorOf = m.errorOf, busy = m.busy, notice = m.notice,
    copy = m.copy, download = m.download;

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
