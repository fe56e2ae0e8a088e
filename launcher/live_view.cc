#include "launcher/live_view.h"

#include <utility>

namespace mlaunch {

std::string GroupThousands(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

LiveView::LiveView(std::ostream& out, std::map<std::string, std::int64_t> instances,
                   Options options)
    : out_(out), instances_(std::move(instances)), options_(options) {
  for (const auto& [task, n] : instances_) any_summed_ = any_summed_ || Summed(task);
}

bool LiveView::Summed(const std::string& task) const {
  auto it = instances_.find(task);
  return it != instances_.end() && it->second > static_cast<std::int64_t>(options_.listed);
}

void LiveView::Show(const ViewEvent& event) {
  // A routine note (an executor's clean exit) goes with the summaries of
  // a run that has any.
  const bool summed = event.instance.empty()
                          ? any_summed_
                          : Summed(event.instance.substr(0, event.instance.rfind('.')));
  if (event.routine && summed) {
    hidden_ = true;
    return;
  }
  if (event.instance.empty()) {
    out_ << event.text << "\n";
    out_.flush();
    return;
  }
  std::string name = event.instance;
  if (name.size() < 12) name.resize(12, ' ');
  out_ << name << " " << (event.kind == ViewEvent::Kind::kServing ? "serving " : "") << event.text
       << "\n";
  out_.flush();
}

void LiveView::Summarize(const CountsByTask& counts, SteadyMillis now, bool final) {
  if (!hidden_ || (!final && !Due(now))) return;
  hidden_ = false;
  shown_at_ = now;
  for (const auto& [task, by_state] : counts) {
    if (!Summed(task)) continue;
    std::string line;
    for (const auto& [state, n] : by_state) {
      line += (line.empty() ? "" : ", ") + GroupThousands(n) + " " + std::string(state);
    }
    line = task + ": " + (line.empty() ? "none" : line);
    if (shown_[task] == line) continue;
    shown_[task] = line;
    out_ << line << "\n";
  }
  out_.flush();
}

}  // namespace mlaunch
