// Micro-benchmarks (Google Benchmark): offer matching, RecordIO decoding,
// and loading + compiling a large spec.
//
//   BM_MatchOffers/N      MatchOffers on N offers (one per agent) for 100
//                         waiting instances with `hostname UNIQUE`; items/s
//                         is offers/s.
//   BM_RecordIODecode/S   a stream of 1,000 records of S bytes, fed in 64 KiB
//                         chunks; bytes/s is the decode rate.
//   BM_SpecLoadCompile/N  spec::Load + Compile of the generated N-task spec
//                         (bench/spec_generator.h).
//   BM_ParseOffersEvent/N/A  parsing one scheduler OFFERS event of N offers
//                         (as BM_MatchOffers's) from its bytes, on the heap
//                         (A=0, what MasterClient does) or into a protobuf
//                         arena (A=1); bytes/s is the parse rate.
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include <string>
#include <vector>

#include "bench/spec_generator.h"
#include "common/recordio.h"
#include "launcher/compile.h"
#include "launcher/offer_match.h"
#include "launcher/spec/load.h"
#include "mesos/v1/scheduler/scheduler.pb.h"
#include "testing/offer_builder.h"

namespace {

namespace v1 = mesos::v1;

mlaunch::Plan CompileOrDie(const std::string& yaml) {
  mlaunch::spec::LoadResult loaded = mlaunch::spec::Load(yaml, "bench.yaml");
  if (!loaded.diagnostics.ok()) {
    std::fprintf(stderr, "spec invalid: %s\n",
                 mlaunch::Render(loaded.diagnostics.Sorted()[0]).c_str());
    std::abort();
  }
  return mlaunch::Compile(loaded.spec, {}, {"bench"});
}

// One offer per agent: 4 cpus, 8 GiB, ports 31000-32000, a rack attribute.
std::vector<v1::Offer> AgentOffers(int agents) {
  std::vector<v1::Offer> offers;
  for (int a = 0; a < agents; ++a) {
    std::string id = "agent-" + std::to_string(a);
    offers.push_back(mlaunch::OfferBuilder("offer-" + id, id, "host-" + id)
                         .Scalar("cpus", 4)
                         .Scalar("mem", 8192)
                         .Ports(31000, 32000)
                         .Attribute("rack", "rack-" + std::to_string(a % 40))
                         .Build());
  }
  return offers;
}

void BM_MatchOffers(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  mlaunch::Plan plan = CompileOrDie(
      "version: 1\ntasks:\n  - name: web\n    instances: 100\n"
      "    resources: {cpus: 0.5, mem: 128}\n    ports: [{name: http}]\n"
      "    constraints: [[hostname, UNIQUE]]\n"
      "    service: {port: http, payload: hello}\n");
  std::vector<v1::Offer> offers = AgentOffers(agents);
  std::vector<mlaunch::WaitingInstance> waiting;
  for (const mlaunch::TaskPlan& task : plan.tasks) {
    for (int64_t i = 0; i < task.instances; ++i) waiting.push_back({&task, i});
  }
  for (auto _ : state) {
    mlaunch::MatchOutcome outcome = mlaunch::MatchOffers(offers, waiting, {});
    benchmark::DoNotOptimize(outcome);
  }
  state.SetItemsProcessed(state.iterations() * agents);
}
BENCHMARK(BM_MatchOffers)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_ParseOffersEvent(benchmark::State& state) {
  namespace sched = mesos::v1::scheduler;
  sched::Event event;
  event.set_type(sched::Event::OFFERS);
  for (v1::Offer& offer : AgentOffers(static_cast<int>(state.range(0)))) {
    *event.mutable_offers()->add_offers() = std::move(offer);
  }
  const std::string bytes = event.SerializeAsString();
  const bool arena = state.range(1) != 0;
  for (auto _ : state) {
    if (arena) {
      google::protobuf::Arena on;
      auto* parsed = google::protobuf::Arena::CreateMessage<sched::Event>(&on);
      if (!parsed->ParseFromString(bytes)) std::abort();
      benchmark::DoNotOptimize(parsed);
    } else {
      sched::Event parsed;
      if (!parsed.ParseFromString(bytes)) std::abort();
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.counters["event_bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_ParseOffersEvent)->Args({10000, 0})->Args({10000, 1})->Unit(benchmark::kMillisecond);

void BM_RecordIODecode(benchmark::State& state) {
  const size_t record_bytes = static_cast<size_t>(state.range(0));
  std::string stream;
  for (int i = 0; i < 1000; ++i) {
    stream += mlaunch::RecordIOEncode(std::string(record_bytes, static_cast<char>('a' + i % 26)));
  }
  constexpr size_t kChunk = 64 * 1024;
  for (auto _ : state) {
    mlaunch::RecordIODecoder decoder;
    std::vector<std::string> records;
    for (size_t at = 0; at < stream.size(); at += kChunk) {
      mlaunch::Status s = decoder.Feed(std::string_view(stream).substr(at, kChunk), &records);
      if (!s.ok()) state.SkipWithError(s.message().c_str());
    }
    benchmark::DoNotOptimize(records);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_RecordIODecode)->Arg(64)->Arg(1024)->Arg(64 * 1024);

void BM_SpecLoadCompile(benchmark::State& state) {
  const std::string yaml = mlaunch::bench::GenerateSpec(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    mlaunch::Plan plan = CompileOrDie(yaml);
    benchmark::DoNotOptimize(plan);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * yaml.size()));
}
BENCHMARK(BM_SpecLoadCompile)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
