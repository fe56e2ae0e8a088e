#include "cluster/agent_checkpoint.h"

#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/json_text.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {

namespace {

constexpr char kFileName[] = "executor.json";
constexpr char kProcessFileName[] = "process.json";

// REQUIRES: message.IsInitialized() (protobuf's JSON printer serializes).
nlohmann::json MessageJson(const google::protobuf::Message& message) {
  if (!message.IsInitialized()) return nullptr;
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  return nlohmann::json::parse(text, nullptr, false);
}

Status ParseMessage(const nlohmann::json& json, const char* key,
                    google::protobuf::Message* message) {
  auto it = json.find(key);
  if (it == json.end() || !it->is_object()) {
    return Status::InvalidData(std::string("'") + key + "' must be an object");
  }
  auto parsed = google::protobuf::util::JsonStringToMessage(it->dump(), message);
  if (!parsed.ok()) {
    return Status::InvalidData(std::string("'") + key + "': " + std::string(parsed.message()));
  }
  if (!message->IsInitialized()) {
    return Status::InvalidData(std::string("'") + key +
                               "' lacks required fields: " + message->InitializationErrorString());
  }
  return Status::Ok();
}

// Empty when an id is no IsDirectoryName.
std::filesystem::path ExecutorDir(const std::string& meta_dir, const std::string& framework_id,
                                  const std::string& executor_id) {
  if (!IsDirectoryName(framework_id) || !IsDirectoryName(executor_id)) return {};
  return std::filesystem::path(meta_dir) / "frameworks" / framework_id / "executors" / executor_id;
}

// Empty when an id is no IsDirectoryName.
std::filesystem::path RunDir(const std::string& meta_dir, const ProcessRecord& record) {
  const std::filesystem::path executor =
      ExecutorDir(meta_dir, record.framework_id, record.executor_id);
  if (executor.empty() || !IsDirectoryName(record.container_id)) return {};
  return executor / "runs" / record.container_id;
}

Status Unusable(const std::string& what) {
  return Status::InvalidData("ids that cannot name a directory (" + what + ")");
}

Result<std::string> ReadText(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Status::Error(StatusCode::kUnavailable, "cannot read " + file.string());
  return text.str();
}

// Secret values reach the executor's environment once, at launch; a
// recovering agent re-attaches to the live process and never needs them
// again, so they are not written to disk (a crash would leave them there).
// The variable stays, with an empty value, so recovery sees the same names.
void WithoutSecretValues(mesos::v1::CommandInfo* command) {
  if (!command->has_environment()) return;
  for (mesos::v1::Environment::Variable& v : *command->mutable_environment()->mutable_variables()) {
    if (v.type() == mesos::v1::Environment::Variable::SECRET && v.secret().has_value()) {
      v.mutable_secret()->mutable_value()->set_data("");  // a required field
    }
  }
}

}  // namespace

std::string CheckpointText(const ExecutorCheckpoint& checkpoint) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const CheckpointedTask& task : checkpoint.tasks) {
    mesos::v1::TaskInfo info = task.info;
    if (info.has_command()) WithoutSecretValues(info.mutable_command());
    if (info.has_executor()) WithoutSecretValues(info.mutable_executor()->mutable_command());
    tasks.push_back(
        {{"info", MessageJson(info)}, {"state", mesos::v1::TaskState_Name(task.state)}});
  }
  mesos::v1::ExecutorInfo executor = checkpoint.executor;
  WithoutSecretValues(executor.mutable_command());
  nlohmann::json json = {{"framework_info", MessageJson(checkpoint.framework)},
                         {"executor_info", MessageJson(executor)},
                         {"container_id", checkpoint.container_id},
                         {"sandbox", checkpoint.sandbox},
                         {"pid", checkpoint.pid},
                         {"start_time", checkpoint.start_time},
                         {"tasks", tasks}};
  return JsonText(json, 2) + "\n";
}

Result<ExecutorCheckpoint> ParseCheckpoint(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Status::InvalidData("not a JSON object");
  ExecutorCheckpoint checkpoint;
  if (Status s = ParseMessage(json, "framework_info", &checkpoint.framework); !s.ok()) return s;
  if (Status s = ParseMessage(json, "executor_info", &checkpoint.executor); !s.ok()) return s;
  if (!checkpoint.framework.has_id() || checkpoint.framework.id().value().empty()) {
    return Status::InvalidData("'framework_info' has no id");
  }
  auto string_field = [&](const char* key, std::string* out) {
    auto it = json.find(key);
    if (it == json.end() || !it->is_string()) {
      return Status::InvalidData(std::string("'") + key + "' must be a string");
    }
    *out = it->get<std::string>();
    return Status::Ok();
  };
  if (Status s = string_field("container_id", &checkpoint.container_id); !s.ok()) return s;
  if (Status s = string_field("sandbox", &checkpoint.sandbox); !s.ok()) return s;
  auto pid = json.find("pid");
  auto start = json.find("start_time");
  if (pid == json.end() || !pid->is_number_integer() || pid->get<std::int64_t>() <= 0) {
    return Status::InvalidData("'pid' must be a positive integer");
  }
  if (start == json.end() || !start->is_number_unsigned()) {
    return Status::InvalidData("'start_time' must be a non-negative integer");
  }
  checkpoint.pid = static_cast<pid_t>(pid->get<std::int64_t>());
  checkpoint.start_time = start->get<std::uint64_t>();
  auto tasks = json.find("tasks");
  if (tasks == json.end() || !tasks->is_array()) {
    return Status::InvalidData("'tasks' must be an array");
  }
  for (const nlohmann::json& entry : *tasks) {
    CheckpointedTask task;
    if (!entry.is_object()) return Status::InvalidData("a task must be an object");
    if (Status s = ParseMessage(entry, "info", &task.info); !s.ok()) return s;
    auto state = entry.find("state");
    if (state == entry.end() || !state->is_string() ||
        !mesos::v1::TaskState_Parse(state->get<std::string>(), &task.state)) {
      return Status::InvalidData("task " + task.info.task_id().value() +
                                 ": 'state' must be a task state name");
    }
    checkpoint.tasks.push_back(std::move(task));
  }
  return checkpoint;
}

bool IsDirectoryName(const std::string& id) {
  return !id.empty() && id.size() <= 255 && id != "." && id != ".." &&
         id.find_first_of(std::string("/\0", 2)) == std::string::npos;
}

std::string AgentMetaDir(const std::string& work_dir, const std::string& agent_id) {
  return (std::filesystem::path(work_dir) / "meta" / "slaves" / agent_id).string();
}

Status WriteCheckpoint(const std::string& meta_dir, const ExecutorCheckpoint& checkpoint) {
  const std::filesystem::path dir = ExecutorDir(meta_dir, checkpoint.framework.id().value(),
                                                checkpoint.executor.executor_id().value());
  if (dir.empty()) return Unusable("framework or executor");
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot create " + dir.string() + ": " + error.message());
  }
  return WriteFileAtomically((dir / kFileName).string(), CheckpointText(checkpoint));
}

void RemoveCheckpoint(const std::string& meta_dir, const std::string& framework_id,
                      const std::string& executor_id) {
  const std::filesystem::path dir = ExecutorDir(meta_dir, framework_id, executor_id);
  if (dir.empty()) return;
  std::error_code ignored;
  std::filesystem::remove(dir / kFileName, ignored);
  // Then each directory up to the framework's, when empty (remove() leaves
  // one that is not): a process record of a later run keeps its own.
  std::filesystem::remove(dir / "runs", ignored);
  std::filesystem::remove(dir, ignored);
  std::filesystem::remove(dir.parent_path(), ignored);
  std::filesystem::remove(dir.parent_path().parent_path(), ignored);
}

Result<std::vector<ExecutorCheckpoint>> ReadCheckpoints(const std::string& meta_dir) {
  std::vector<ExecutorCheckpoint> checkpoints;
  const std::filesystem::path frameworks = std::filesystem::path(meta_dir) / "frameworks";
  std::error_code error;
  if (!std::filesystem::is_directory(frameworks, error)) return checkpoints;
  for (const auto& framework : std::filesystem::directory_iterator(frameworks, error)) {
    std::error_code inner;
    const std::filesystem::path executors = framework.path() / "executors";
    if (!std::filesystem::is_directory(executors, inner)) continue;
    for (const auto& executor : std::filesystem::directory_iterator(executors, inner)) {
      const std::filesystem::path file = executor.path() / kFileName;
      std::error_code missing;
      if (!std::filesystem::exists(file, missing)) continue;  // never completed
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) return Status::Error(StatusCode::kUnavailable, "cannot read " + file.string());
      auto parsed = ParseCheckpoint(text.str());
      if (!parsed.ok()) return Status::InvalidData(file.string() + ": " + parsed.message());
      checkpoints.push_back(std::move(parsed).value());
    }
  }
  if (error) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot list " + frameworks.string() + ": " + error.message());
  }
  return checkpoints;
}

std::string ProcessRecordText(const ProcessRecord& record) {
  return JsonText({{"pid", record.pid},
                   {"start_time", record.start_time},
                   {"session", record.session}}) +
         "\n";
}

Result<ProcessRecord> ParseProcessRecord(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Status::InvalidData("not a JSON object");
  auto pid = json.find("pid");
  auto start = json.find("start_time");
  if (pid == json.end() || !pid->is_number_integer() || pid->get<std::int64_t>() <= 1 ||
      pid->get<std::int64_t>() > INT32_MAX) {
    return Status::InvalidData("'pid' must be an integer above 1");
  }
  if (start == json.end() || !start->is_number_unsigned()) {
    return Status::InvalidData("'start_time' must be a non-negative integer");
  }
  auto session = json.find("session");
  if (session == json.end() || !session->is_number_integer() || session->get<std::int64_t>() < 0 ||
      session->get<std::int64_t>() > INT32_MAX) {
    // 0 is a real value: getsid() and /proc both say 0 for a session whose
    // leader is outside our pid namespace, as in a container.
    return Status::InvalidData("'session' must be a non-negative integer");
  }
  ProcessRecord record;
  record.session = static_cast<pid_t>(session->get<std::int64_t>());
  record.pid = static_cast<pid_t>(pid->get<std::int64_t>());
  record.start_time = start->get<std::uint64_t>();
  return record;
}

Status WriteProcessRecord(const std::string& meta_dir, const ProcessRecord& record) {
  const std::filesystem::path dir = RunDir(meta_dir, record);
  if (dir.empty()) return Unusable("framework, executor or container");
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot create " + dir.string() + ": " + error.message());
  }
  return WriteFileAtomically((dir / kProcessFileName).string(), ProcessRecordText(record));
}

void RemoveProcessRecord(const std::string& meta_dir, const ProcessRecord& record) {
  if (RunDir(meta_dir, record).empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(RunDir(meta_dir, record), ignored);
  const std::filesystem::path executor =
      ExecutorDir(meta_dir, record.framework_id, record.executor_id);
  if (!std::filesystem::exists(executor / kFileName, ignored)) {
    std::filesystem::remove_all(executor, ignored);
    // Then executors/ and the framework's directory, when empty (remove()
    // leaves a directory that is not).
    std::filesystem::remove(executor.parent_path(), ignored);
    std::filesystem::remove(executor.parent_path().parent_path(), ignored);
  }
}

Result<std::vector<ProcessRecord>> ReadProcessRecords(const std::string& meta_dir) {
  std::vector<ProcessRecord> records;
  const std::filesystem::path frameworks = std::filesystem::path(meta_dir) / "frameworks";
  std::error_code error;
  if (!std::filesystem::is_directory(frameworks, error)) return records;
  // frameworks/<fw>/executors/<id>/runs/<container>/process.json
  for (const auto& framework : std::filesystem::directory_iterator(frameworks, error)) {
    std::error_code inner;
    const std::filesystem::path executors = framework.path() / "executors";
    if (!std::filesystem::is_directory(executors, inner)) continue;
    for (const auto& executor : std::filesystem::directory_iterator(executors, inner)) {
      std::error_code runs_error;
      const std::filesystem::path runs = executor.path() / "runs";
      if (!std::filesystem::is_directory(runs, runs_error)) continue;
      for (const auto& run : std::filesystem::directory_iterator(runs, runs_error)) {
        const std::filesystem::path file = run.path() / kProcessFileName;
        std::error_code missing;
        if (!std::filesystem::exists(file, missing)) continue;  // never completed
        auto text = ReadText(file);
        if (!text.ok()) return text.status();
        auto parsed = ParseProcessRecord(text.value());
        if (!parsed.ok()) return Status::InvalidData(file.string() + ": " + parsed.message());
        ProcessRecord record = std::move(parsed).value();
        record.framework_id = framework.path().filename().string();
        record.executor_id = executor.path().filename().string();
        record.container_id = run.path().filename().string();
        records.push_back(std::move(record));
      }
    }
  }
  if (error) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot list " + frameworks.string() + ": " + error.message());
  }
  return records;
}

namespace {

struct ProcessStat {
  pid_t pgrp = -1;
  pid_t session = -1;
  std::uint64_t start_time = 0;
};

// Fields 5, 6 and 22 of /proc/PID/stat; nullopt for no process or a zombie.
std::optional<ProcessStat> ReadProcessStat(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  std::string state;
  fields >> state;  // field 3
  if (state == "Z" || state == "X") return std::nullopt;
  ProcessStat result;
  std::string skipped;
  fields >> skipped >> result.pgrp >> result.session;  // fields 4-6
  for (int field = 7; field < 22; ++field) fields >> skipped;
  if (!(fields >> result.start_time)) return std::nullopt;
  return result;
}

}  // namespace

std::optional<std::uint64_t> ProcessStartTime(pid_t pid) {
  auto stat = ReadProcessStat(std::to_string(pid));
  if (!stat) return std::nullopt;
  return stat->start_time;
}

bool LeaderlessGroupOf(const ProcessRecord& record) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = ReadProcessStat(name);
    if (stat && stat->pgrp == record.pid && stat->session == record.session &&
        stat->start_time >= record.start_time) {
      return true;
    }
  }
  return false;
}

}  // namespace mlaunch::cluster
