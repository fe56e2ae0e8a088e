// HttpClient: how the project makes HTTP requests (an interface).
//
// Four operations. For the Mesos APIs: Post() sends one request and returns
// the whole response; OpenStream() POSTs and hands the response over piece
// by piece, as it arrives, for as long as the server keeps it open (the
// SUBSCRIBE event streams never end on their own). For artifacts and health
// checks: Get() returns the whole response like Post(); Download() GETs a
// body of any size into a sink without holding it in memory.
//
// Any status the server sends is a Response, not an error: 202, 307, 404 and
// 503 are for the caller to interpret. Redirects are not followed unless
// Options::follow_redirects asks for it, which only Get() and Download()
// honour (the master client handles 307 itself, from the Location header).
// Errors are transport failures only (cannot connect, TLS, timeout,
// connection dropped, a body over its limit), as values whose message names
// the method, the URL (without any credentials in it) and the cause;
// nothing throws.
//
// Two implementations, one per program (docs/architecture.md, "One HTTP
// client per program"): CurlHttpClient (curl_http_client.h) for mesos-launch
// and the cluster, BeastHttpClient (beast_http_client.h) for the static
// executor; tests may use a fake. Implementations are thread-safe: any
// thread may call any operation, and several may do so at once.
#ifndef MLAUNCH_COMMON_HTTP_CLIENT_H_
#define MLAUNCH_COMMON_HTTP_CLIENT_H_

#ifdef MLAUNCH_PURE_CORE
#error "a pure core does no I/O: the network stays in its program's run loop (docs/architecture.md)"
#endif

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/http_headers.h"
#include "common/status.h"

namespace mlaunch {

class HttpClient {
 public:
  struct Options {
    // Post(), Get(), Download(): the whole exchange; zero means no limit.
    // OpenStream(): unused, a stream has no deadline (its heartbeats are the
    // caller's business).
    std::chrono::milliseconds timeout = std::chrono::seconds(75);
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
    // Post(), Get(), Download(): a transfer during which no byte moves for
    // this long fails with kTimeout; zero means never. Checked about once a
    // second, so it may fire up to a second late.
    std::chrono::milliseconds stall_timeout{0};
    // HTTPS: servers are verified against the system's CAs, or against the
    // PEM bundle in `ca_file` when it is set. `insecure` skips verification
    // of the certificate and the host name (for self-signed test masters).
    std::string ca_file;
    bool insecure = false;
    // HTTP Basic authentication, sent with the first request, when
    // `username` is not empty.
    std::string username;
    std::string password;
    // Post(), Get(): a longer response body is an error rather than a
    // memory hog. Download(): the limit on a body it keeps (see there).
    std::size_t max_response_bytes = 64 * 1024 * 1024;
    // Get(), Download(): follow up to `max_redirects` 3xx responses with a
    // Location (to http or https only); the Response is the last one. Off by
    // default. Credentials are not sent on to another host.
    bool follow_redirects = false;
    int max_redirects = 5;
  };

  struct Response {
    int status = 0;
    HttpHeaders headers;  // of the final response (not of any 1xx)
    std::string body;
  };

  struct StreamCallbacks {
    // Once, when the response's status line and headers have arrived.
    // Returning false stops the stream.
    std::function<bool(int status, const HttpHeaders& headers)> on_headers;
    // For each piece of the body, in order, of any size (chunk boundaries
    // are not kept). Returning false stops the stream.
    std::function<bool(std::string_view bytes)> on_bytes;
    // Exactly once, last: ok when the server ended the body, kCancelled
    // after Cancel() or a callback returning false, the failure otherwise.
    std::function<void(const Status& status)> on_end;
  };

  // A response being streamed. The callbacks run on a thread of the stream's
  // own, one at a time and in order.
  class Stream {
   public:
    virtual ~Stream() = default;  // as Cancel(), then waits for on_end

    // Stops the stream now; on_end(kCancelled) follows within milliseconds,
    // unless the stream had already ended. Returns at once; callable from
    // any thread, a callback included, any number of times.
    virtual void Cancel() = 0;

    // Blocks until on_end has returned; the status it was given.
    // REQUIRES: not called from a callback of this stream.
    virtual Status Wait() = 0;
  };

  virtual ~HttpClient() = default;

  // POSTs `body` to `url` (http:// or https://) with `headers`, and returns
  // the response. Only the given headers are sent, besides Host,
  // Content-Length and Authorization (no Accept, Content-Type or Expect
  // unless given).
  virtual Result<Response> Post(const std::string& url, const HttpHeaders& headers,
                                std::string_view body, const Options& options) = 0;

  // GETs `url` with `headers` and returns the response, as Post() does.
  virtual Result<Response> Get(const std::string& url, const HttpHeaders& headers,
                               const Options& options) = 0;

  // GETs `url` and hands the body of a 2xx final response to `sink`, piece
  // by piece as it arrives (any sizes, in order), without keeping it; the
  // returned Response then has an empty body. The body of any other final
  // status is kept in Response::body instead (an error page, for the
  // caller's message), up to max_response_bytes. `sink` returning false
  // stops the transfer: the result is then a kCancelled error. A transfer
  // error after part of the body went to `sink` is an error too; the sink
  // knows how much it got.
  virtual Result<Response> Download(const std::string& url, const HttpHeaders& headers,
                                    const Options& options,
                                    const std::function<bool(std::string_view bytes)>& sink) = 0;

  // As Post(), but the response arrives through `callbacks` while it is
  // received. Always returns a Stream; failures, including a bad URL, arrive
  // through on_end.
  virtual std::unique_ptr<Stream> OpenStream(const std::string& url, const HttpHeaders& headers,
                                             std::string body, const Options& options,
                                             StreamCallbacks callbacks) = 0;
};

// `url` as it may appear in a message or a log: without any "user:password@"
// before its host. Other text is returned unchanged.
std::string RedactedUrl(const std::string& url);

// The end of an HttpClient::Stream, for its implementations: End() is called
// once, on the stream's own thread, with the stream's final status; it runs
// on_end, then releases every Wait(). Thread-safe.
class StreamEnding {
 public:
  void End(const HttpClient::StreamCallbacks& callbacks, Status status);
  // Blocks until End() has returned; the status it was given.
  Status Wait();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool ended_ = false;
  Status status_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_HTTP_CLIENT_H_
