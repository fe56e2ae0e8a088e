#include "launcher/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <cxxopts.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "common/build_info.h"
#include "common/json_text.h"
#include "common/sha256.h"
#include "detect/master_address.h"
#include "launcher/compile.h"
#include "launcher/executor_server.h"
#include "launcher/plan_json.h"
#include "launcher/run.h"
#include "launcher/spec/docs.h"
#include "launcher/spec/load.h"
#include "launcher/spec/schema.h"

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

bool IsSha256Checksum(const std::string& text) {
  return text.rfind("sha256:", 0) == 0 && IsSha256Hex(std::string_view(text).substr(7));
}

// The executor of tasks whose spec names none, from the flags and whether a
// master is named, or a usage error. A served executor gets its URI and
// digest from its server (RunSpec), or for --plan from PlanServed().
Result<ExecutorDelivery> ChooseExecutor(const cxxopts::ParseResult& args, bool named_master,
                                        const World& world) {
  ExecutorDelivery d;
  const bool uri = args.count("executor-uri") > 0;
  const bool from_path = args.count("executor-from-path") > 0;
  auto usage = [](const std::string& message) { return Status::InvalidData(message); };
  if (uri && from_path) return usage("give --executor-uri or --executor-from-path, not both");
  if (args.count("executor-checksum") && !uri) {
    return usage(
        "--executor-checksum goes with --executor-uri (a served executor is always "
        "checked)");
  }
  if (uri) {
    d.source = ExecutorDelivery::Source::kUri;
    d.uri = args["executor-uri"].as<std::string>();
    if (args.count("executor-checksum")) {
      const std::string checksum = args["executor-checksum"].as<std::string>();
      if (!IsSha256Checksum(checksum)) {
        return usage("--executor-checksum must be sha256: followed by 64 lower-case hex digits");
      }
      d.sha256 = checksum.substr(7);
    }
  } else if (from_path) {
    d.source = ExecutorDelivery::Source::kAgentPath;
  } else {
    d.path = world.executor;
    if (d.path.empty()) {
      return usage(named_master
                       ? "no mesos-launch-executor beside this program to serve to the agents; "
                         "install it there, or pass --executor-uri URI or --executor-from-path"
                       : "no master named, and no mesos-launch-executor beside this program for "
                         "the embedded cluster to run; pass --executor-uri file:///PATH/TO/"
                         "mesos-launch-executor, or name a master with --master");
    }
    d.source =
        named_master ? ExecutorDelivery::Source::kServed : ExecutorDelivery::Source::kInPlace;
  }
  if (args.count("advertise")) {
    if (d.source != ExecutorDelivery::Source::kServed) {
      return usage(
          "--advertise is where agents fetch the executor mesos-launch serves; this "
          "run serves none (" +
          Describe(d) + ")");
    }
    Result<HostPort> where = ParseAdvertise(args["advertise"].as<std::string>());
    if (!where.ok()) return where.status();
  }
  return d;
}

// The spec's `master:` must parse as --master would (detect/master_address.h).
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
  if (text.size() > kMaxSpecBytes) {
    spec::LoadResult failed{spec::Spec{}, Diagnostics(file)};
    failed.diagnostics.Error({}, "",
                             "the spec is " + std::to_string(text.size()) +
                                 " bytes; a spec may be at most " +
                                 std::to_string(kMaxSpecBytes >> 20) + " MiB");
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

// Diagnostics go to `err` as text, like a compiler's; with --output json the
// one JSON document goes to `out`, diagnostics and all.
int Check(const std::vector<std::string>& files, bool json, bool strict, const World& world,
          std::ostream& out, std::ostream& err) {
  int errors = 0;
  int warnings = 0;
  nlohmann::json records = nlohmann::json::array();
  for (const std::string& file : files) {
    Checked c = CheckFile(file, world);
    const Diagnostics& d = c.loaded.diagnostics;
    errors += d.error_count();
    warnings += d.warning_count();
    if (json) {
      for (const Diagnostic& diagnostic : d.Sorted()) records.push_back(DiagnosticJson(diagnostic));
    } else {
      err << RenderSome(d.Sorted(), c.loaded.spec.source);
    }
  }
  bool valid = errors == 0 && !(strict && warnings > 0);
  if (json) {
    out << JsonText({{"valid", valid},
                     {"errors", errors},
                     {"warnings", warnings},
                     {"diagnostics", records}},
                    2)
        << "\n";
  } else if (errors + warnings > 0) {
    err << Summary(errors, warnings) << "\n";
  }
  return valid ? kExitOk : kExitInvalidSpec;
}

// --plan's view of a served executor: its digest and size, and a URI whose
// address is the placeholder ${mesos_launch} (the port is picked at run time).
Result<ExecutorDelivery> PlanServed(ExecutorDelivery d, const World& world) {
  if (d.source != ExecutorDelivery::Source::kServed) return d;
  std::string bytes;
  if (!world.read_file(d.path, bytes)) {
    return Status::InvalidData("cannot serve the executor: cannot read " + d.path + ": " + bytes);
  }
  d.sha256 = Sha256Hex(bytes);
  d.bytes = static_cast<int64_t>(bytes.size());
  d.uri = "http://${mesos_launch}" + ExecutorServer::PathFor(d.sha256);
  return d;
}

int PrintPlan(const Checked& c, bool strict, const ExecutorDelivery& executor, std::ostream& out,
              std::ostream& err) {
  const Diagnostics& d = c.loaded.diagnostics;
  err << RenderSome(d.Sorted(), c.loaded.spec.source);
  if (!d.ok() || (strict && d.warning_count() > 0)) {
    err << Summary(d.error_count(), d.warning_count()) << "\n";
    return kExitInvalidSpec;
  }
  Plan plan = Compile(c.loaded.spec, c.inputs, CompileOptions{CurrentUser(), executor});
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
      ("spec-reference", "print the key reference of the spec language: as the table of "
       "docs/spec.md, or with =man as the KEYS section of mesos-launch-spec(5)",
       cxxopts::value<std::string>()->implicit_value("markdown"))
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
       "executor.uri, instead of from mesos-launch (e.g. https://repo.example/mesos-launch-executor)",
       cxxopts::value<std::string>())
      ("executor-checksum", "sha256:<64 hex digits> of --executor-uri, checked by the agent "
       "before it runs", cxxopts::value<std::string>())
      ("executor-from-path", "agents run mesos-launch-executor from their PATH (installed there)")
      ("advertise", "ADDRESS[:PORT] agents fetch the served executor from (default: this "
       "machine's address toward the master, any port)", cxxopts::value<std::string>())
      ("h,help", "show this help")
      ("version", "print the version")
      ("files", "spec files", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  options.parse_positional({"files"});

  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    err << "mesos-launch: " << e.what() << "\n"
        << "try 'mesos-launch --help'\n";
    return kExitUsage;
  }
  if (args.count("help")) {
    out << options.help();
    return kExitOk;
  }
  if (args.count("version")) {
    out << ThisBuild().VersionText("mesos-launch");
    return kExitOk;
  }
  if (args.count("schema")) {
    out << spec::JsonSchema();
    return kExitOk;
  }
  if (args.count("spec-reference")) {
    const std::string format = args["spec-reference"].as<std::string>();
    if (format == "markdown") {
      out << spec::ReferenceTables();
    } else if (format == "man") {
      out << spec::ReferenceManSection();
    } else {
      err << "mesos-launch: --spec-reference is markdown (the default) or man, not '" << format
          << "'\n";
      return kExitUsage;
    }
    return kExitOk;
  }

  std::vector<std::string> files;
  if (args.count("files")) files = args["files"].as<std::vector<std::string>>();
  std::string output = args["output"].as<std::string>();
  auto usage = [&](const std::string& message) {
    err << "mesos-launch: " << message << "\n"
        << "try 'mesos-launch --help'\n";
    return kExitUsage;
  };
  if (output != "text" && output != "json") return usage("--output must be text or json");
  if (args.count("check") && args.count("plan")) return usage("give --check or --plan, not both");
  if (files.empty()) return usage("no spec file given");

  if (args.count("check")) {
    return Check(files, output == "json", args.count("strict") > 0, world, out, err);
  }
  if (files.size() > 1) return usage("give one spec file (or use --check for several)");

  RunFlags flags;
  if (args.count("master")) flags.master = args["master"].as<std::string>();
  if (args.count("secret-file")) flags.secret_file = args["secret-file"].as<std::string>();
  if (args.count("state-dir")) flags.state_dir = args["state-dir"].as<std::string>();
  if (args.count("ca-file")) flags.ca_file = args["ca-file"].as<std::string>();
  if (args.count("advertise")) flags.advertise = args["advertise"].as<std::string>();
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
  const bool named_master = !NamedMaster(c.loaded.spec, flags, world).empty();
  Result<ExecutorDelivery> executor = ChooseExecutor(args, named_master, world);
  if (!executor.ok()) return usage(executor.message());
  if (args.count("plan")) {
    Result<ExecutorDelivery> planned = PlanServed(executor.value(), world);
    if (!planned.ok()) return usage(planned.message());
    return PrintPlan(c, args.count("strict") > 0, planned.value(), out, err);
  }

  const Diagnostics& d = c.loaded.diagnostics;
  err << RenderSome(d.Sorted(), c.loaded.spec.source);
  if (!d.ok()) {
    err << Summary(d.error_count(), d.warning_count()) << "\n";
    return kExitInvalidSpec;
  }
  // The embedded agent's command executor: the executor beside this program.
  if (!named_master && !world.executor.empty()) {
    flags.launcher_dir = std::filesystem::path(world.executor).parent_path().string();
  }
  return RunSpec(c.loaded.spec, c.inputs, CompileOptions{CurrentUser(), executor.value()}, flags,
                 world, out, err);
}

}  // namespace mlaunch
