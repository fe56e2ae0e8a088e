#include "launcher/subscribe_outcome.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace mlaunch {
namespace {

using Kind = SubscribeOutcome::Kind;

SubscribeOutcome Is(Kind kind, std::string why, std::string redirect = "") {
  return {kind, std::move(why), std::move(redirect)};
}

// Each row changes a plain attempt (200, SUBSCRIBED, the master closed the
// stream) and names the outcome it must come to.
struct Row {
  const char* what;
  std::function<void(SubscribeAttempt*)> change;
  SubscribeOutcome outcome;
};

TEST(ClassifySubscribe, EachOutcomeAsATable) {
  const std::string kUrl = "https://m1:5050/api/v1/scheduler";
  const Status untrusted = Status::Error(StatusCode::kUntrusted, "self-signed certificate");
  const Status refused = Status::Error(StatusCode::kUnavailable, "connection refused");
  const std::vector<Row> rows = {
      {"the master closed a working subscription", [](SubscribeAttempt*) {},
       Is(Kind::kDisconnected, "the master closed the subscription")},
      {"the transport failed under it", [&](SubscribeAttempt* a) { a->end = refused; },
       Is(Kind::kDisconnected, "connection refused")},
      {"the stream could not be decoded",
       [&](SubscribeAttempt* a) {
         a->broken = "a record over 64 MiB";
         a->end = refused;
       },
       Is(Kind::kDisconnected, "a record over 64 MiB")},
      {"heartbeats stopped",
       [&](SubscribeAttempt* a) {
         a->silence = "no heartbeat for 75.0s";
         a->broken = "x";
       },
       Is(Kind::kDisconnected, "no heartbeat for 75.0s")},
      {"the client left for a new leader",
       [](SubscribeAttempt* a) {
         a->left = "m1 no longer leads";
         a->silence = "x";
       },
       Is(Kind::kDisconnected, "m1 no longer leads")},
      {"an ERROR event", [](SubscribeAttempt* a) { a->error_event = "Framework has been removed"; },
       Is(Kind::kFatal, "the master says: Framework has been removed")},
      {"the end before SUBSCRIBED", [](SubscribeAttempt* a) { a->subscribed = false; },
       Is(Kind::kFailed, "https://m1:5050 ended the subscription before SUBSCRIBED")},
      {"no answer to SUBSCRIBE",
       [](SubscribeAttempt* a) {
         a->subscribed = false;
         a->status = 0;
         a->silence = "no answer to SUBSCRIBE for 75.0s";
       },
       Is(Kind::kFailed, "https://m1:5050: no answer to SUBSCRIBE for 75.0s")},
      {"a redirect as Mesos sends it",
       [](SubscribeAttempt* a) {
         a->status = 307;
         a->location = "//m2:5050/master/api/v1/scheduler";
       },
       Is(Kind::kRedirected, "", "https://m2:5050/master/api/v1/scheduler")},
      {"a redirect to a path",
       [](SubscribeAttempt* a) {
         a->status = 307;
         a->location = "/api/v1/scheduler";
       },
       Is(Kind::kRedirected, "", "https://m1:5050/api/v1/scheduler")},
      {"a redirect without Location", [](SubscribeAttempt* a) { a->status = 307; },
       Is(Kind::kFailed, kUrl + " redirected without a Location")},
      {"bad credentials",
       [](SubscribeAttempt* a) {
         a->status = 401;
         a->body = "no";
       },
       Is(Kind::kFatal, "https://m1:5050 refused the framework (401): no")},
      {"not allowed", [](SubscribeAttempt* a) { a->status = 403; },
       Is(Kind::kFatal, "https://m1:5050 refused the framework (403): ")},
      {"a SUBSCRIBE the master cannot take",
       [](SubscribeAttempt* a) {
         a->status = 400;
         a->body = "Expecting 'framework_info' to be present";
       },
       Is(Kind::kFatal,
          "https://m1:5050 rejected SUBSCRIBE (400): Expecting 'framework_info' to be present")},
      {"a content type it cannot take", [](SubscribeAttempt* a) { a->status = 415; },
       Is(Kind::kFatal, "https://m1:5050 rejected SUBSCRIBE (415): ")},
      {"not the leader yet",
       [](SubscribeAttempt* a) {
         a->status = 503;
         a->body = "Not the leading master";
       },
       Is(Kind::kFailed, "https://m1:5050 answered 503: Not the leading master")},
      {"an answer without a body", [](SubscribeAttempt* a) { a->status = 500; },
       Is(Kind::kFailed, "https://m1:5050 answered 500")},
      {"no answer",
       [&](SubscribeAttempt* a) {
         a->status = 0;
         a->subscribed = false;
         a->end = refused;
       },
       Is(Kind::kFailed, "connection refused")},
      {"a certificate not trusted",
       [&](SubscribeAttempt* a) {
         a->status = 0;
         a->subscribed = false;
         a->end = untrusted;
       },
       Is(Kind::kFatal,
          "the TLS certificate of https://m1:5050 is not trusted: self-signed certificate; name "
          "the CA that signed it with --ca-file (or the spec's tls.ca_file), or skip "
          "verification with --insecure")},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    SubscribeAttempt attempt;
    attempt.url = kUrl;
    attempt.status = 200;
    attempt.subscribed = true;
    row.change(&attempt);
    EXPECT_EQ(ClassifySubscribe(attempt), row.outcome)
        << "got " << static_cast<int>(ClassifySubscribe(attempt).kind) << " "
        << ClassifySubscribe(attempt).why << ClassifySubscribe(attempt).redirect;
  }
}

TEST(ClassifySubscribe, BaseOfKeepsSchemeAndAuthority) {
  EXPECT_EQ(BaseOf("http://h:5050/api/v1/scheduler"), "http://h:5050");
  EXPECT_EQ(BaseOf("http://h:5050"), "http://h:5050");
  EXPECT_EQ(ResolveLocation("http://h:1/a", "https://other:2/b"), "https://other:2/b");
}

}  // namespace
}  // namespace mlaunch
