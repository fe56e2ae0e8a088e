#include "launcher/cli.h"

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

// A master address (detect/master_address.h), a file:// one read through
// `world`; `unreadable` tells when that file could not be read.
Result<MasterAddress> ParseMaster(const std::string& text, const World& world,
                                  bool* unreadable = nullptr) {
  return ParseMasterAddress(text, [&](const std::string& path) -> Result<std::string> {
    std::string bytes;
    if (world.read_file(path, bytes)) return bytes;
    if (unreadable) *unreadable = true;
    return Status::InvalidData("cannot read '" + path + "': " + bytes);
  });
}

// The spec's `master:` must parse as --master would; parsed, it is kept for
// the run. A file:// address that cannot be read here is only a warning:
// the file may exist only where the spec runs.
std::optional<MasterAddress> CheckMasterAddress(const spec::Spec& spec, const World& world,
                                                Diagnostics& diagnostics) {
  if (spec.master.empty()) return std::nullopt;
  bool unreadable = false;
  Result<MasterAddress> address = ParseMaster(spec.master, world, &unreadable);
  if (address.ok()) return std::move(address).value();
  const SourceLoc at = spec.where.Find("master");
  if (unreadable) {
    diagnostics.Warning(at, "master", address.message());
  } else {
    diagnostics.Error(at, "master", address.message());
  }
  return std::nullopt;
}

struct Checked {
  spec::LoadResult loaded;
  Inputs inputs;
  std::optional<MasterAddress> spec_master;  // the spec's `master:`, parsed
};

// Loads, checks and reads the inputs of one spec file.
Checked CheckFile(const std::string& file, const World& world) {
  std::string text;
  if (!world.read_file(file, text)) {
    spec::LoadResult failed{spec::Spec{}, Diagnostics(file)};
    failed.diagnostics.Error({}, "", "cannot read the file: " + text);
    return {std::move(failed), {}, std::nullopt};
  }
  if (text.size() > kMaxSpecBytes) {
    spec::LoadResult failed{spec::Spec{}, Diagnostics(file)};
    failed.diagnostics.Error({}, "",
                             "the spec is " + std::to_string(text.size()) +
                                 " bytes; a spec may be at most " +
                                 std::to_string(kMaxSpecBytes >> 20) + " MiB");
    return {std::move(failed), {}, std::nullopt};
  }
  Checked c{spec::Load(text, file), {}, std::nullopt};
  // Read even when the spec has other errors: every problem in one pass.
  c.inputs = ReadInputs(c.loaded.spec, world, c.loaded.diagnostics);
  c.spec_master = CheckMasterAddress(c.loaded.spec, world, c.loaded.diagnostics);
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

int PrintPlan(const Checked& c, bool strict, const ExecutorDelivery& executor, const World& world,
              std::ostream& out, std::ostream& err) {
  const Diagnostics& d = c.loaded.diagnostics;
  err << RenderSome(d.Sorted(), c.loaded.spec.source);
  if (!d.ok() || (strict && d.warning_count() > 0)) {
    err << Summary(d.error_count(), d.warning_count()) << "\n";
    return kExitInvalidSpec;
  }
  Plan plan = Compile(c.loaded.spec, c.inputs, CompileOptions{world.user, executor});
  out << PlanJson(plan);
  return kExitOk;
}

cxxopts::Options CliOptions() {
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
      ("output", "diagnostics as text or json",
       cxxopts::value<std::string>()->default_value("text"))
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
       "executor.uri, instead of from mesos-launch "
       "(e.g. https://repo.example/mesos-launch-executor)",
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
  return options;
}

// --help, --version, --schema and --spec-reference: what they print, and
// the exit code; nullopt for a run, --check or --plan.
std::optional<int> Informational(const cxxopts::Options& options, const cxxopts::ParseResult& args,
                                 std::ostream& out, std::ostream& err) {
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
  if (!args.count("spec-reference")) return std::nullopt;
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

// The run's flags but the master (decided with the spec); a usage error
// names the flag.
Result<RunFlags> ReadRunFlags(const cxxopts::ParseResult& args) {
  RunFlags flags;
  if (args.count("secret-file")) flags.secret_file = args["secret-file"].as<std::string>();
  if (args.count("state-dir")) flags.state_dir = args["state-dir"].as<std::string>();
  if (args.count("ca-file")) flags.ca_file = args["ca-file"].as<std::string>();
  if (args.count("advertise")) flags.advertise = args["advertise"].as<std::string>();
  flags.insecure = args.count("insecure") > 0;
  flags.json = args["output"].as<std::string>() == "json";
  for (const char* name : {"duration", "connect-timeout"}) {
    if (!args.count(name)) continue;
    std::optional<spec::Duration> d = spec::ParseDuration(args[name].as<std::string>());
    if (!d) {
      return Status::InvalidData(std::string("--") + name + " takes a duration such as 30s or 5m");
    }
    std::chrono::milliseconds ms(d->ms);
    if (std::string(name) == "duration") {
      flags.duration = ms;
    } else {
      flags.connect_timeout = ms;
    }
  }
  return flags;
}

// Runs or plans one checked spec. Where the run goes is decided here, once:
// the master named by --master, MESOS_MASTER or the spec (in that order),
// parsed, or the embedded cluster; and with it the tasks' executor.
int RunOrPlan(const cxxopts::ParseResult& args, const Checked& c, RunFlags flags,
              const World& world, std::ostream& out, std::ostream& err) {
  auto usage = [&](const std::string& message) {
    err << "mesos-launch: " << message << "\n"
        << "try 'mesos-launch --help'\n";
    return kExitUsage;
  };
  const std::string flag = args.count("master") ? args["master"].as<std::string>() : "";
  const std::string named = NamedMaster(flag, c.loaded.spec, world);
  Result<ExecutorDelivery> executor = ChooseExecutor(args, !named.empty(), world);
  if (!executor.ok()) return usage(executor.message());
  if (args.count("plan")) {
    Result<ExecutorDelivery> planned = PlanServed(executor.value(), world);
    if (!planned.ok()) return usage(planned.message());
    return PrintPlan(c, args.count("strict") > 0, planned.value(), world, out, err);
  }
  const Diagnostics& d = c.loaded.diagnostics;
  err << RenderSome(d.Sorted(), c.loaded.spec.source);
  if (!d.ok()) {
    err << Summary(d.error_count(), d.warning_count()) << "\n";
    return kExitInvalidSpec;
  }
  if (!named.empty() && named == c.loaded.spec.master && c.spec_master) {
    flags.master = c.spec_master;
  } else if (!named.empty()) {
    Result<MasterAddress> parsed = ParseMaster(named, world);
    if (!parsed.ok()) {
      err << "mesos-launch: --master: " << parsed.message() << "\n";
      return kExitUsage;
    }
    flags.master = std::move(parsed).value();
  } else if (!world.executor.empty()) {
    // The embedded agent's command executor: the executor beside this program.
    flags.launcher_dir = std::filesystem::path(world.executor).parent_path().string();
  }
  return RunSpec(c.loaded.spec, c.inputs, CompileOptions{world.user, executor.value()}, flags,
                 world, out, err);
}

}  // namespace

int RunCli(int argc, const char* const* argv, const World& world, std::ostream& out,
           std::ostream& err) {
  cxxopts::Options options = CliOptions();
  auto usage = [&](const std::string& message) {
    err << "mesos-launch: " << message << "\n"
        << "try 'mesos-launch --help'\n";
    return kExitUsage;
  };
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return usage(e.what());
  }
  if (std::optional<int> code = Informational(options, args, out, err)) return *code;

  std::vector<std::string> files;
  if (args.count("files")) files = args["files"].as<std::vector<std::string>>();
  std::string output = args["output"].as<std::string>();
  if (output != "text" && output != "json") return usage("--output must be text or json");
  if (args.count("check") && args.count("plan")) return usage("give --check or --plan, not both");
  if (files.empty()) return usage("no spec file given");
  if (args.count("check")) {
    return Check(files, output == "json", args.count("strict") > 0, world, out, err);
  }
  if (files.size() > 1) return usage("give one spec file (or use --check for several)");
  Result<RunFlags> flags = ReadRunFlags(args);
  if (!flags.ok()) return usage(flags.message());
  return RunOrPlan(args, CheckFile(files[0], world), std::move(flags).value(), world, out, err);
}

}  // namespace mlaunch
