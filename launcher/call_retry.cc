#include "launcher/call_retry.h"

#include <algorithm>
#include <limits>

namespace mlaunch {

namespace {

bool IsOfferWish(const CallRetry::Call& call) {
  return call.type() == CallRetry::Call::REVIVE || call.type() == CallRetry::Call::SUPPRESS;
}

}  // namespace

bool CallRetry::Retryable(const Call& call, const Status& failure) {
  switch (failure.code()) {
    case StatusCode::kBusy:
      return true;
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
      return call.type() != Call::ACCEPT;
    default:
      return false;
  }
}

SteadyMillis CallRetry::Add(Call call, int attempts, SteadyMillis now,
                            std::optional<Call>* dropped) {
  SteadyMillis wait = options_.initial;
  for (int i = 1; i < attempts && wait < options_.max; ++i) wait *= 2;
  wait = std::min(wait, options_.max);
  if (pending_.size() >= options_.max_pending && !pending_.empty()) {
    if (dropped) *dropped = std::move(pending_.front().call);
    pending_.pop_front();
  }
  pending_.push_back({std::move(call), attempts, now + wait});
  return wait;
}

SteadyMillis CallRetry::NextDue() const {
  SteadyMillis next = std::numeric_limits<SteadyMillis>::max();
  for (const Pending& p : pending_) next = std::min(next, p.due);
  return next;
}

void CallRetry::Sending(const Call& call) {
  if (!IsOfferWish(call)) return;
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [](const Pending& p) { return IsOfferWish(p.call); }),
                 pending_.end());
}

std::vector<CallRetry::Pending> CallRetry::TakeDue(SteadyMillis now) {
  std::vector<Pending> due;
  std::deque<Pending> later;
  for (Pending& p : pending_) {
    if (p.due <= now) {
      due.push_back(std::move(p));
    } else {
      later.push_back(std::move(p));
    }
  }
  pending_ = std::move(later);
  return due;
}

}  // namespace mlaunch
