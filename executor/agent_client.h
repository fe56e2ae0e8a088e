// AgentClient: the executor's connection to its agent over the v1 Executor
// HTTP API (docs/mesos-protocol.md). Transport only: it subscribes, decodes
// the event stream and sends calls; what to send is the executor core's
// business. It speaks HTTPS when the link says so, and sends the agent's
// token, if any, as "Authorization: Bearer" with every request.
//
// Subscribe() POSTs a SUBSCRIBE call to `<base>/api/v1/executor` and keeps
// the response open as a stream: its body is RecordIO-framed protobuf
// Events, each handed to on_event in order. When the stream ends for any
// reason -- the agent closed it, the connection broke, SUBSCRIBE was answered
// with anything but 200, a record could not be decoded -- on_disconnected is
// called once with the reason; subscribing again is the caller's decision.
// Send() POSTs any other call; 202 means accepted, any other status is an
// error carrying the agent's own text.
//
// Thread-safety: Send() may be called from any thread. Callbacks run on the
// stream's thread, one at a time, and must not call Subscribe() or Stop().
// Stop() ends the current stream and returns once its callbacks are done.
#ifndef MLAUNCH_EXECUTOR_AGENT_CLIENT_H_
#define MLAUNCH_EXECUTOR_AGENT_CLIENT_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/http_client.h"
#include "common/status.h"
#include "executor/agent_config.h"
#include "mesos/v1/executor/executor.pb.h"

namespace mlaunch::executor {

class AgentClient {
 public:
  struct Callbacks {
    std::function<void(const mesos::v1::executor::Event& event)> on_event;
    std::function<void(const std::string& why)> on_disconnected;
  };

  // `options` are the requests'; the link's TLS settings replace theirs.
  AgentClient(HttpClient& http, const AgentLink& link, Callbacks callbacks,
              HttpClient::Options options = {});
  ~AgentClient();  // Stop()
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  // Opens a new subscription, ending any earlier one first (its
  // on_disconnected is not called). Returns at once.
  // REQUIRES: subscribe.type() == SUBSCRIBE
  void Subscribe(const mesos::v1::executor::Call& subscribe);

  // Sends one call; an error unless the agent answers 202.
  Status Send(const mesos::v1::executor::Call& call);

  // Ends the subscription without reporting it. Idempotent.
  void Stop();

  // "http://host:port/api/v1/executor" (https:// over TLS).
  const std::string& url() const { return url_; }

 private:
  struct Attempt;

  HttpClient& http_;
  std::string url_;
  HttpHeaders headers_;  // of every request
  Callbacks callbacks_;
  HttpClient::Options options_;

  std::mutex mutex_;
  std::shared_ptr<Attempt> current_;
  std::unique_ptr<HttpClient::Stream> stream_;
};

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_AGENT_CLIENT_H_
