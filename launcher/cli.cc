#include "launcher/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <cxxopts.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "launcher/compile.h"
#include "common/master_address.h"
#include "launcher/plan_json.h"
#include "launcher/run.h"
#include "launcher/spec/docs.h"
#include "launcher/spec/load.h"
#include "launcher/spec/schema.h"

#ifndef MLAUNCH_VERSION
#define MLAUNCH_VERSION "0.0.0"
#endif

namespace mlaunch {
namespace {

constexpr const char* kUsage =
    "mesos-launch: run services on Apache Mesos from one YAML spec.\n"
    "\n"
    "  mesos-launch [--master M] SPEC      run the spec (Ctrl-C stops it cleanly)\n"
    "  mesos-launch --check SPEC...        validate specs (exit 1 if invalid)\n"
    "  mesos-launch --plan SPEC            print what would be sent to Mesos\n"
    "  mesos-launch --schema               print the spec's JSON Schema\n";

std::string CurrentUser() {
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  return "nobody";
}

// The path of the mesos-launch-executor in this program's directory, or ""
// when there is none.
std::string ExecutorBesideSelf() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "";
  std::filesystem::path executor = self.parent_path() / "mesos-launch-executor";
  return access(executor.c_str(), X_OK) == 0 ? executor.string() : "";
}

// The spec's `master:` must parse as --master would (common/master_address.h).
// A file:// address that cannot be read here is only a warning: the file may
// exist only where the spec runs.
void CheckMasterAddress(const spec::Spec& spec, const World& world, Diagnostics& diagnostics) {
  if (spec.master.empty()) return;
  bool unreadable = false;
  auto read = [&](const std::string& path) -> Result<std::string> {
    std::string bytes;
    if (world.read_file(path, bytes)) return bytes;
    unreadable = true;
    return Status::InvalidData("cannot read '" + path + "': " + bytes);
  };
  Result<MasterAddress> address = ParseMasterAddress(spec.master, read);
  if (address.ok()) return;
  const SourceLoc at = spec.where.Find("master");
  if (unreadable) {
    diagnostics.Warning(at, "master", address.message());
  } else {
    diagnostics.Error(at, "master", address.message());
  }
}

struct Checked {
  spec::LoadResult loaded;
  Inputs inputs;
};

// Loads, checks and reads the inputs of one spec file.
Checked CheckFile(const std::string& file, const World& world) {
  std::string text;
  if (!world.read_file(file, text)) {
    spec::LoadResult failed{spec::Spec{}, Diagnostics(file)};
    failed.diagnostics.Error({}, "", "cannot read the file: " + text);
    return {std::move(failed), {}};
  }
  Checked c{spec::Load(text, file), {}};
  // Read even when the spec has other errors: every problem in one pass.
  c.inputs = ReadInputs(c.loaded.spec, world, c.loaded.diagnostics);
  CheckMasterAddress(c.loaded.spec, world, c.loaded.diagnostics);
  return c;
}

nlohmann::json DiagnosticJson(const Diagnostic& d) {
  return {{"file", d.file},
          {"line", d.loc.line},
          {"column", d.loc.column},
          {"path", d.path},
          {"severity", d.severity == Severity::kError ? "error" : "warning"},
          {"message", d.message},
          {"hint", d.hint}};
}

int Check(const std::vector<std::string>& files, bool json, bool strict, const World& world,
          std::ostream& out) {
  int errors = 0;
  int warnings = 0;
  nlohmann::json records = nlohmann::json::array();
  for (const std::string& file : files) {
    Checked c = CheckFile(file, world);
    const Diagnostics& d = c.loaded.diagnostics;
    errors += d.error_count();
    warnings += d.warning_count();
    for (const Diagnostic& diagnostic : d.Sorted()) {
      if (json) {
        records.push_back(DiagnosticJson(diagnostic));
      } else {
        out << Render(diagnostic, c.loaded.spec.source);
      }
    }
  }
  bool valid = errors == 0 && !(strict && warnings > 0);
  if (json) {
    out << nlohmann::json{{"valid", valid},
                          {"errors", errors},
                          {"warnings", warnings},
                          {"diagnostics", records}}
               .dump(2)
        << "\n";
  } else if (errors + warnings > 0) {
    out << Summary(errors, warnings) << "\n";
  }
  return valid ? kExitOk : kExitInvalidSpec;
}

int PrintPlan(const std::string& file, bool strict, const World& world, std::ostream& out,
              std::ostream& err) {
  Checked c = CheckFile(file, world);
  const Diagnostics& d = c.loaded.diagnostics;
  for (const Diagnostic& diagnostic : d.Sorted()) err << Render(diagnostic, c.loaded.spec.source);
  if (!d.ok() || (strict && d.warning_count() > 0)) {
    err << Summary(d.error_count(), d.warning_count()) << "\n";
    return kExitInvalidSpec;
  }
  Plan plan = Compile(c.loaded.spec, c.inputs, CompileOptions{CurrentUser()});
  out << PlanJson(plan);
  return kExitOk;
}

}  // namespace

int RunCli(int argc, const char* const* argv, const World& world, std::ostream& out,
           std::ostream& err) {
  cxxopts::Options options("mesos-launch", kUsage);
  options.custom_help("[--check|--plan] SPEC...");
  options.positional_help("");
  // clang-format off
  options.add_options()
      ("check", "validate the specs and exit")
      ("plan", "print the FrameworkInfo and TaskInfos that would be sent, and exit")
      ("schema", "print the JSON Schema of the spec language")
      ("spec-reference", "print the key reference of docs/spec.md")
      ("output", "diagnostics as text or json", cxxopts::value<std::string>()->default_value("text"))
      ("strict", "with --check or --plan: warnings make a spec invalid")
      ("master", "Mesos master: host:port, http(s)://host:port, a comma list, or zk://...",
       cxxopts::value<std::string>())
      ("duration", "stop cleanly after this long (e.g. 30s)", cxxopts::value<std::string>())
      ("connect-timeout", "give up (exit 2) when no master answers for this long (default 60s)",
       cxxopts::value<std::string>())
      ("secret-file", "file holding the principal's secret", cxxopts::value<std::string>())
      ("state-dir", "where the framework id is kept for failover", cxxopts::value<std::string>())
      ("ca-file", "PEM certificate authorities for an https:// master",
       cxxopts::value<std::string>())
      ("insecure", "do not verify the master's TLS certificate")
      ("executor-uri", "where agents fetch mesos-launch-executor for tasks whose spec names no "
       "executor.uri (e.g. file:///opt/mesos-launch/bin/mesos-launch-executor)",
       cxxopts::value<std::string>())
      ("h,help", "show this help")
      ("version", "print the version")
      ("files", "spec files", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  options.parse_positional({"files"});

  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    err << "mesos-launch: " << e.what() << "\n" << "try 'mesos-launch --help'\n";
    return kExitUsage;
  }
  if (args.count("help")) {
    out << options.help();
    return kExitOk;
  }
  if (args.count("version")) {
    out << "mesos-launch " << MLAUNCH_VERSION << "\n";
    return kExitOk;
  }
  if (args.count("schema")) {
    out << spec::JsonSchema();
    return kExitOk;
  }
  if (args.count("spec-reference")) {
    out << spec::ReferenceTables();
    return kExitOk;
  }

  std::vector<std::string> files;
  if (args.count("files")) files = args["files"].as<std::vector<std::string>>();
  std::string output = args["output"].as<std::string>();
  auto usage = [&](const std::string& message) {
    err << "mesos-launch: " << message << "\n" << "try 'mesos-launch --help'\n";
    return kExitUsage;
  };
  if (output != "text" && output != "json") return usage("--output must be text or json");
  if (args.count("check") && args.count("plan")) return usage("give --check or --plan, not both");
  if (files.empty()) return usage("no spec file given");

  if (args.count("check")) {
    return Check(files, output == "json", args.count("strict") > 0, world, out);
  }
  if (files.size() > 1) return usage("give one spec file (or use --check for several)");
  if (args.count("plan")) return PrintPlan(files[0], args.count("strict") > 0, world, out, err);

  RunFlags flags;
  if (args.count("master")) flags.master = args["master"].as<std::string>();
  if (args.count("secret-file")) flags.secret_file = args["secret-file"].as<std::string>();
  if (args.count("state-dir")) flags.state_dir = args["state-dir"].as<std::string>();
  if (args.count("ca-file")) flags.ca_file = args["ca-file"].as<std::string>();
  flags.insecure = args.count("insecure") > 0;
  flags.json = output == "json";
  for (const char* name : {"duration", "connect-timeout"}) {
    if (!args.count(name)) continue;
    std::optional<spec::Duration> d = spec::ParseDuration(args[name].as<std::string>());
    if (!d) return usage(std::string("--") + name + " takes a duration such as 30s or 5m");
    std::chrono::milliseconds ms(d->ms);
    if (std::string(name) == "duration") {
      flags.duration = ms;
    } else {
      flags.connect_timeout = ms;
    }
  }

  Checked c = CheckFile(files[0], world);
  const Diagnostics& d = c.loaded.diagnostics;
  for (const Diagnostic& diagnostic : d.Sorted()) err << Render(diagnostic, c.loaded.spec.source);
  if (!d.ok()) {
    err << Summary(d.error_count(), d.warning_count()) << "\n";
    return kExitInvalidSpec;
  }
  CompileOptions compile{CurrentUser(), ""};
  if (NamedMaster(c.loaded.spec, flags, world).empty()) {
    // The embedded agent's command executor: the executor beside this program.
    const std::string beside = ExecutorBesideSelf();
    if (!beside.empty()) flags.launcher_dir = std::filesystem::path(beside).parent_path().string();
  }
  if (args.count("executor-uri")) {
    compile.default_executor_uri = args["executor-uri"].as<std::string>();
  } else if (NamedMaster(c.loaded.spec, flags, world).empty()) {
    // The embedded cluster's agent runs on this machine: it runs the
    // executor installed beside this program, where it is.
    std::string executor = ExecutorBesideSelf();
    if (executor.empty()) {
      err << "mesos-launch: no master named, and no mesos-launch-executor beside this program "
             "for the embedded cluster to run; pass --executor-uri file:///PATH/TO/"
             "mesos-launch-executor, or name a master with --master\n";
      return kExitUsage;
    }
    compile.default_executor_path = executor;
  }
  Plan plan = Compile(c.loaded.spec, c.inputs, compile);
  return RunSpec(c.loaded.spec, plan, flags, world, out, err);
}

}  // namespace mlaunch
