#include "launcher/secrets.h"

#include "launcher/spec/validate.h"

namespace mlaunch {
namespace {

std::string WithoutNewline(std::string value) {
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  return value;
}

}  // namespace

RunSecrets ReadSecrets(const spec::Spec& spec, const World& world,
                       const std::string& secret_file_flag, Diagnostics& diagnostics) {
  RunSecrets secrets;
  std::vector<std::string> paths = spec::TaskPaths(spec);
  for (size_t t = 0; t < spec.tasks.size(); ++t) {
    for (const auto& [name, var] : spec.tasks[t].env) {
      if (!var.secret) continue;
      std::string at = paths[t] + ".env." + name;
      if (!var.from_file.empty()) {
        std::string bytes;
        std::string file = ResolveSpecPath(spec, var.from_file);
        if (world.read_file(file, bytes)) {
          std::string problem =
              EnvValueProblem(WithoutNewline(bytes), "the secret file '" + file + "'");
          if (!problem.empty()) {
            diagnostics.Error(spec.where.Find(at + ".from_file"), at + ".from_file", problem);
          } else {
            secrets.env[name] = WithoutNewline(bytes);
          }
        } else {
          diagnostics.Error(spec.where.Find(at + ".from_file"), at + ".from_file",
                            "cannot read the secret file '" + file + "': " + bytes);
        }
      } else if (!var.from_env.empty()) {
        if (std::optional<std::string> value = world.getenv(var.from_env)) {
          std::string problem =
              EnvValueProblem(*value, "the secret variable '" + var.from_env + "'");
          if (!problem.empty()) {
            diagnostics.Error(spec.where.Find(at + ".from_env"), at + ".from_env", problem);
          } else {
            secrets.env[name] = *value;
          }
        } else {
          diagnostics.Error(spec.where.Find(at + ".from_env"), at + ".from_env",
                            "the secret variable '" + var.from_env + "' is not set");
        }
      }
    }
  }

  std::string file = !secret_file_flag.empty() ? secret_file_flag
                     : !spec.framework.secret_file.empty()
                         ? ResolveSpecPath(spec, spec.framework.secret_file)
                         : "";
  if (!file.empty()) {
    std::string bytes;
    if (world.read_file(file, bytes)) {
      secrets.principal = WithoutNewline(bytes);
    } else {
      std::string where = secret_file_flag.empty() ? "framework.secret_file" : "";
      diagnostics.Error(where.empty() ? SourceLoc{} : spec.where.Find(where), where,
                        "cannot read the secret file '" + file + "': " + bytes);
    }
  } else if (std::optional<std::string> value = world.getenv("MESOS_LAUNCH_SECRET")) {
    secrets.principal = *value;
  }
  return secrets;
}

}  // namespace mlaunch
