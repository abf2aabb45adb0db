// views.js: the console's views (alerts, an alert, escalations, rules). Text
// from the API is put into the page with el()/textContent only, never as HTML.
'use strict';

(() => {
  const {el, api, show, views, state} = window.securitybot;

  const FILTERS = ['employee', 'rule', 'source', 'severity', 'status', 'outcome', 'since', 'until', 'q'];

  function table(headers, rows) {
    return el('table', {}, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows));
  }

  function cell(v) {
    return el('td', {}, v === null || v === undefined ? '' : String(v));
  }

  // #/alerts?rule=x&...: the filters live in the hash, so a view is a link.
  views.alerts = async () => {
    const params = new URLSearchParams((window.location.hash.split('?')[1]) || '');
    const form = el('form', {class: 'filters', id: 'alert-filters'});
    for (const f of FILTERS) {
      form.appendChild(el('input', {name: f, id: `filter-${f}`, placeholder: f, value: params.get(f) || ''}));
    }
    form.appendChild(el('button', {type: 'submit', id: 'filter-apply'}, 'Filter'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams();
      for (const f of FILTERS) {
        const v = form.elements[f].value.trim();
        if (v) q.set(f, v);
      }
      window.location.hash = `#/alerts?${q.toString()}`;
    });
    const query = new URLSearchParams();
    for (const f of FILTERS) if (params.get(f)) query.set(f, params.get(f));
    if (params.get('cursor')) query.set('cursor', params.get('cursor'));
    const data = await api('GET', `/api/v1/alerts?${query.toString()}`);
    const rows = data.alerts.map((a) => {
      const link = el('a', {href: `#/alert/${encodeURIComponent(a.id)}`, class: 'alert-link'}, a.title);
      return el('tr', {class: 'alert-row'}, cell(a.received_at), el('td', {}, link), cell(a.employee),
        cell(a.rule), cell(a.source), el('td', {class: `sev-${a.severity}`}, a.severity),
        cell(a.status), cell(a.outcome));
    });
    const nodes = [form, table(['received', 'title', 'employee', 'rule', 'source', 'severity', 'status', 'outcome'], rows)];
    if (data.next_cursor) {
      const q = new URLSearchParams(query);
      q.set('cursor', data.next_cursor);
      nodes.push(el('p', {}, el('a', {href: `#/alerts?${q.toString()}`, id: 'next-page'}, 'Older alerts')));
    }
    nodes.push(el('p', {id: 'alert-count'}, `${data.alerts.length} alerts`));
    show(...nodes);
  };

  views.alert = async (id) => {
    const d = await api('GET', `/api/v1/alerts/${encodeURIComponent(id)}`);
    const a = d.alert;
    const fields = ['id', 'detector_id', 'source', 'rule', 'title', 'description', 'severity', 'url',
      'user', 'employee', 'status', 'status_reason', 'group_id', 'outcome', 'answer', 'comment', 'second_factor',
      'occurred_at', 'received_at', 'prompted_at', 'answered_at', 'decided_at'];
    // a storm's member links to its group's question (the leader's alert)
    const value = (f) => a[f] === null || a[f] === undefined ? ''
      : f === 'group_id' && a[f] !== a.id ? el('a', {href: `#/alert/${encodeURIComponent(a[f])}`}, a[f])
        : String(a[f]);
    const dl = el('table', {id: 'alert-fields'}, ...fields.map((f) =>
      el('tr', {}, el('th', {}, f), el('td', {id: `field-${f}`}, value(f)))));
    const timeline = table(['at', 'actor', 'action', 'detail'], d.timeline.map((t) =>
      el('tr', {class: 'timeline-row'}, cell(t.at), cell(t.actor), cell(t.action),
        cell(t.detail ? JSON.stringify(t.detail) : ''))));
    timeline.id = 'timeline';
    const nodes = [el('h2', {id: 'alert-title'}, a.title), dl, el('h3', {}, 'Timeline'), timeline];
    if (d.escalation) {
      nodes.push(el('h3', {}, 'Escalation'), el('pre', {id: 'escalation'}, JSON.stringify(d.escalation, null, 2)));
    }
    nodes.push(el('h3', {}, 'As received'), el('pre', {id: 'raw'}, JSON.stringify(a.raw, null, 2)));
    nodes.push(el('p', {}, 'Same as: ', el('code', {}, `sbctl alerts show ${a.id}`)));
    show(...nodes);
  };

  function escalationActions(e) {
    const td = el('td', {});
    if (e.resolved_at || !['responder', 'admin'].includes(state.role)) return td;
    const id = e.alert_id;
    if (!e.acknowledged_at) {
      const ack = el('button', {type: 'button', class: 'ack', 'data-id': id}, 'Acknowledge');
      ack.addEventListener('click', async () => {
        await api('POST', `/api/v1/escalations/${id}/acknowledge`);
        await views.escalations();
      });
      td.appendChild(ack);
    }
    const verdict = el('select', {class: 'verdict'}, ...['true_positive', 'false_positive', 'benign', 'duplicate']
      .map((v) => el('option', {value: v}, v)));
    const note = el('input', {class: 'note', placeholder: 'note'});
    const resolve = el('button', {type: 'button', class: 'resolve', 'data-id': id}, 'Resolve');
    resolve.addEventListener('click', async () => {
      await api('POST', `/api/v1/escalations/${id}/resolve`, {verdict: verdict.value, note: note.value || null});
      await views.escalations();
    });
    td.append(verdict, note, resolve);
    return td;
  }

  views.escalations = async () => {
    const d = await api('GET', '/api/v1/escalations');
    const rows = d.escalations.map((e) => el('tr', {class: 'escalation-row', 'data-id': e.alert_id},
      el('td', {}, el('a', {href: `#/alert/${e.alert_id}`}, e.title)), cell(e.employee), cell(e.rule),
      el('td', {class: `sev-${e.severity}`}, e.severity), cell(e.reason), cell(e.raised_at),
      el('td', {class: 'acknowledged-by'}, e.acknowledged_by || ''),
      el('td', {class: 'verdict-shown'}, e.verdict || ''), escalationActions(e)));
    show(el('h2', {}, 'Escalations'), table(['alert', 'employee', 'rule', 'severity', 'reason', 'raised',
      'taken by', 'verdict', ''], rows));
  };

  function pct(n, total) {
    return total ? `${Math.round((100 * n) / total)}%` : '';
  }

  function drawCharts(rule) {
    const days = rule.days || [];
    const labels = days.map((d) => d.day);
    const perDay = new window.Chart(document.getElementById('chart-outcomes'), {
      type: 'bar',
      data: {labels, datasets: [
        {label: 'alerts', data: days.map((d) => d.alerts), backgroundColor: '#5b6b8c'},
        {label: 'confirmed', data: days.map((d) => d.confirmed), backgroundColor: '#4caf7d'},
        {label: 'denied', data: days.map((d) => d.denied), backgroundColor: '#d9534f'},
        {label: 'no response', data: days.map((d) => d.no_response), backgroundColor: '#f0ad4e'},
      ]},
      options: {animation: false},
    });
    const answer = new window.Chart(document.getElementById('chart-answer'), {
      type: 'line',
      data: {labels, datasets: [{label: 'median seconds to answer', data: days.map((d) => d.median_answer_s),
        borderColor: '#3b6fd4', backgroundColor: '#3b6fd4'}]},
      options: {animation: false},
    });
    state.charts = [perDay, answer];
  }

  views.rules = async (name) => {
    const d = await api('GET', '/api/v1/rules');
    for (const c of state.charts || []) c.destroy();
    state.charts = [];
    const rows = d.rules.map((r) => el('tr', {class: 'rule-row'},
      el('td', {}, el('a', {href: `#/rules/${encodeURIComponent(r.rule)}`}, r.rule)), cell(r.alerts),
      cell(pct(r.answered, r.prompted)), cell(r.median_answer_s === null ? '' : Math.round(r.median_answer_s)),
      cell(pct(r.confirmed, r.alerts)), cell(pct(r.denied, r.alerts)), cell(pct(r.no_response, r.alerts)),
      cell(pct(r.escalated, r.alerts)), cell(r.wrong_employee), cell(JSON.stringify(r.verdicts))));
    const chosen = d.rules.find((r) => r.rule === name) || d.rules[0];
    const nodes = [el('h2', {}, `Rules, ${d.since} to ${d.until}`),
      table(['rule', 'alerts', 'response rate', 'median s to answer', 'confirmed', 'denied', 'no response',
        'escalated', 'wrong person', 'verdicts'], rows)];
    // "not me": the directory or a detector's identity mapping to fix
    if ((d.wrong_employee_by_source || []).length) {
      nodes.push(el('h3', {id: 'wrong-person'}, 'Wrong person ("not me") by source'),
        table(['source', 'wrong person'], d.wrong_employee_by_source.map((w) =>
          el('tr', {class: 'wrong-row'}, el('td', {}, w.source), cell(w.wrong_employee)))));
    }
    if (chosen) {
      nodes.push(el('h3', {id: 'chart-rule'}, chosen.rule),
        el('div', {class: 'chart-box'}, el('canvas', {id: 'chart-outcomes'})),
        el('div', {class: 'chart-box'}, el('canvas', {id: 'chart-answer'})));
    }
    show(...nodes);
    if (chosen && window.Chart) drawCharts(chosen);
  };
})();
