// login.js: posts the login form as JSON; the session comes back as an HttpOnly cookie.
'use strict';

document.getElementById('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const err = document.getElementById('login-error');
  err.textContent = '';
  const body = JSON.stringify({
    user: document.getElementById('user').value,
    password: document.getElementById('password').value,
  });
  try {
    const r = await fetch('/api/v1/login', {
      method: 'POST', headers: {'Content-Type': 'application/json'}, body, credentials: 'same-origin',
    });
    if (r.ok) {
      window.location.assign('/');
      return;
    }
    const e = await r.json().catch(() => ({detail: r.statusText}));
    err.textContent = e.detail || 'login failed';
  } catch (e) {
    err.textContent = 'the console is unreachable';
  }
});
