#include "launcher/call_retry.h"

#include <gtest/gtest.h>

#include <limits>

namespace mlaunch {
namespace {

using Call = CallRetry::Call;

Call Of(Call::Type type) {
  Call call;
  call.set_type(type);
  return call;
}

TEST(CallRetry, A503IsAlwaysWorthAnotherTryARefusalNever) {
  const Status busy = Status::Error(StatusCode::kBusy, "503");
  const Status unreachable = Status::Error(StatusCode::kUnavailable, "refused");
  const Status slow = Status::Error(StatusCode::kTimeout, "no answer");
  const Status refused = Status::InvalidData("400");
  for (Call::Type type : {Call::REVIVE, Call::SUPPRESS, Call::KILL, Call::ACKNOWLEDGE,
                          Call::DECLINE, Call::RECONCILE, Call::TEARDOWN}) {
    SCOPED_TRACE(Call::Type_Name(type));
    EXPECT_TRUE(CallRetry::Retryable(Of(type), busy));
    EXPECT_TRUE(CallRetry::Retryable(Of(type), unreachable));
    EXPECT_TRUE(CallRetry::Retryable(Of(type), slow));
    EXPECT_FALSE(CallRetry::Retryable(Of(type), refused));
    EXPECT_FALSE(CallRetry::Retryable(Of(type), Status::Error(StatusCode::kUntrusted, "tls")));
    EXPECT_FALSE(CallRetry::Retryable(Of(type), Status::Error(StatusCode::kCancelled, "stop")));
  }
  // The master may have carried out an ACCEPT that got no answer: only a
  // 503 says it did not.
  EXPECT_TRUE(CallRetry::Retryable(Of(Call::ACCEPT), busy));
  EXPECT_FALSE(CallRetry::Retryable(Of(Call::ACCEPT), unreachable));
  EXPECT_FALSE(CallRetry::Retryable(Of(Call::ACCEPT), slow));
}

TEST(CallRetry, WaitsDoubleUpToTheCapAndComeDueInOrder) {
  CallRetry retry({/*initial=*/100, /*max=*/1000, /*max_pending=*/10});
  EXPECT_EQ(retry.NextDue(), std::numeric_limits<SteadyMillis>::max());
  EXPECT_EQ(retry.Add(Of(Call::KILL), 1, 0, nullptr), 100);
  EXPECT_EQ(retry.Add(Of(Call::ACKNOWLEDGE), 2, 0, nullptr), 200);
  EXPECT_EQ(retry.Add(Of(Call::DECLINE), 4, 0, nullptr), 800);
  EXPECT_EQ(retry.Add(Of(Call::RECONCILE), 5, 0, nullptr), 1000);
  EXPECT_EQ(retry.Add(Of(Call::TEARDOWN), 60, 0, nullptr), 1000);  // no overflow
  EXPECT_EQ(retry.NextDue(), 100);

  EXPECT_TRUE(retry.TakeDue(99).empty());
  std::vector<CallRetry::Pending> due = retry.TakeDue(200);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].call.type(), Call::KILL);
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[1].call.type(), Call::ACKNOWLEDGE);
  EXPECT_EQ(retry.size(), 3u);
  EXPECT_EQ(retry.NextDue(), 800);
  EXPECT_EQ(retry.TakeDue(1000).size(), 3u);
  EXPECT_EQ(retry.size(), 0u);
}

TEST(CallRetry, ALaterReviveOrSuppressReplacesOneWaiting) {
  CallRetry retry;
  retry.Add(Of(Call::REVIVE), 1, 0, nullptr);
  retry.Add(Of(Call::KILL), 1, 0, nullptr);
  retry.Sending(Of(Call::ACKNOWLEDGE));  // not a wish about offers
  EXPECT_EQ(retry.size(), 2u);
  retry.Sending(Of(Call::SUPPRESS));
  std::vector<CallRetry::Pending> due = retry.TakeDue(1'000'000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].call.type(), Call::KILL);
}

TEST(CallRetry, BeyondItsLimitTheOldestCallIsGivenUpAndReturned) {
  CallRetry retry({100, 1000, /*max_pending=*/2});
  std::optional<Call> dropped;
  retry.Add(Of(Call::KILL), 1, 0, &dropped);
  retry.Add(Of(Call::ACKNOWLEDGE), 1, 0, &dropped);
  EXPECT_FALSE(dropped.has_value());
  retry.Add(Of(Call::DECLINE), 1, 0, &dropped);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->type(), Call::KILL);
  EXPECT_EQ(retry.size(), 2u);
  retry.Clear();
  EXPECT_EQ(retry.size(), 0u);
}

}  // namespace
}  // namespace mlaunch
