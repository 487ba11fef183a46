// toolscope's built-in dashboard: polls /status and draws it with uPlot (served
// from toolscope's own node_modules, no CDN). Text from the status (tool names,
// stderr, summaries) comes from upstreams: it only ever goes into textContent.
(() => {
  const REFRESH_MS = 2000;
  const TOOL_COLORS = [
    '#2563eb',
    '#16a34a',
    '#d97706',
    '#9333ea',
    '#0891b2',
    '#db2777',
    '#65a30d',
    '#475569',
  ];
  // Three hues far apart (green, orange, blue), told apart with colour-vision deficiencies too.
  const LATENCY_COLORS = { p50: '#16a34a', p95: '#ea580c', p99: '#1d4ed8' };
  /** The error-rate chart's window: per-second rates of a few calls zigzag between 0 and 60 %. */
  const ERROR_WINDOW_S = 10;
  /**
   * The window reaches further back until it holds this many calls, so one call moves the rate by
   * at most ~3 points, however slow the traffic; with fewer calls in all, no rate is drawn.
   */
  const ERROR_MIN_CALLS = 30;
  const POOL_COLORS = { limit: '#1d2330', inFlight: '#2563eb', waited: '#d97706' };
  const ANOMALY_BAND = 'rgba(220, 38, 38, 0.16)';
  const charts = new Map();
  let lastStatus;

  // ---- small helpers ------------------------------------------------------

  /** An element with attributes and children (strings become text nodes, never HTML). */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fmtMs(ms) {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
    if (ms < 1) return `${ms.toFixed(2)} ms`;
    if (ms < 100) return `${ms.toFixed(1)} ms`;
    if (ms < 10000) return `${Math.round(ms)} ms`;
    return `${(ms / 1000).toFixed(1)} s`;
  }

  function fmtMicros(us) {
    if (us === null || us === undefined || !Number.isFinite(us)) return '—';
    return us < 1000 ? `${Math.round(us)} µs` : fmtMs(us / 1000);
  }

  function fmtPct(fraction) {
    const pct = fraction * 100;
    return pct < 10 ? `${pct.toFixed(1)} %` : `${Math.round(pct)} %`;
  }

  function fmtUptime(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
    const hours = Math.floor(m / 60);
    return hours < 24
      ? `${hours}h ${String(m % 60).padStart(2, '0')}m`
      : `${Math.floor(hours / 24)}d ${hours % 24}h`;
  }

  function fmtClock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour12: false });
  }

  function stateClass(state) {
    if (state === 'ready' || state === 'closed') return 'ok';
    if (state === 'degraded' || state === 'initializing' || state === 'half_open' || state === 'reconnecting')
      return 'warn';
    return 'bad';
  }

  function replaceChildren(id, ...children) {
    document.getElementById(id).replaceChildren(...children.flat());
  }

  // ---- charts -------------------------------------------------------------

  /** Shades the buckets a tool was anomalous in (drawn under the lines). */
  function anomalyBands(getFlags) {
    return {
      hooks: {
        drawClear: [
          (u) => {
            const flags = getFlags();
            const xs = u.data[0];
            let drawn = 0;
            if (flags && xs.length > 0) {
              const step = xs.length > 1 ? xs[1] - xs[0] : 1;
              const { left, top, width, height } = u.bbox;
              const ctx = u.ctx;
              ctx.save();
              ctx.beginPath();
              ctx.rect(left, top, width, height);
              ctx.clip();
              ctx.fillStyle = ANOMALY_BAND;
              for (let i = 0; i < xs.length; i++) {
                if (!flags[i]) continue;
                const x0 = u.valToPos(xs[i], 'x', true);
                const x1 = u.valToPos(xs[i] + step, 'x', true);
                ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
                drawn++;
              }
              ctx.restore();
            }
            u.root.dataset.anomalyBands = String(drawn);
          },
        ],
      },
    };
  }

  const axisValues = (format) => (_u, values) => values.map((v) => (v === null ? '' : format(v)));
  /**
   * Time ticks as a clock (`18:24:30`, `:35` within a minute), never a date: uPlot's default puts
   * the date under the first tick of every chart. The labels drawn are kept in `data-x-ticks`.
   */
  function timeAxisValues(container) {
    return (_u, values) => {
      let lastMinute = '';
      const labels = values.map((v) => {
        if (v === null) return '';
        const d = new Date(v * 1000);
        const two = (n) => String(n).padStart(2, '0');
        const minute = `${two(d.getHours())}:${two(d.getMinutes())}`;
        const label = minute === lastMinute ? `:${two(d.getSeconds())}` : `${minute}:${two(d.getSeconds())}`;
        lastMinute = minute;
        return label;
      });
      container.dataset.xTicks = labels.join(' ');
      return labels;
    };
  }

  /**
   * A tool's error rate in % over the last `ERROR_WINDOW_S` buckets (failed calls over calls),
   * reaching further back while they hold fewer than `ERROR_MIN_CALLS` calls; null when even the
   * whole series holds fewer.
   */
  function windowedErrorRate(s) {
    return s.calls.map((_, i) => {
      let calls = 0;
      let failed = 0;
      for (let j = i; j >= 0 && (j > i - ERROR_WINDOW_S || calls < ERROR_MIN_CALLS); j--) {
        calls += s.calls[j];
        failed += s.errors[j] + s.toolErrors[j];
      }
      return calls >= ERROR_MIN_CALLS ? (failed / calls) * 100 : null;
    });
  }
  // Axis labels are compact: the chart's heading carries the unit.
  const axisMs = (v) => {
    if (v === 0) return '0';
    if (v < 1) return v.toFixed(2);
    if (v < 10) return v.toFixed(1);
    if (v < 1000) return String(Math.round(v));
    return `${+(v / 1000).toFixed(1)}k`;
  };
  const shortNumber = (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : `${+v.toFixed(2)}`);

  /**
   * Creates or updates one chart in `container`. `series` are uPlot series options
   * after the x one; the chart is rebuilt only when the set of series changes.
   */
  function chart(id, container, series, data, options) {
    const signature = series.map((s) => s.label).join('|');
    let entry = charts.get(id);
    if (entry && entry.signature !== signature) {
      entry.plot.destroy();
      entry.observer.disconnect();
      charts.delete(id);
      entry = undefined;
    }
    if (entry) {
      entry.flags = options.flags;
      entry.plot.setData(data);
      return entry;
    }
    const width = Math.max(200, container.clientWidth || 300);
    entry = { signature, flags: options.flags, plot: undefined, observer: undefined };
    const current = entry;
    const plot = new uPlot(
      {
        width,
        height: options.height || 170,
        legend: { live: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { stroke: '#6b7280', values: timeAxisValues(container) },
          { stroke: '#6b7280', size: 56, values: axisValues(options.format || shortNumber) },
        ],
        series: [{}, ...series],
        plugins: options.bands ? [anomalyBands(() => current.flags)] : [],
      },
      data,
      container,
    );
    container.dataset.chart = id;
    // What is drawn, for a look from the browser's console (and the page tests).
    container.chartData = () => plot.data;
    entry.plot = plot;
    entry.observer = new ResizeObserver(() => {
      const next = Math.max(200, container.clientWidth);
      if (Math.abs(next - plot.width) > 2) plot.setSize({ width: next, height: plot.height });
    });
    entry.observer.observe(container);
    charts.set(id, entry);
    return entry;
  }

  /** The card of one chart: a title row and the chart's own box (created once, kept across refreshes). */
  function card(parent, id, title) {
    let node = parent.querySelector(`[data-card="${CSS.escape(id)}"]`);
    if (!node) {
      node = h('div', { class: 'card', dataset: { card: id } }, h('h3', {}), h('div', { class: 'chart' }));
      parent.append(node);
    }
    node.querySelector('h3').replaceChildren(...title);
    return node.querySelector('.chart');
  }

  function drawLatency(status) {
    const series = status.series;
    const parent = document.getElementById('latency-charts');
    for (const tool of status.tools) {
      const s = series.tools[tool.key];
      if (!s) continue;
      const firstTime = series.t[0] * 1000;
      const episodes = status.anomalies.filter(
        (e) => e.key === tool.key && (e.end === undefined || e.end === null || e.end >= firstTime),
      );
      const markers = episodes.map((e) =>
        h(
          'span',
          { class: 'anomaly-marker', title: [...e.reasons, ...e.recommendations].join('\n') },
          `⚠ ${e.severity} ${fmtClock(e.start)}–${e.end ? fmtClock(e.end) : 'now'}`,
        ),
      );
      const box = card(parent, `latency:${tool.key}`, [tool.name, ...markers]);
      box.parentElement.dataset.tool = tool.key;
      chart(
        `latency:${tool.key}`,
        box,
        [
          { label: 'p50', stroke: LATENCY_COLORS.p50, width: 1.5 },
          { label: 'p95', stroke: LATENCY_COLORS.p95, width: 1.5 },
          // Dashed: on small buckets p99 often equals p95, which should still show through.
          { label: 'p99', stroke: LATENCY_COLORS.p99, width: 1, dash: [5, 4] },
        ],
        [series.t, s.p50, s.p95, s.p99],
        { bands: true, flags: s.anomaly, format: axisMs },
      );
    }
  }

  function drawPools(status) {
    const series = status.series;
    const parent = document.getElementById('pool-charts');
    const byPool = new Map();
    for (const tool of status.tools) {
      if (!tool.pool || !series.tools[tool.key]) continue;
      if (!byPool.has(tool.pool.id)) byPool.set(tool.pool.id, []);
      byPool.get(tool.pool.id).push(tool);
    }
    for (const [poolId, tools] of byPool) {
      const limits = series.limits[poolId] || series.t.map(() => tools[0].pool.limit);
      const inFlight = series.t.map((_, i) => {
        let max = null;
        for (const tool of tools) {
          const v = series.tools[tool.key].inFlight[i];
          if (v !== null && (max === null || v > max)) max = v;
        }
        return max;
      });
      const waited = series.t.map((_, i) =>
        tools.reduce((sum, tool) => sum + series.tools[tool.key].waited[i], 0),
      );
      const pool = tools[0].pool;
      const title = [
        `pool ${poolId}`,
        h(
          'span',
          { class: 'muted' },
          `limit ${pool.limit} · in flight ${pool.inFlight} · queued ${pool.queued}`,
        ),
      ];
      chart(
        `pool:${poolId}`,
        card(parent, `pool:${poolId}`, title),
        [
          { label: 'limit', stroke: POOL_COLORS.limit, width: 2, paths: uPlot.paths.stepped({ align: 1 }) },
          { label: 'in flight (max)', stroke: POOL_COLORS.inFlight, width: 1.5 },
          { label: 'calls that waited', stroke: POOL_COLORS.waited, width: 1, dash: [4, 3] },
        ],
        [series.t, limits, inFlight, waited],
        { height: 140 },
      );
    }
  }

  function drawPerTool(status, id, containerId, pick, format) {
    const series = status.series;
    const tools = status.tools.filter((tool) => {
      const s = series.tools[tool.key];
      return s && pick(s).some((v) => v !== null);
    });
    const container = document.getElementById(containerId);
    if (tools.length === 0) {
      if (!charts.has(id) && !container.firstChild)
        container.append(h('p', { class: 'muted' }, 'no data yet'));
      return;
    }
    if (!charts.has(id)) container.replaceChildren();
    chart(
      id,
      container,
      tools.map((tool, i) => ({ label: tool.name, stroke: TOOL_COLORS[i % TOOL_COLORS.length], width: 1.5 })),
      [series.t, ...tools.map((tool) => pick(series.tools[tool.key]))],
      { format },
    );
  }

  // ---- tables and lists ---------------------------------------------------

  function drawServices(status) {
    const head = h(
      'tr',
      {},
      h('th', {}, 'service'),
      h('th', {}, 'state'),
      h('th', { class: 'num' }, 'up'),
      h('th', { class: 'num' }, 'tools'),
      h('th', { class: 'num' }, 'restarts'),
      h('th', { class: 'optional' }, 'kind'),
      h('th', { class: 'optional' }, 'breaker'),
    );
    const breakers = new Map();
    for (const tool of status.tools) {
      if (!tool.breaker) continue;
      const worst = breakers.get(tool.service);
      if (!worst || stateClass(tool.breaker.state) === 'bad') breakers.set(tool.service, tool.breaker.state);
    }
    const rows = status.services.map((s) =>
      h(
        'tr',
        { dataset: { service: s.name } },
        h(
          'td',
          {},
          s.name,
          s.stderrTail.length > 0
            ? h(
                'details',
                {},
                h('summary', {}, 'stderr'),
                h('pre', { class: 'stderr' }, s.stderrTail.join('\n')),
              )
            : null,
        ),
        h('td', {}, h('span', { class: `chip ${stateClass(s.state)}`, title: s.lastError || '' }, s.state)),
        h('td', { class: 'num' }, fmtUptime(s.uptimeMs)),
        h('td', { class: 'num' }, s.tools.length),
        h('td', { class: 'num' }, s.restarts),
        h('td', { class: 'optional', title: s.command || s.url || '' }, s.kind),
        h(
          'td',
          { class: 'optional' },
          h(
            'span',
            { class: `chip ${stateClass(breakers.get(s.name) || 'closed')}` },
            breakers.get(s.name) || '—',
          ),
        ),
      ),
    );
    if (rows.length === 0)
      rows.push(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 7, class: 'muted' },
            status.mode === 'register'
              ? "none: the tools run in this app's own MCP servers"
              : 'none configured',
          ),
        ),
      );
    replaceChildren('services', h('thead', {}, head), h('tbody', {}, rows));
  }

  function drawTools(status) {
    const cols = [
      ['tool', (t) => t.name],
      ['calls', (t) => t.calls, 'num'],
      ['errors', (t) => fmtPct(t.errorRate), 'num'],
      ['p50', (t) => fmtMs(t.p50), 'num optional'],
      ['p95', (t) => fmtMs(t.p95), 'num'],
      ['p99', (t) => fmtMs(t.p99), 'num optional'],
      [
        'CPU/call',
        (t) =>
          t.cpuKind === 'process_share' && t.cpuMicrosPerCall !== null
            ? h(
                'span',
                {
                  title:
                    'estimate: the tool’s process CPU during each call, shared among the calls in flight',
                },
                `≈${fmtMicros(t.cpuMicrosPerCall)}`,
              )
            : fmtMicros(t.cpuMicrosPerCall),
        'num',
      ],
      [
        'pool',
        (t) =>
          t.pool ? `${t.pool.inFlight}/${t.pool.limit}${t.pool.queued ? ` +${t.pool.queued}` : ''}` : '—',
        'num',
      ],
      [
        'breaker',
        (t) =>
          t.breaker ? h('span', { class: `chip ${stateClass(t.breaker.state)}` }, t.breaker.state) : '—',
        'optional',
      ],
      ['load', (t) => t.loadPattern.pattern, 'optional'],
      [
        'anomaly',
        (t) => {
          const a = t.anomaly;
          if (!a) return '—';
          if (a.warmingUp) return h('span', { class: 'muted' }, 'learning');
          if (a.anomalous)
            return h(
              'span',
              { class: `chip ${a.severity === 'critical' ? 'bad' : 'warn'}`, title: a.reasons.join('\n') },
              `${a.class === 'overload' ? 'overload' : 'fault'} ${a.severity}`,
            );
          // Below the threshold: the score (capped at 0.499) would round to the threshold itself.
          return h('span', { class: 'muted', title: `score ${a.score.toFixed(3)}, below 0.5` }, 'normal');
        },
      ],
    ];
    const head = h(
      'tr',
      {},
      cols.map(([label, , cls]) => h('th', { class: cls }, label)),
    );
    const rows = status.tools.map((tool) =>
      h(
        'tr',
        { dataset: { tool: tool.key } },
        cols.map(([, value, cls]) => h('td', { class: cls }, value(tool))),
      ),
    );
    if (rows.length === 0)
      rows.push(h('tr', {}, h('td', { colspan: cols.length, class: 'muted' }, 'no calls yet')));
    replaceChildren('tools', h('thead', {}, head), h('tbody', {}, rows));
  }

  function item(time, text, detail, traces) {
    return h(
      'li',
      {},
      h('span', { class: 'when' }, fmtClock(time)),
      text,
      detail ? h('div', { class: 'detail' }, detail) : null,
      traceLinks(traces),
    );
  }

  /** The kept traces of an incident: a link to Jaeger when one is configured, else the id to paste. */
  function traceLinks(traces) {
    if (!traces || traces.length === 0) return null;
    return h(
      'div',
      { class: 'traces' },
      'traces: ',
      traces.flatMap((t, i) => {
        const label = `${t.traceId.slice(0, 12)}… ${t.reason}, ${fmtMs(t.durationMs)}`;
        const title = `${t.key} · trace ${t.traceId} · kept: ${t.reason}`;
        const link = t.url
          ? h('a', { href: t.url, target: '_blank', rel: 'noopener noreferrer', title }, label)
          : h('code', { title }, label);
        return i === 0 ? [link] : [' · ', link];
      }),
    );
  }

  function drawLists(status) {
    const active = status.alerts.active;
    const banner = document.getElementById('banner');
    banner.hidden = active.length === 0;
    banner.replaceChildren(...active.map((a) => h('p', {}, `● ${a.level}: ${a.summary}`)));

    const alerts = [...status.alerts.recent]
      .reverse()
      .map((e) =>
        item(
          e.time,
          `${e.status === 'firing' ? e.level : 'resolved'} · ${e.rule} · ${e.subject}`,
          e.summary,
          e.traces,
        ),
      );
    replaceChildren('alerts', alerts.length ? alerts : h('li', { class: 'muted' }, 'no alerts'));

    const anomalies = [...status.anomalies]
      .reverse()
      .map((e) =>
        item(
          e.start,
          h(
            'span',
            {},
            h('span', { class: 'anomaly-marker' }, `⚠ ${e.severity}`),
            ` ${e.key} `,
            e.end ? `for ${fmtUptime(e.end - e.start)}` : '(ongoing)',
          ),
          [...e.reasons, ...e.recommendations.map((r) => `→ ${r}`)].join(' · '),
          e.traces,
        ),
      );
    replaceChildren('anomalies', anomalies.length ? anomalies : h('li', { class: 'muted' }, 'no anomalies'));

    const decisions = [...status.tuning.decisions]
      .reverse()
      .map((d) =>
        item(
          d.time,
          `${d.poolId}: ${d.previousLimit} → ${d.newLimit} (${d.reason})${d.applied ? '' : ' [dry run]'}`,
          d.message,
        ),
      );
    const none = status.tuning.enabled ? 'no decisions yet' : 'the adaptive tuner is not enabled';
    replaceChildren('decisions', decisions.length ? decisions : h('li', { class: 'muted' }, none));

    const profiles = [...status.profiles.recent]
      .reverse()
      .map((p) =>
        item(
          p.startedAt,
          `${p.toolKey} · ${p.reason === 'anomaly' ? 'on anomaly' : 'on demand'} · ${p.sampleCount} samples`,
          [
            ...p.top.slice(0, 5).map((f) => `${f.functionName} ${(f.selfShare * 100).toFixed(0)} %`),
            p.path,
          ].join(' · '),
        ),
      );
    replaceChildren('profiles', profiles.length ? profiles : h('li', { class: 'muted' }, 'no captures yet'));

    const select = document.getElementById('profile-tool');
    const chosen = select.value;
    const names = status.tools.map((t) => t.name);
    if (names.join('|') !== [...select.options].map((o) => o.value).join('|')) {
      select.replaceChildren(...names.map((name) => h('option', { value: name }, name)));
      if (names.includes(chosen)) select.value = chosen;
    }
  }

  // ---- refresh loop ---------------------------------------------------------

  function render(status) {
    lastStatus = status;
    const calls = status.tools.reduce((sum, t) => sum + t.calls, 0);
    document.getElementById('meta').textContent =
      `v${status.version} · ${status.mode} · pid ${status.pid} · up ${fmtUptime(status.uptimeMs)} · ` +
      `${status.sessions} session${status.sessions === 1 ? '' : 's'} · ${calls} calls · updated ${fmtClock(status.now)}`;
    drawServices(status);
    drawTools(status);
    drawLists(status);
    if (status.series && status.series.t.length > 0) {
      drawLatency(status);
      drawPools(status);
      drawPerTool(
        status,
        'cpu',
        'cpu-chart',
        (s) => s.cpuMicros.map((v) => (v === null ? null : v / 1000)),
        (v) => `${+v.toFixed(2)}`,
      );
      drawPerTool(status, 'errors', 'error-chart', windowedErrorRate, (v) => `${+v.toFixed(1)}`);
    }
    document.body.dataset.updated = String(status.now);
  }

  async function refresh() {
    const live = document.getElementById('live');
    try {
      const res = await fetch('/status', { cache: 'no-store', headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      render(await res.json());
      live.classList.remove('stale');
      live.title = 'live';
    } catch (error) {
      live.classList.add('stale');
      live.title = `not updating: ${error.message}`;
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  document.getElementById('profile-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const tool = document.getElementById('profile-tool').value;
    const seconds = Number(document.getElementById('profile-seconds').value) || 5;
    const state = document.getElementById('profile-state');
    if (!tool) return;
    state.textContent = `capturing ${seconds} s…`;
    try {
      const res = await fetch('/profile', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tool, seconds }),
      });
      const body = await res.json();
      state.textContent = res.ok ? `saved ${body.path}` : body.error;
    } catch (error) {
      state.textContent = error.message;
    }
    if (lastStatus) render(lastStatus);
  });

  refresh();
})();
