// A Mesos executor written only with the independent `mesos-framework`
// library (npm, v1 HTTP Executor API, JSON). No code of mesos-launch.
//
// The agent starts it with MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID,
// MESOS_DIRECTORY and MESOS_AGENT_ENDPOINT in its environment. On LAUNCH
// it reports TASK_RUNNING; once the agent acknowledges that, TASK_FINISHED;
// once that is acknowledged (or on SHUTDOWN) it exits 0.
"use strict";

const crypto = require("crypto");
const http = require("http");
const Executor = require("mesos-framework").Executor;

// Work-around for a bug of the library (0.5.3), not of the agent: its
// SUBSCRIBE call omits the `subscribe` sub-message, which Mesos requires
// even when empty (a 400 naming the missing 'subscribe'). Add
// `"subscribe": {}` to that one request body on its way out.
//
// The library also predates executor authentication: it never sends the
// token the agent gives in MESOS_EXECUTOR_AUTHENTICATION_TOKEN, which a
// Mesos agent with --authenticate_http_executors requires, as ours does.
// Add `Authorization: Bearer <token>` to every request when it is set.
const token = process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN;
const originalRequest = http.request;
http.request = function (options, callback) {
  if (token && typeof options === "object") {
    options.headers = Object.assign({}, options.headers, {Authorization: "Bearer " + token});
  }
  const request = originalRequest.call(http, options, callback);
  const originalWrite = request.write;
  request.write = function (chunk, ...rest) {
    if (typeof chunk === "string") {
      const call = JSON.parse(chunk);
      if (call.type === "SUBSCRIBE" && call.subscribe === undefined) {
        call.subscribe = {};
        chunk = JSON.stringify(call);
      }
    }
    return originalWrite.call(this, chunk, ...rest);
  };
  return request;
};

function say(text) {
  console.log("executor: " + text);
}

const sent = new Map();  // uuid (base64) -> state

function report(executor, taskId, state) {
  // A version-4 uuid: agents (Mesos' and ours) refuse 16 bytes without the
  // RFC 4122 version and variant bits, as the framework could never
  // acknowledge them.
  const bytes = crypto.randomBytes(16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const uuid = bytes.toString("base64");
  sent.set(uuid, { taskId: taskId, state: state });
  say("sending " + state + " for " + taskId.value);
  executor.update({
    task_id: taskId,
    state: state,
    source: "SOURCE_EXECUTOR",
    uuid: uuid,
    timestamp: Date.now() / 1000,
  });
}

// Every event type needs a handler here: the library's fallback for
// unhandled types refers to an undefined variable.
const executor = new Executor({
  handlers: {
    SUBSCRIBED: function (subscribed) {
      say("SUBSCRIBED on agent " + subscribed.agent_info.id.value);
    },
    LAUNCH: function (launch) {
      report(this, launch.task.task_id, "TASK_RUNNING");
    },
    ACKNOWLEDGED: function (acknowledged) {
      const update = sent.get(acknowledged.uuid);
      if (!update) return;
      sent.delete(acknowledged.uuid);
      say("ACKNOWLEDGED " + update.state);
      if (update.state === "TASK_RUNNING") {
        report(this, update.taskId, "TASK_FINISHED");
      } else {
        process.exit(0);
      }
    },
    KILL: function (kill) {
      report(this, kill.task_id, "TASK_KILLED");
    },
    MESSAGE: function (message) {},
    ERROR: function (error) {
      console.error("executor: ERROR event: " + JSON.stringify(error));
      process.exit(1);
    },
    SHUTDOWN: function (shutdown) {
      say("SHUTDOWN");
      process.exit(0);
    },
  },
});

executor.on("error", (error) => {
  console.error("executor: library error: " + JSON.stringify(error));
  process.exit(1);
});
executor.subscribe();
