// A Mesos framework written only with the independent `mesos-framework`
// library (npm, v1 HTTP Scheduler API, JSON). No code of mesos-launch.
//
//   node scheduler.js MASTER_URL EXECUTOR_JS NODE_PATH LOG_DIR
//
// Subscribes and, on the first offer big enough, launches TWO tasks: one
// with a custom executor (node EXECUTOR_JS, fetched by the agent into the
// sandbox from a file:// URI), and one plain command task (TaskInfo.command,
// no executor; built with the library's own TaskInfo and CommandInfo
// messages, as its built-in task launcher builds them), which the agent must
// run under a command executor of its own as Mesos does. Declines every
// other offer, acknowledges every update carrying a uuid, and once both
// tasks are TASK_FINISHED (the command task through TASK_STARTING and
// TASK_RUNNING, its updates naming the task id as executor id) tears the
// framework down and exits 0. Any other terminal state, an ERROR event, a
// FAILURE for the command task's executor or the deadline exits 1.
"use strict";

const crypto = require("crypto");
const path = require("path");
const Scheduler = require("mesos-framework").Scheduler;
const Mesos = require("mesos-framework").Mesos.getMesos();
const helpers = require("mesos-framework").helpers;

const [masterUrl, executorJs, nodePath, logDir] = process.argv.slice(2);
if (!masterUrl || !executorJs || !nodePath || !logDir) {
  console.error("usage: node scheduler.js MASTER_URL EXECUTOR_JS NODE_PATH LOG_DIR");
  process.exit(2);
}
const master = new URL(masterUrl);

function say(text) {
  console.log("scheduler: " + text);
}

function fail(text) {
  console.error("scheduler: FAILED: " + text);
  process.exit(1);
}

const deadline = setTimeout(() => fail("not both tasks TASK_FINISHED within 60 s"), 60000);
deadline.unref();

const taskId = "third-party-task-" + crypto.randomBytes(4).toString("hex");
const commandTaskId = "third-party-command-task-" + crypto.randomBytes(4).toString("hex");
const executorId = "third-party-executor";
let launched = false;
let sawRunning = false;
let tornDown = false;
let finished = false;
let commandStates = [];  // the command task's states, in order
let commandFinished = false;
let acksSent = 0;
let acksAccepted = 0;
let declinesSent = 0;
let declinesAccepted = 0;

// TEARDOWN only once every ACKNOWLEDGE and DECLINE was answered 202: each
// call goes on a connection of its own, and one the master handles after
// the teardown finds the framework gone (a 400 naming it).
// Once both tasks finished, offers are no longer declined (the teardown
// gives them back).
function teardownWhenAcknowledged() {
  if (!finished || !commandFinished || tornDown || acksAccepted < acksSent ||
      declinesAccepted < declinesSent) return;
  tornDown = true;
  scheduler.teardown();
}

// The offered resource of that name, shrunk to `amount` (keeps role,
// reservations and allocation_info exactly as offered).
function take(offer, name, amount) {
  const offered = offer.resources.find((r) => r.name === name);
  if (!offered || offered.scalar.value < amount) return null;
  const resource = JSON.parse(JSON.stringify(offered));
  resource.scalar.value = amount;
  return resource;
}

const scheduler = new Scheduler({
  masterUrl: master.hostname,
  port: master.port,
  frameworkName: "third-party-node-framework",
  user: require("os").userInfo().username,
  // Mesos heartbeats every 15 s; the library's default 10 s idle timeout
  // would resubscribe between two heartbeats.
  masterConnectionTimeout: 60,
  logging: { path: logDir, fileName: "mesos-framework.log", level: "warn" },
  handlers: {
    SUBSCRIBED: function (subscribed) {
      say("SUBSCRIBED as " + subscribed.framework_id.value);
    },
    OFFERS: function (event) {
      const offers = event.offers || [];
      for (const offer of offers) {
        const cpusT = take(offer, "cpus", 0.1), memT = take(offer, "mem", 32);
        const cpusE = take(offer, "cpus", 0.1), memE = take(offer, "mem", 32);
        const cpusC = take(offer, "cpus", 0.1), memC = take(offer, "mem", 32);
        if (launched || !cpusT || !memT || offer.resources.find((r) => r.name === "cpus").scalar.value < 0.3) {
          if (finished && commandFinished) continue;
          declinesSent += 1;
          this.decline([offer.id], { refuse_seconds: 0.5 });
          continue;
        }
        launched = true;
        say("launching " + taskId + " on offer " + offer.id.value + " (agent " + offer.agent_id.value + ")");
        const task = {
          name: "third-party task",
          task_id: { value: taskId },
          agent_id: offer.agent_id,
          resources: [cpusT, memT],
          executor: {
            executor_id: { value: executorId },
            name: "third-party node executor",
            command: {
              value: JSON.stringify(process.execPath) + " " + path.basename(executorJs),
              shell: true,
              uris: [{ value: "file://" + executorJs, executable: false }],
              environment: { variables: [{ name: "NODE_PATH", value: nodePath }] },
            },
            resources: [cpusE, memE],
          },
        };
        // A command task: the library's TaskInfo(name, task_id, agent_id,
        // resources, executor, command, ...) with a shell CommandInfo(uris,
        // environment, shell, value, arguments, user) and no executor.
        const commandTask = helpers.stringifyEnumsRecursive(new Mesos.TaskInfo(
            "third-party command task", new Mesos.TaskID(commandTaskId), offer.agent_id,
            [cpusC, memC], null,
            new Mesos.CommandInfo(null, null, true,
                                  "echo command task ran > out.txt && test -s out.txt", null, null)));
        say("launching command task " + commandTaskId);
        this.accept([offer.id], [{ type: "LAUNCH", launch: { task_infos: [task, commandTask] } }],
                    { refuse_seconds: 0.5 });
      }
    },
    UPDATE: function (update) {
      const status = update.status;
      say("UPDATE " + status.task_id.value + " " + status.state +
          (status.message ? " (" + status.message + ")" : "") +
          (status.uuid ? "" : " [no uuid]"));
      if (status.uuid) acksSent += 1;
      this.acknowledge(update);  // skips updates without uuid, as it must
      if (status.task_id.value === commandTaskId) {
        if (!status.executor_id || status.executor_id.value !== commandTaskId)
          fail("command task update without the task id as executor id: " + JSON.stringify(status));
        commandStates.push(status.state);
        say("command task " + status.state + " seen");
        if (status.state === "TASK_FINISHED") {
          if (commandStates.join(",") !== "TASK_STARTING,TASK_RUNNING,TASK_FINISHED")
            fail("command task states " + commandStates.join(","));
          commandFinished = true;
          teardownWhenAcknowledged();
        } else if (!["TASK_STARTING", "TASK_RUNNING"].includes(status.state)) {
          fail("command task ended " + status.state + ": " + (status.message || "no message"));
        }
        return;
      }
      if (status.task_id.value !== taskId) return;
      if (status.state === "TASK_RUNNING") {
        sawRunning = true;
        say("TASK_RUNNING seen");
      } else if (status.state === "TASK_FINISHED") {
        if (!sawRunning) fail("TASK_FINISHED before TASK_RUNNING");
        say("TASK_FINISHED seen; tearing down");
        finished = true;
        teardownWhenAcknowledged();
      } else if (["TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_KILLED",
                  "TASK_DROPPED", "TASK_GONE"].includes(status.state)) {
        fail("task ended " + status.state + ": " + (status.message || "no message"));
      }
    },
    FAILURE: function (failure) {
      say("FAILURE " + JSON.stringify(failure));
      // Mesos sends none for the executor it made for a command task.
      if (failure.executor_id && failure.executor_id.value === commandTaskId)
        fail("FAILURE for the command task's executor");
    },
    RESCIND: function (rescind) {
      say("RESCIND " + JSON.stringify(rescind));
    },
    MESSAGE: function (message) {
      say("MESSAGE " + JSON.stringify(message));
    },
    ERROR: function (error) {
      fail("ERROR event from the master: " + JSON.stringify(error));
    },
    HEARTBEAT: function (heartbeat) {
      say("HEARTBEAT");
    },
  },
});

scheduler.on("error", (error) => {
  const text = error && error.message ? error.message : String(error);
  // The master ends the subscription stream once the framework is torn down.
  if (tornDown && /connection was closed/.test(text)) return;
  fail("library error: " + text);
});
scheduler.on("sent_acknowledge", () => {
  acksAccepted += 1;
  say("ACKNOWLEDGE accepted");
  teardownWhenAcknowledged();
});
scheduler.on("sent_decline", () => {
  declinesAccepted += 1;
  teardownWhenAcknowledged();
});
scheduler.on("sent_teardown", () => {
  say("TEARDOWN accepted");
  process.exit(0);
});
scheduler.on("ready", () => scheduler.subscribe());
