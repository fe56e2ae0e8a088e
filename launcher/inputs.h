// Inputs: the local files and environment variables a spec refers to
// (service.body_file, env.*.from_file, env.*.from_env), read once by the CLI
// so that the compiler can stay pure. Secret values are not read here: they
// are read at launch time and never enter a Plan.
#ifndef MLAUNCH_LAUNCHER_INPUTS_H_
#define MLAUNCH_LAUNCHER_INPUTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/diagnostic.h"
#include "launcher/spec/spec.h"

namespace mlaunch {

struct Inputs {
  std::map<std::string, std::string> files;      // path as written -> bytes
  std::map<std::string, std::string> variables;  // name -> value
};

// Limits on what a spec makes mesos-launch read (docs/reliability.md).
inline constexpr std::int64_t kMaxReadBytes = 64 << 20;    // any file RealWorld reads
inline constexpr std::size_t kMaxSpecBytes = 1 << 20;      // a spec file
inline constexpr std::size_t kMaxBodyFileBytes = 8 << 20;  // service.body_file
inline constexpr std::size_t kMaxEnvFileBytes = 64 << 10;  // env.*.from_file

// How the world is read; tests pass fakes.
struct World {
  // The file's bytes, or an error text (e.g. "No such file or directory").
  // RealWorld reads at most kMaxReadBytes, and no directory; a pipe is read
  // to its end (--secret-file <(command)), a FIFO nobody writes to is empty.
  std::function<bool(const std::string& path, std::string& bytes_or_error)> read_file;
  // As read_file, but only regular files: what a spec names to be read
  // (body_file, from_file), so /dev/zero or a FIFO is an error at once.
  std::function<bool(const std::string& path, std::string& bytes_or_error)> read_regular_file;
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  // The mesos-launch-executor installed beside this program (an executable
  // file in its directory), or "" when there is none.
  std::string executor;
  // The user running mesos-launch: tasks run as this user unless the spec
  // names another (FrameworkInfo.user).
  std::string user = "nobody";
};

World RealWorld();

// `path` as named in `spec`: absolute, or relative to the spec's directory.
std::string ResolveSpecPath(const spec::Spec& spec, const std::string& path);

// Why `value` cannot be an environment value, naming it as `what` (and
// never showing it: it may be a secret); "" when it can. Mesos carries
// environment values as strings, which must be UTF-8 text.
std::string EnvValueProblem(std::string_view value, const std::string& what);

// Reads what `spec` refers to; paths are relative to the spec's directory.
// Problems become diagnostics at the referring key: a missing body_file or
// non-secret from_file is an error, a missing secret file or unset variable
// a warning (it may exist only where the spec is run).
Inputs ReadInputs(const spec::Spec& spec, const World& world, Diagnostics& diagnostics);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_INPUTS_H_
