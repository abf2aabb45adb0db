// admin.js: the console's other views: employees, ignore rules, dead
// letters and an alert made by hand. Text from the API only via el().
'use strict';

(() => {
  const {el, api, show, views, state} = window.securitybot;

  function table(headers, rows) {
    return el('table', {}, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows));
  }
  function cell(v) {
    return el('td', {}, v === null || v === undefined ? '' : String(v));
  }
  function oops(e) {
    show(el('p', {class: 'error', id: 'error'}, String(e.message || e)));
  }
  function button(label, cls, onClick) {
    const b = el('button', {type: 'button', class: cls}, label);
    b.addEventListener('click', () => onClick().catch(oops));
    return b;
  }
  const can = (role) => ['viewer', 'responder', 'admin'].indexOf(state.role) >= ['viewer', 'responder', 'admin'].indexOf(role);

  views.employees = async () => {
    const d = await api('GET', '/api/v1/employees');
    const rows = d.employees.map((e) => {
      const u = encodeURIComponent(e.username);
      const actions = el('td', {});
      if (can('admin')) {
        actions.append(
          button(e.opted_out ? 'Opt in' : 'Opt out', 'opt', async () => {
            await api('POST', `/api/v1/employees/${u}/${e.opted_out ? 'optin' : 'optout'}`);
            await views.employees();
          }),
          button('Reset second factor', 'reset-2fa', async () => {
            await api('POST', `/api/v1/employees/${u}/reset-second-factor`);
            await views.employees();
          }));
      }
      return el('tr', {class: 'employee-row'}, cell(e.username), cell(e.email), cell(e.chat_user_id),
        cell(e.second_factor_enrolled ? 'enrolled' : 'not enrolled'), cell(e.opted_out ? 'opted out' : ''),
        cell(e.open_conversations), cell(e.alerts_30d), actions);
    });
    show(el('h2', {}, 'Employees'), table(['username', 'e-mail', 'chat id', 'second factor', 'opted out',
      'open conversations', 'alerts (30 days)', ''], rows));
  };

  views.ignore = async () => {
    const d = await api('GET', '/api/v1/ignore-rules');
    const rows = d.ignore_rules.map((r) => el('tr', {class: 'ignore-row'}, cell(r.id), cell(r.employee),
      cell(r.rule), cell(r.until), cell(r.reason), cell(r.created_by),
      el('td', {}, can('responder') ? button('Remove', 'remove', async () => {
        await api('DELETE', `/api/v1/ignore-rules?id=${encodeURIComponent(r.id)}`);
        await views.ignore();
      }) : '')));
    const nodes = [el('h2', {}, 'Ignore rules'), table(['id', 'employee', 'rule', 'until', 'reason', 'by', ''], rows)];
    if (can('responder')) {
      const form = el('form', {class: 'filters', id: 'ignore-form'},
        el('input', {name: 'employee', placeholder: 'employee', required: ''}),
        el('input', {name: 'rule', placeholder: 'rule (* for all)', required: ''}),
        el('input', {name: 'for', placeholder: 'for (2h, 7d)', required: ''}),
        el('input', {name: 'reason', placeholder: 'reason'}),
        el('button', {type: 'submit'}, 'Add'));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const f = form.elements;
        await api('POST', '/api/v1/ignore-rules', {employee: f.employee.value, rule: f.rule.value,
          for: f.for.value, reason: f.reason.value || null}).then(views.ignore, oops);
      });
      nodes.push(form);
    }
    show(...nodes);
  };

  views['dead-letters'] = async () => {
    const d = await api('GET', '/api/v1/dead-letters');
    const rows = d.dead_letters.map((x) => el('tr', {class: 'dlq-row'}, cell(x.id), cell(x.reason),
      cell(x.detail), cell(x.rejected_at), cell(x.replayed_at),
      el('td', {}, el('pre', {}, x.original || '')),
      el('td', {}, can('responder') && !x.replayed_at ? button('Replay', 'replay', async () => {
        await api('POST', `/api/v1/dead-letters/${encodeURIComponent(x.id)}/replay`);
        await views['dead-letters']();
      }) : '')));
    show(el('h2', {}, 'Dead letters'), table(['id', 'reason', 'detail', 'rejected', 'replayed', 'original', ''], rows));
  };

  views.create = async () => {
    if (!can('responder')) {
      show(el('p', {}, 'Responders create alerts by hand.'));
      return;
    }
    const form = el('form', {id: 'create-form'},
      ...['user', 'rule', 'title', 'description', 'url'].map((n) =>
        el('p', {}, el('label', {}, `${n} `, el('input', {name: n, id: `create-${n}`})))),
      el('p', {}, el('label', {}, 'severity ', el('select', {name: 'severity'},
        ...['medium', 'low', 'high', 'critical'].map((s) => el('option', {value: s}, s))))),
      el('button', {type: 'submit'}, 'Publish'), el('p', {id: 'create-result'}));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = {};
      for (const n of ['user', 'rule', 'title', 'description', 'url', 'severity']) {
        if (form.elements[n].value) body[n] = form.elements[n].value;
      }
      const out = document.getElementById('create-result');
      try {
        const r = await api('POST', '/api/v1/alerts', body);
        out.textContent = `published: ${r.id}`;
      } catch (e) {
        out.textContent = e.message;
      }
    });
    show(el('h2', {}, 'New alert'), form);
  };
})();
