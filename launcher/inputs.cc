#include "launcher/inputs.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/utf8.h"
#include "launcher/spec/validate.h"

namespace mlaunch {

namespace {

// Reads at most kMaxReadBytes of `path`, or says why not. Never waits on a
// FIFO nobody writes to (opened non-blocking: it reads as empty), never
// reads more than the limit (/dev/zero is refused once it is exceeded).
// With `regular_only`, devices, FIFOs and sockets are refused before any
// read.
bool ReadBounded(const std::string& path, bool regular_only, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    out = std::strerror(errno);
    return false;
  }
  struct stat info {};
  std::string why;
  if (::fstat(fd, &info) != 0) {
    why = std::strerror(errno);
  } else if (S_ISDIR(info.st_mode)) {
    why = "it is a directory, not a file";
  } else if (regular_only && !S_ISREG(info.st_mode)) {
    why = "it is not a regular file (a device, FIFO or socket)";
  }
  // Reads block from here on: a pipe's writer (<(command)) is waited for.
  if (why.empty()) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string bytes;
  char buffer[64 * 1024];
  while (why.empty()) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) why = std::strerror(errno);
    if (n <= 0) break;
    if (bytes.size() + static_cast<size_t>(n) > static_cast<size_t>(kMaxReadBytes)) {
      why = "it is larger than " + std::to_string(kMaxReadBytes >> 20) + " MiB";
      break;
    }
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!why.empty()) {
    out = why;
    return false;
  }
  out = std::move(bytes);
  return true;
}

}  // namespace

World RealWorld() {
  World world;
  world.read_file = [](const std::string& path, std::string& out) {
    return ReadBounded(path, /*regular_only=*/false, out);
  };
  world.read_regular_file = [](const std::string& path, std::string& out) {
    return ReadBounded(path, /*regular_only=*/true, out);
  };
  world.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  std::filesystem::path executor = self.parent_path() / "mesos-launch-executor";
  if (!error && access(executor.c_str(), X_OK) == 0) world.executor = executor.string();
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) world.user = pw->pw_name;
  return world;
}

std::string ResolveSpecPath(const spec::Spec& spec, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  size_t slash = spec.file.find_last_of('/');
  return slash == std::string::npos ? path : spec.file.substr(0, slash + 1) + path;
}

std::string EnvValueProblem(std::string_view value, const std::string& what) {
  std::optional<size_t> bad = FirstInvalidUtf8(value);
  if (!bad) return "";
  return what + " is not UTF-8 text (byte " + std::to_string(*bad) +
         "); Mesos carries environment values as strings: encode binary data, for example "
         "in base64";
}

Inputs ReadInputs(const spec::Spec& spec, const World& world, Diagnostics& diagnostics) {
  Inputs inputs;
  auto report = [&](bool error, const std::string& path, std::string message) {
    SourceLoc at = spec.where.Find(path);
    if (error) {
      diagnostics.Error(at, path, std::move(message));
    } else {
      diagnostics.Warning(at, path, std::move(message));
    }
  };
  std::vector<std::string> task_paths = spec::TaskPaths(spec);
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    const spec::Task& task = spec.tasks[i];
    const std::string& at = task_paths[i];
    if (task.service && !task.service->body_file.empty()) {
      const std::string& file = task.service->body_file;
      std::string bytes;
      if (inputs.files.count(file)) {
        // Read once, however many tasks serve it.
      } else if (world.read_regular_file(ResolveSpecPath(spec, file), bytes)) {
        if (bytes.size() > kMaxBodyFileBytes) {
          report(true, at + ".service.body_file",
                 "'" + ResolveSpecPath(spec, file) + "' is " + std::to_string(bytes.size()) +
                     " bytes; a body_file travels in every launch and may be at most " +
                     std::to_string(kMaxBodyFileBytes >> 20) +
                     " MiB (serve larger files from an artifact with service.root)");
        } else {
          inputs.files[file] = std::move(bytes);
        }
      } else {
        report(true, at + ".service.body_file",
               "cannot read '" + ResolveSpecPath(spec, file) + "': " + bytes);
      }
    }
    for (const auto& [name, var] : task.env) {
      std::string path = at + ".env." + name;
      if (!var.from_file.empty()) {
        std::string bytes;
        bool ok = world.read_regular_file(ResolveSpecPath(spec, var.from_file), bytes);
        if (!ok) {
          report(!var.secret, path + ".from_file",
                 "cannot read '" + ResolveSpecPath(spec, var.from_file) + "': " + bytes);
        } else if (bytes.size() > kMaxEnvFileBytes) {
          report(true, path + ".from_file",
                 "'" + ResolveSpecPath(spec, var.from_file) + "' is " +
                     std::to_string(bytes.size()) + " bytes; an environment value may be at most " +
                     std::to_string(kMaxEnvFileBytes >> 10) + " KiB");
        } else if (!var.secret) {
          // A trailing newline is how files end, not part of the value.
          if (!bytes.empty() && bytes.back() == '\n') bytes.pop_back();
          std::string problem =
              EnvValueProblem(bytes, "'" + ResolveSpecPath(spec, var.from_file) + "'");
          if (!problem.empty()) {
            report(true, path + ".from_file", problem);
          } else {
            inputs.files[var.from_file] = std::move(bytes);
          }
        }
      }
      if (!var.from_env.empty()) {
        std::optional<std::string> value = world.getenv(var.from_env);
        if (!value) {
          report(false, path + ".from_env",
                 "'" + var.from_env + "' is not set in this environment");
        } else if (!var.secret) {
          std::string problem = EnvValueProblem(*value, "the value of '" + var.from_env + "'");
          if (!problem.empty()) {
            report(true, path + ".from_env", problem);
          } else {
            inputs.variables[var.from_env] = *value;
          }
        }
      }
    }
  }
  return inputs;
}

}  // namespace mlaunch
