// The status page's logic (cluster/status_page/index.html): a live view of
// the cluster, built only from the master's operator event stream.
//
// 1. The stream. On load the page sends the operator call SUBSCRIBE to the
//    master (POST /api/v1, same origin). The answer is a RecordIO stream of
//    mesos.v1.master.Event messages in JSON: "<length in bytes>\n<JSON>",
//    again and again. SUBSCRIBED carries the whole state; TASK_ADDED,
//    TASK_UPDATED, AGENT_*, FRAMEWORK_* change it; HEARTBEAT says the
//    master is alive. When the stream ends or fails, the page says
//    "disconnected", keeps showing the last state it knew and subscribes
//    again after 1 s, 2 s, 4 s ... up to 30 s; the next SUBSCRIBED replaces
//    the whole model. The state is never polled.
// 2. The model: agents, frameworks and tasks (by framework id and task id),
//    kept as small records derived from the events; every change re-renders
//    the tables from it, at most once per animation frame.
// 3. Task output. A task row's "stdout" / "stderr" buttons open a panel
//    that follows that file of the task's sandbox, read from the task's
//    agent (another origin, which allows it with CORS) with Mesos'
//    GET /files/read?path=P&offset=N&length=L, about once a second while
//    the panel is open, as Mesos' own web UI follows files.
//
// Everything that comes from the cluster (names, ids, messages, file
// contents) is untrusted: it reaches the page only as text (textContent,
// text nodes, attribute values), never as HTML.
//
// Hooks for tests (tests/e2e/status_page_test.py): each task row is
// <tr class="task" data-task-id data-state data-healthy="true|false|">,
// service links are <a class="service">, #connection has data-state
// connecting|connected|disconnected, the output panel #output has
// data-state closed|starting|following|error and its text is in
// #output-text, and window.statusPage holds
// {loadedAt, events} (the page's load time, the events received so far).

'use strict';

(() => {
  // ---------------------------------------------------------------- limits

  const MAX_RECORD_BYTES = 16 * 1024 * 1024; // a bigger record is refused
  const MAX_LENGTH_DIGITS = 9; // more digits cannot be under the limit above
  const RETRY_FIRST_MS = 1000;
  const RETRY_MAX_MS = 30000;
  const MAX_COMPLETED_TASKS = 1000; // the oldest completed tasks are forgotten
  const FILE_POLL_MS = 1000;
  const FILE_TAIL_BYTES = 64 * 1024; // how much of a file is shown on opening
  // One read: the agents' own cap (kMaxFileReadBytes, cluster/sandbox_files.h).
  const FILE_READ_BYTES = 64 * 1024;
  const FILE_READS_PER_POLL = 16; // catching up on a fast writer
  const FILE_KEEP_CHARS = 1024 * 1024; // the most output kept in the panel

  // Mesos' terminal task states: such tasks are listed under "Completed".
  const TERMINAL = new Set([
    'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST',
    'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
  ]);

  const page = { loadedAt: Date.now(), events: 0 };
  window.statusPage = page;

  const $ = (id) => document.getElementById(id);

  // ----------------------------------------------------------------- model

  let model = emptyModel();

  function emptyModel() {
    return {
      agents: new Map(), // agent id -> agent record (removed ones stay, marked)
      frameworks: new Map(), // framework id -> framework record (likewise)
      tasks: new Map(), // taskKey(framework id, task id) -> task record
      heartbeatSeconds: 0, // from SUBSCRIBED, 0 when the master gives none
    };
  }

  const idOf = (id) => (id && id.value != null ? String(id.value) : '');
  const listOf = (value) => (Array.isArray(value) ? value : []);
  const taskKey = (frameworkId, taskId) => frameworkId + '\n' + taskId;

  // A GetAgents.Agent as the page keeps it.
  function agentRecord(agent) {
    const info = agent.agent_info || {};
    const total = listOf(agent.total_resources);
    return {
      id: idOf(info.id),
      hostname: String(info.hostname || ''),
      port: Number(info.port) || 5051, // Mesos' default agent port
      active: agent.active === true,
      version: String(agent.version || ''),
      total: total.length ? total : listOf(info.resources),
      removed: false,
    };
  }

  // A GetFrameworks.Framework (or, once removed, its FrameworkInfo alone).
  function frameworkRecord(framework, removed) {
    const info = framework.framework_info || {};
    let roles = listOf(info.roles).map(String);
    if (!roles.length && info.role) roles = [String(info.role)];
    return {
      id: idOf(info.id),
      name: String(info.name || ''),
      roles,
      active: !removed && framework.active === true,
      connected: !removed && framework.connected === true,
      removed,
    };
  }

  // A Task as the page keeps it: what the tables show, derived once.
  function taskRecord(task) {
    const frameworkId = idOf(task.framework_id);
    const id = idOf(task.task_id);
    const record = {
      key: taskKey(frameworkId, id),
      id,
      name: String(task.name || ''),
      frameworkId,
      agentId: idOf(task.agent_id),
      executorId: idOf(task.executor_id), // '' for command tasks
      state: 'TASK_STAGING',
      healthy: undefined, // the newest known TaskStatus.healthy, if any
      startedAt: 0, // seconds: the first TASK_RUNNING status
      updatedAt: 0, // seconds: the newest status
      message: '',
      reason: '',
      resources: listOf(task.resources),
      ports: servicePorts(task),
    };
    for (const status of listOf(task.statuses)) applyStatus(record, status);
    if (task.state) record.state = String(task.state);
    return record;
  }

  // The ports a task's DiscoveryInfo names, as {number, name}.
  function servicePorts(task) {
    const ports = ((task.discovery || {}).ports || {}).ports;
    const found = [];
    for (const port of listOf(ports)) {
      const number = Number(port && port.number);
      // A UDP port serves no web page.
      if (!Number.isInteger(number) || number < 1 || number > 65535) continue;
      if (String(port.protocol || '').toLowerCase() === 'udp') continue;
      found.push({ number, name: String(port.name || number) });
    }
    return found;
  }

  function applyStatus(task, status) {
    if (!status) return;
    const at = Number(status.timestamp) || 0;
    if (status.state) task.state = String(status.state);
    if (status.state === 'TASK_RUNNING' && !task.startedAt && at) task.startedAt = at;
    if (at) task.updatedAt = Math.max(task.updatedAt, at);
    if (typeof status.healthy === 'boolean') task.healthy = status.healthy;
    task.message = String(status.message || '');
    task.reason = String(status.reason || '');
    if (!task.agentId) task.agentId = idOf(status.agent_id);
  }

  function loadState(state) {
    const tasks = state.get_tasks || {};
    for (const task of listOf(tasks.tasks).concat(listOf(tasks.completed_tasks))) addTask(task);
    const frameworks = state.get_frameworks || {};
    for (const framework of listOf(frameworks.frameworks)) addFramework(framework, false);
    for (const framework of listOf(frameworks.completed_frameworks)) addFramework(framework, true);
    for (const agent of listOf((state.get_agents || {}).agents)) addAgent(agent);
    forgetOldTasks();
  }

  function addTask(task) {
    if (!task) return;
    const record = taskRecord(task);
    if (record.id) model.tasks.set(record.key, record);
  }

  function addFramework(framework, removed) {
    if (!framework) return;
    const record = frameworkRecord(framework, removed);
    if (record.id) model.frameworks.set(record.id, record);
  }

  function addAgent(agent) {
    if (!agent) return;
    const record = agentRecord(agent);
    if (record.id) model.agents.set(record.id, record);
  }

  // Keeps at most MAX_COMPLETED_TASKS completed tasks, the newest.
  function forgetOldTasks() {
    const completed = [...model.tasks.values()].filter((task) => TERMINAL.has(task.state));
    if (completed.length <= MAX_COMPLETED_TASKS) return;
    completed.sort((a, b) => a.updatedAt - b.updatedAt);
    for (const task of completed.slice(0, completed.length - MAX_COMPLETED_TASKS)) {
      model.tasks.delete(task.key);
    }
  }

  // Applies one event to the model; says whether anything shown changed.
  function applyEvent(event) {
    switch (event.type) {
      case 'SUBSCRIBED': {
        const subscribed = event.subscribed || {};
        model = emptyModel();
        model.heartbeatSeconds = Number(subscribed.heartbeat_interval_seconds) || 0;
        loadState(subscribed.get_state || {});
        return true;
      }
      case 'TASK_ADDED':
        addTask((event.task_added || {}).task);
        return true;
      case 'TASK_UPDATED': {
        const updated = event.task_updated || {};
        const status = updated.status || {};
        const frameworkId = idOf(updated.framework_id);
        const taskId = idOf(status.task_id);
        if (!taskId) return false;
        let task = model.tasks.get(taskKey(frameworkId, taskId));
        if (!task) {
          // An update of a task the page never saw added: keep what it says.
          task = taskRecord({ task_id: status.task_id, framework_id: updated.framework_id });
          model.tasks.set(task.key, task);
        }
        applyStatus(task, status);
        if (updated.state) task.state = String(updated.state);
        if (TERMINAL.has(task.state)) forgetOldTasks();
        return true;
      }
      case 'AGENT_ADDED':
        addAgent((event.agent_added || {}).agent);
        return true;
      case 'AGENT_REMOVED': {
        const agent = model.agents.get(idOf((event.agent_removed || {}).agent_id));
        if (agent) agent.removed = true;
        return true;
      }
      case 'FRAMEWORK_ADDED':
        addFramework((event.framework_added || {}).framework, false);
        return true;
      case 'FRAMEWORK_UPDATED':
        addFramework((event.framework_updated || {}).framework, false);
        return true;
      case 'FRAMEWORK_REMOVED': {
        const info = (event.framework_removed || {}).framework_info;
        addFramework({ framework_info: info }, true);
        return true;
      }
      default:
        // HEARTBEAT, and event types of newer masters: nothing to show.
        return false;
    }
  }

  // ------------------------------------------------------------ the stream

  // A RecordIO parser: feed it the body's chunks (Uint8Array) as they come;
  // it calls onRecord(text) for each whole record. Lengths count bytes, so
  // the parsing is on bytes and each record is decoded as UTF-8 once whole.
  // Throws on a malformed length or a record over MAX_RECORD_BYTES.
  function recordReader(onRecord) {
    const decoder = new TextDecoder();
    let digits = ''; // the length being read
    let record = null; // the record being filled, once its length is known
    let filled = 0;
    return (chunk) => {
      let at = 0;
      while (at < chunk.length) {
        if (record === null) {
          const byte = chunk[at++];
          if (byte === 0x0a) { // "\n" ends the length
            if (!digits) throw new Error('malformed stream: a record without a length');
            const length = Number(digits);
            digits = '';
            if (length > MAX_RECORD_BYTES) {
              throw new Error(`a record of ${length} bytes, over the limit of ${MAX_RECORD_BYTES}`);
            }
            if (length > 0) {
              record = new Uint8Array(length);
              filled = 0;
            }
          } else if (byte >= 0x30 && byte <= 0x39) { // "0" to "9"
            digits += String.fromCharCode(byte);
            if (digits.length > MAX_LENGTH_DIGITS) {
              throw new Error(`a record over the limit of ${MAX_RECORD_BYTES} bytes`);
            }
          } else {
            throw new Error('malformed stream: a record length that is not a number');
          }
        } else {
          const count = Math.min(record.length - filled, chunk.length - at);
          record.set(chunk.subarray(at, at + count), filled);
          filled += count;
          at += count;
          if (filled === record.length) {
            const whole = record;
            record = null;
            onRecord(decoder.decode(whole));
          }
        }
      }
    };
  }

  let retryMs = RETRY_FIRST_MS;

  async function subscribe() {
    setConnection('connecting', 'connecting…');
    const controller = new AbortController();
    let silence = 0; // the timer that gives up on a master gone silent
    const heard = () => {
      clearTimeout(silence);
      if (model.heartbeatSeconds > 0) {
        const seconds = 2 * model.heartbeatSeconds + 5;
        silence = setTimeout(() => controller.abort(
          new Error(`nothing from the master for ${seconds} s`)), seconds * 1000);
      }
    };
    let why = 'the master ended the stream';
    try {
      let response;
      try {
        response = await fetch('/api/v1', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ type: 'SUBSCRIBE' }),
          cache: 'no-store',
          signal: controller.signal,
        });
      } catch (error) {
        throw new Error(`cannot reach the master (${error.message})`);
      }
      if (!response.ok) {
        const text = (await response.text()).trim().slice(0, 200);
        throw new Error(`HTTP ${response.status}${text ? ': ' + text : ''}`);
      }
      if (!response.body) throw new Error('this browser cannot read a stream');
      const reader = response.body.getReader();
      const feed = recordReader((text) => onEvent(JSON.parse(text)));
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        heard();
        feed(value);
      }
    } catch (error) {
      why = error && error.message ? error.message : String(error);
    } finally {
      clearTimeout(silence);
      controller.abort();
    }
    const wait = retryMs;
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    setConnection('disconnected',
      `disconnected: ${why}; retrying in ${Math.round(wait / 1000)} s`);
    setTimeout(subscribe, wait);
  }

  function onEvent(event) {
    page.events += 1;
    if (!event || typeof event !== 'object') return;
    if (event.type === 'SUBSCRIBED') {
      retryMs = RETRY_FIRST_MS;
      setConnection('connected', 'connected');
    }
    if (applyEvent(event)) scheduleRender();
  }

  function setConnection(state, text) {
    const indicator = $('connection');
    indicator.dataset.state = state;
    indicator.title = text;
    $('connection-text').textContent = text;
  }

  // -------------------------------------------------------------- helpers

  // el('td', {class: 'x'}, child, ...): an element; attributes are set as
  // attributes, children (strings or nodes) are appended as text or nodes.
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== null && value !== false) {
        node.setAttribute(name, String(value));
      }
    }
    for (const child of children) {
      if (child !== undefined && child !== null) node.append(child);
    }
    return node;
  }

  // The sums of a resource list: {scalars: {cpus: 2, ...}, ranges: {ports: [[b, e], ...]}}.
  function sumResources(resources) {
    const scalars = {};
    const ranges = {};
    for (const resource of listOf(resources)) {
      if (!resource || !resource.name) continue;
      if (resource.scalar) {
        const value = Number(resource.scalar.value) || 0;
        scalars[resource.name] = (scalars[resource.name] || 0) + value;
      } else if (resource.ranges) {
        const list = ranges[resource.name] || (ranges[resource.name] = []);
        for (const range of listOf(resource.ranges.range)) {
          list.push([Number(range.begin) || 0, Number(range.end) || 0]);
        }
      }
    }
    return { scalars, ranges };
  }

  // "31000–32000, 33000": ranges merged and sorted.
  function rangesText(ranges) {
    const sorted = ranges.slice().sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const [begin, end] of sorted) {
      const last = merged[merged.length - 1];
      if (last && begin <= last[1] + 1) last[1] = Math.max(last[1], end);
      else merged.push([begin, end]);
    }
    return merged.map(([begin, end]) => (begin === end ? `${begin}` : `${begin}–${end}`))
      .join(', ');
  }

  const rangesCount = (ranges) => ranges.reduce((sum, [begin, end]) => sum + (end - begin + 1), 0);

  const cpusText = (cpus) => String(Math.round(cpus * 100) / 100);

  // Mesos counts memory and disk in MB (MiB).
  function megabytesText(megabytes) {
    if (megabytes >= 1024 * 1024) return `${(megabytes / 1024 / 1024).toFixed(1)} TB`;
    if (megabytes >= 1024) return `${(megabytes / 1024).toFixed(1)} GB`;
    return `${Math.round(megabytes)} MB`;
  }

  function bytesText(bytes) {
    if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
    return `${bytes} bytes`;
  }

  // A "used of total" cell: a small bar and the numbers.
  function usage(used, total, format) {
    const share = total > 0 ? Math.min(1, used / total) : 0;
    const fill = el('span', { class: 'fill' });
    fill.style.width = `${(share * 100).toFixed(1)}%`;
    return el('span', { class: 'usage' },
      el('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
      el('span', { class: 'numbers' }, `${format(used)} / ${format(total)}`));
  }

  // A <time> for a Mesos timestamp (seconds): the time of day to the
  // second when it is today, else the date and the minute; "—" when unknown.
  function timeCell(seconds) {
    if (!seconds) return el('td', { class: 'time muted' }, '—');
    const date = new Date(seconds * 1000);
    const today = date.toDateString() === new Date().toDateString();
    const text = today
      ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
      : date.toLocaleString([],
        { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    return el('td', { class: 'time' },
      el('time', { datetime: date.toISOString(), title: date.toString() }, text));
  }

  // "TASK_RUNNING" -> "running".
  const stateText = (state) => state.replace(/^TASK_/, '').toLowerCase().replace(/_/g, ' ');

  function stateTone(state) {
    if (state === 'TASK_RUNNING' || state === 'TASK_FINISHED') return 'good';
    if (state === 'TASK_KILLED') return 'quiet';
    if (TERMINAL.has(state)) return 'bad';
    return 'pending'; // staging, starting, killing, unreachable, unknown
  }

  function agentHostText(agent) {
    return agent ? `${agent.hostname}:${agent.port}` : '';
  }

  // ------------------------------------------------------------- rendering

  let renderPending = false;

  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    requestAnimationFrame(() => {
      renderPending = false;
      render();
    });
  }

  function render() {
    // The rows are rebuilt; the focused control is found again by its key.
    const focusKey = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.focusKey : undefined;

    const agents = [...model.agents.values()].filter((agent) => !agent.removed)
      .sort((a, b) => a.hostname.localeCompare(b.hostname) || a.port - b.port);
    const frameworks = [...model.frameworks.values()].filter((framework) => !framework.removed)
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    const tasks = [...model.tasks.values()];
    const active = tasks.filter((task) => !TERMINAL.has(task.state))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    const completed = tasks.filter((task) => TERMINAL.has(task.state))
      .sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));

    fillTable('agents', agents.map((agent) => agentRow(agent, active)));
    fillTable('frameworks', frameworks.map((framework) => frameworkRow(framework, active)));
    fillTable('tasks', active.map((task) => taskRow(task, false)));
    fillTable('completed-tasks', completed.map((task) => taskRow(task, true)));
    $('completed-count').textContent = `(${completed.length})`;

    const running = active.filter((task) => task.state === 'TASK_RUNNING').length;
    const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;
    $('summary').textContent = [plural(agents.length, 'agent'),
      plural(frameworks.length, 'framework'), `${running} running`,
      `${completed.length} completed`].join(' · ');

    if (focusKey) {
      for (const control of document.querySelectorAll('[data-focus-key]')) {
        if (control.dataset.focusKey === focusKey) {
          control.focus();
          break;
        }
      }
    }
    refreshOutputButtons();
  }

  function fillTable(id, rows) {
    $(id).tBodies[0].replaceChildren(...rows);
    const empty = $(`${id}-empty`);
    if (empty) empty.hidden = rows.length > 0;
  }

  // What a list of tasks uses. The events do not say when an agent's or a
  // framework's allocation changes (AGENT_ADDED and FRAMEWORK_ADDED carry it
  // once), so the use shown is counted from the tasks running: their own
  // resources, without their executors'.
  const usedBy = (tasks) => sumResources([].concat(...tasks.map((task) => task.resources)));

  function agentRow(agent, activeTasks) {
    const total = sumResources(agent.total);
    const used = usedBy(activeTasks.filter((task) => task.agentId === agent.id));
    const scalar = (sums, name) => sums.scalars[name] || 0;
    const ports = total.ranges.ports || [];
    const usedPorts = used.ranges.ports || [];
    return el('tr', { class: 'agent', 'data-agent-id': agent.id },
      el('th', { scope: 'row' },
        el('span', { class: 'mono' }, agentHostText(agent)),
        el('span', { class: 'sub mono' }, agent.id)),
      el('td', {}, usage(scalar(used, 'cpus'), scalar(total, 'cpus'), cpusText)),
      el('td', {}, usage(scalar(used, 'mem'), scalar(total, 'mem'), megabytesText)),
      el('td', {}, usage(scalar(used, 'disk'), scalar(total, 'disk'), megabytesText)),
      el('td', {},
        el('span', { class: 'mono' }, ports.length ? rangesText(ports) : '—'),
        ports.length
          ? el('span', { class: 'sub' }, `${rangesCount(usedPorts)} of ${rangesCount(ports)} used`)
          : null),
      el('td', {},
        el('span', { class: `badge ${agent.active ? 'good' : 'quiet'}` },
          agent.active ? 'active' : 'inactive'),
        agent.version ? el('span', { class: 'sub' }, `Mesos ${agent.version}`) : null));
  }

  function frameworkRow(framework, activeTasks) {
    const tasks = activeTasks.filter((task) => task.frameworkId === framework.id);
    const used = usedBy(tasks).scalars;
    const parts = [];
    if (used.cpus) parts.push(`${cpusText(used.cpus)} CPUs`);
    if (used.mem) parts.push(megabytesText(used.mem));
    if (used.disk) parts.push(`${megabytesText(used.disk)} disk`);
    let status = 'connected';
    let tone = 'good';
    if (!framework.connected) [status, tone] = ['disconnected', 'bad'];
    else if (!framework.active) [status, tone] = ['inactive', 'pending'];
    return el('tr', { class: 'framework', 'data-framework-id': framework.id },
      el('th', { scope: 'row' }, framework.name || '—'),
      el('td', { class: 'mono id' }, framework.id),
      el('td', { class: 'mono' }, framework.roles.length ? framework.roles.join(', ') : '*'),
      el('td', {}, el('span', { class: `badge ${tone}` }, status)),
      el('td', { class: 'number' }, String(tasks.length)),
      el('td', {}, parts.length ? parts.join(' · ') : '—'));
  }

  function taskRow(task, completed) {
    const agent = model.agents.get(task.agentId);
    const framework = model.frameworks.get(task.frameworkId);
    const row = el('tr', {
      class: 'task',
      'data-task-id': task.id,
      'data-framework-id': task.frameworkId,
      'data-state': task.state,
      'data-healthy': task.healthy === undefined ? '' : String(task.healthy),
    });

    let health = el('span', { class: 'muted' }, '—');
    if (task.healthy === true) health = el('span', { class: 'badge good' }, 'healthy');
    if (task.healthy === false) health = el('span', { class: 'badge bad' }, 'unhealthy');

    let last;
    if (completed) {
      const reason = task.reason.replace(/^REASON_/, '').toLowerCase().replace(/_/g, ' ');
      last = el('td', { class: 'message', title: task.reason || null },
        task.message || reason || '—');
    } else {
      last = el('td', { class: 'services' });
      if (agent && agent.hostname && !agent.removed) {
        for (const port of task.ports) {
          const href = `http://${agent.hostname}:${port.number}/`;
          last.append(el('a', { class: 'service', href, title: href, rel: 'noreferrer' },
            port.name));
        }
      }
      if (!last.childNodes.length) last.append(el('span', { class: 'muted' }, '—'));
    }

    const label = task.name || task.id;
    const outputButton = (file) => el('button', {
      type: 'button',
      class: 'file',
      'data-file': file,
      'data-task-key': task.key,
      'data-focus-key': `${file}\n${task.key}`,
      'aria-label': `${file} of ${label}`,
    }, file);

    row.append(
      el('th', { scope: 'row', class: 'name' },
        task.name || '—', el('span', { class: 'sub mono id' }, task.id)),
      el('td', { class: 'nowrap', title: task.frameworkId },
        framework && framework.name ? framework.name : task.frameworkId),
      el('td', { class: 'mono nowrap', title: task.agentId },
        agent ? agent.hostname : task.agentId || '—'),
      el('td', {}, el('span', { class: `badge ${stateTone(task.state)}` }, stateText(task.state))),
      el('td', {}, health),
      timeCell(task.startedAt),
      timeCell(task.updatedAt),
      last,
      el('td', { class: 'files' }, outputButton('stdout'), outputButton('stderr')));
    return row;
  }

  // ---------------------------------------------------------- task output

  // The one file the panel follows. `generation` changes at each opening
  // and closing: a read that returns after that is dropped.
  const output = {
    generation: 0,
    key: '', // the task's key
    file: '', // "stdout" or "stderr"
    agent: '', // http://HOST:PORT of the task's agent
    path: '', // the file for /files/read
    offset: -1, // the next byte to read; -1 before the file's size is known
    chars: 0, // characters shown
    dropped: false, // whether output was dropped from the top to keep the cap
    timer: 0,
    controller: null, // aborts the read in flight when the panel closes
    opener: '', // data-focus-key of the button that opened the panel
  };

  function openOutput(key, file, opener) {
    stopOutput();
    const task = model.tasks.get(key);
    if (!task) return;
    const agent = model.agents.get(task.agentId);
    const generation = output.generation;
    Object.assign(output, {
      key, file, offset: -1, chars: 0, dropped: false, opener: opener || '',
      agent: agent && agent.hostname ? `http://${agent.hostname}:${agent.port}` : '',
      path: `/frameworks/${task.frameworkId}/executors/${task.executorId || task.id}`
        + `/runs/latest/${file}`,
      controller: new AbortController(),
    });
    const panel = $('output');
    $('output-heading').textContent = `${file} of ${task.name || task.id}`;
    $('output-heading').title = task.id;
    $('output-text').replaceChildren();
    panel.hidden = false;
    document.documentElement.classList.add('output-open');
    refreshOutputButtons();
    $('output-text').focus({ preventScroll: true });
    // Keep the task's row in sight above the panel.
    const button = [...document.querySelectorAll('[data-focus-key]')]
      .find((control) => control.dataset.focusKey === output.opener);
    if (button) button.closest('tr').scrollIntoView({ block: 'nearest' });
    if (!output.agent) {
      outputStatus('error', 'the agent of this task is not known (it may have been removed)');
      return;
    }
    outputStatus('starting', 'reading…');
    pollOutput(generation);
  }

  // Stops following (the panel stays as it is).
  function stopOutput() {
    output.generation += 1;
    clearTimeout(output.timer);
    if (output.controller) output.controller.abort();
    output.controller = null;
  }

  function closeOutput() {
    stopOutput();
    output.key = '';
    output.file = '';
    $('output').hidden = true;
    $('output').dataset.state = 'closed';
    $('output-text').replaceChildren();
    document.documentElement.classList.remove('output-open');
    const opener = [...document.querySelectorAll('[data-focus-key]')]
      .find((control) => control.dataset.focusKey === output.opener);
    if (opener) opener.focus();
  }

  function outputStatus(state, text) {
    $('output').dataset.state = state;
    $('output-status').textContent = text;
  }

  // The panel's stdout/stderr buttons say which file is shown.
  function refreshOutputButtons() {
    for (const file of ['stdout', 'stderr']) {
      $(`output-${file}`).setAttribute('aria-pressed', String(output.file === file));
    }
  }

  async function pollOutput(generation) {
    try {
      if (output.offset < 0) {
        // offset=-1 answers the file's size: start at most FILE_TAIL_BYTES before it.
        const end = await readFile(-1, 0);
        if (generation !== output.generation) return;
        output.offset = Math.max(0, end.offset - FILE_TAIL_BYTES);
        output.dropped = output.offset > 0;
      }
      for (let reads = 0; reads < FILE_READS_PER_POLL; reads++) {
        const read = await readFile(output.offset, FILE_READ_BYTES);
        if (generation !== output.generation) return;
        // The offset counts bytes; the text came as UTF-8 of exactly the
        // bytes it stands for (cluster/files_http.h), so its size in UTF-8
        // is how far the file was read.
        const bytes = new TextEncoder().encode(read.data).length;
        if (bytes > 0) appendOutput(read.data);
        output.offset += bytes;
        if (bytes < FILE_READ_BYTES) break;
      }
      const dropped = output.dropped ? ' · older output not shown' : '';
      outputStatus('following', output.offset === 0 ? 'following · empty so far'
        : `following · ${bytesText(output.offset)}${dropped}`);
    } catch (error) {
      if (generation !== output.generation) return;
      outputStatus('error', error && error.message ? error.message : String(error));
    }
    if (generation === output.generation) {
      output.timer = setTimeout(() => pollOutput(generation), FILE_POLL_MS);
    }
  }

  // One /files/read of the followed file: {data, offset}; throws with a
  // sentence to show in the panel.
  async function readFile(offset, length) {
    const query = new URLSearchParams({ path: output.path, offset: String(offset) });
    if (length > 0) query.set('length', String(length));
    let response;
    try {
      response = await fetch(`${output.agent}/files/read?${query}`, {
        cache: 'no-store', signal: output.controller.signal,
      });
    } catch (error) {
      throw new Error(`cannot read from the agent at ${output.agent} (${error.message}): `
        + 'it is gone or unreachable, or does not allow this page\'s address');
    }
    if (response.status === 404) {
      throw new Error(
        `the agent has no ${output.file} for this task (404): its sandbox may be gone`);
    }
    if (!response.ok) {
      const text = (await response.text()).trim().slice(0, 200);
      throw new Error(`the agent answered HTTP ${response.status}${text ? ': ' + text : ''}`);
    }
    const body = await response.json();
    if (!body || typeof body.data !== 'string' || typeof body.offset !== 'number') {
      throw new Error('the agent answered something other than {"data", "offset"}');
    }
    return body;
  }

  function appendOutput(data) {
    const text = $('output-text');
    const atBottom = text.scrollTop + text.clientHeight >= text.scrollHeight - 8;
    if (output.chars === 0 && output.dropped) {
      // Started inside the file: begin at a whole line when there is one.
      const newline = data.indexOf('\n');
      if (newline >= 0 && newline < data.length - 1) data = data.slice(newline + 1);
    }
    text.append(document.createTextNode(data));
    output.chars += data.length;
    if (output.chars > FILE_KEEP_CHARS) {
      // Keep the newest three quarters of the cap, so this is not done at every read.
      const kept = text.textContent.slice(-Math.floor(FILE_KEEP_CHARS * 3 / 4));
      text.textContent = kept;
      output.chars = kept.length;
      output.dropped = true;
    }
    if (atBottom) text.scrollTop = text.scrollHeight;
  }

  // ------------------------------------------------------------- controls

  function onClick(event) {
    const button = event.target.closest('button[data-file]');
    if (!button) return;
    if (button.dataset.taskKey) {
      openOutput(button.dataset.taskKey, button.dataset.file, button.dataset.focusKey);
    } else if (output.key && button.dataset.file !== output.file) {
      openOutput(output.key, button.dataset.file, output.opener); // the panel's own buttons
    }
  }

  function start() {
    $('master').textContent = location.host;
    document.title = `Mesos cluster · ${location.host}`;
    document.addEventListener('click', onClick);
    $('output-close').addEventListener('click', closeOutput);
    $('output').addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeOutput();
    });
    render();
    subscribe();
  }

  start();
})();
