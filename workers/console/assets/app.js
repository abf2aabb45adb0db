// app.js: the console's pages, drawn from the JSON API. Every text from the
// API (alert titles, descriptions, employees' words) is untrusted: it goes
// into the page with textContent only, never as HTML.
'use strict';

const state = {csrf: null, user: null, role: null};

// el('td', {class: 'x'}, 'text' | Node ...): an element built without HTML parsing.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401) {
    window.location.assign('/login');
    throw new Error('not logged in');
  }
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.detail || r.statusText);
  return data;
}

function show(...nodes) {
  const v = document.getElementById('view');
  v.replaceChildren(...nodes);
}

function fail(e) {
  show(el('p', {class: 'error', id: 'error'}, String(e.message || e)));
}

const views = {};

async function route() {
  const hash = (window.location.hash || '#/alerts').split('?')[0];
  const [, name, arg] = hash.split('/');
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.view === name);
  }
  const view = views[name] || views.alerts;
  try {
    await view(arg ? decodeURIComponent(arg) : undefined);
  } catch (e) {
    fail(e);
  }
}

async function start() {
  const s = await api('GET', '/api/v1/session');
  state.csrf = s.csrf;
  state.user = s.user;
  state.role = s.role;
  document.getElementById('who').textContent = `${s.user} (${s.role})`;
  document.getElementById('logout').addEventListener('click', async () => {
    await api('POST', '/api/v1/logout').catch(() => {});
    window.location.assign('/login');
  });
  window.addEventListener('hashchange', route);
  await route();
}

window.securitybot = {el, api, show, views, state};
document.addEventListener('DOMContentLoaded', () => { start().catch(fail); });
