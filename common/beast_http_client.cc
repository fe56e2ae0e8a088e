#include "common/beast_http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "common/base64.h"

namespace mlaunch {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Sink = std::function<bool(std::string_view bytes)>;

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::uint32_t kHeaderLimitBytes = 64 * 1024;

// Where a URL points.
struct Target {
  bool tls = false;
  std::string authority;  // as written ("10.0.0.5:5051", "[::1]:80"): the Host header
  asio::ip::address address;
  std::uint16_t port = 0;
  std::string path;  // "/..." with any query; never the fragment

  // "address:port" for messages, IPv6 in brackets.
  std::string Endpoint() const {
    const std::string host = address.to_string();
    return (address.is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
};

Result<Target> ParseTarget(const std::string& what, const std::string& url) {
  auto invalid = [&](const std::string& why) { return Status::InvalidData(what + ": " + why); };
  Target target;
  std::string_view rest(url);
  if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  } else if (rest.substr(0, 8) == "https://") {
    target.tls = true;
    rest.remove_prefix(8);
  } else {
    return invalid("only http:// and https:// URLs are supported");
  }
  const std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? "" : rest.substr(end);
  path = path.substr(0, path.find('#'));
  target.path = path.empty() || path[0] != '/' ? "/" + std::string(path) : std::string(path);
  if (authority.find('@') != std::string_view::npos) {
    return invalid("credentials in the URL are not supported (this client takes them as options)");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("an IPv6 address without its ']'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return invalid("unexpected text after the IPv6 address");
      port = after.substr(1);
    }
  } else if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.find(':') != std::string_view::npos) return invalid("an IPv6 address needs brackets");
  }
  boost::system::error_code ec;
  target.address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return invalid("'" + std::string(host) +
                   "' is not an IP address (this client takes addresses only, no names)");
  }
  target.authority = std::string(authority);
  if (port.empty()) {
    target.port = target.tls ? 443 : 80;
  } else {
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return invalid("the port is not a number");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return invalid("the port is out of range");
    target.port = static_cast<std::uint16_t>(value);
  }
  return target;
}

bool IsVerifyFailure(const beast::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

// Runs `ioc` until the one asynchronous operation `start` begins has
// completed (with its timer, if any); returns the operation's error.
template <typename Start>
beast::error_code RunOne(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

// One request and its response on a connection of its own, driven from the
// calling thread. Cancel() may be called from any thread.
class Exchange {
 public:
  Exchange(std::string what, Target target, const HttpClient::Options& options,
           std::optional<Clock::time_point> deadline)
      : what_(std::move(what)),
        target_(std::move(target)),
        options_(options),
        deadline_(deadline) {}

  // Connects (and shakes hands), then sends the request.
  Status Send(http::verb verb, const HttpHeaders& headers, std::string_view body,
              bool send_credentials) {
    if (Status connected = Connect(); !connected.ok()) return connected;
    http::request<http::string_body> request{verb, target_.path, 11};
    request.set(http::field::host, target_.authority);
    for (const HttpHeaders::Field& field : headers) request.insert(field.name, field.value);
    if (send_credentials && !options_.username.empty()) {
      request.set(http::field::authorization,
                  "Basic " + Base64Encode(options_.username + ":" + options_.password));
    }
    if (verb == http::verb::post) {
      request.body() = std::string(body);
      request.prepare_payload();
    }
    Arm(std::nullopt);
    return Check(WithStream([&](auto& stream) {
      return RunOne(ioc_, [&](auto handler) { http::async_write(stream, request, handler); });
    }));
  }

  // Reads up to the final response's headers, skipping any 1xx.
  Status ReadHeaders() {
    for (;;) {
      parser_.emplace();
      parser_->header_limit(kHeaderLimitBytes);
      // Limits are ours (max_response_bytes, or none for a stream). Not
      // boost::none: Boost 1.74's parser compares a Content-Length against
      // an empty limit as if it were exceeded.
      parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
      Arm(std::nullopt);
      Status read = Check(WithStream([&](auto& stream) {
        return RunOne(ioc_, [&](auto handler) {
          http::async_read_header(stream, buffer_, *parser_, handler);
        });
      }));
      if (!read.ok()) return read;
      const int status = static_cast<int>(parser_->get().result_int());
      if (status >= 200 || status == 101) return Status::Ok();
    }
  }

  int status() const { return static_cast<int>(parser_->get().result_int()); }

  HttpHeaders headers() const {
    HttpHeaders headers;
    for (const auto& field : parser_->get()) {
      headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    return headers;
  }

  // Reads the body piece by piece into `take`, each piece as soon as it has
  // arrived (read_some: a stream's events must not wait for a full buffer),
  // until it ends; `take` returning false stops it (kCancelled).
  Status ReadBody(const std::function<bool(std::string_view)>& take) {
    std::string chunk(kChunkBytes, '\0');
    while (!parser_->is_done()) {
      parser_->get().body().data = chunk.data();
      parser_->get().body().size = chunk.size();
      Arm(options_.stall_timeout.count() > 0
              ? std::optional<Clock::duration>(options_.stall_timeout)
              : std::nullopt);
      beast::error_code ec = WithStream([&](auto& stream) {
        return RunOne(
            ioc_, [&](auto handler) { http::async_read_some(stream, buffer_, *parser_, handler); });
      });
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t got = chunk.size() - parser_->get().body().size;
      if (got > 0 && !take(std::string_view(chunk.data(), got))) {
        Close();
        return Status::Error(StatusCode::kCancelled,
                             what_ + ": stopped by the receiver of the body");
      }
      if (Status read = Check(ec); !read.ok()) return read;
    }
    return Status::Ok();
  }

  // Ends the exchange from any thread: the operation under way fails.
  void Cancel() {
    cancelled_ = true;
    asio::post(ioc_, [this] { Close(); });
  }

  void Close() {
    beast::error_code ignored;
    plain_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    plain_.socket().close(ignored);
  }

  void KeepAlive() {
    beast::error_code ignored;
    plain_.socket().set_option(asio::socket_base::keep_alive(true), ignored);
  }

 private:
  Status Connect() {
    const auto connect_by = Clock::now() + options_.connect_timeout;
    plain_.expires_at(deadline_ ? std::min(*deadline_, connect_by) : connect_by);
    beast::error_code ec = RunOne(ioc_, [&](auto handler) {
      plain_.async_connect(tcp::endpoint(target_.address, target_.port), handler);
    });
    if (cancelled_) return Cancelled();
    if (ec == beast::error::timeout) {
      return Status::Error(StatusCode::kTimeout,
                           what_ + ": could not connect to " + target_.Endpoint() + " within " +
                               std::to_string(options_.connect_timeout.count()) + " ms");
    }
    if (ec) {
      return Status::Error(StatusCode::kUnavailable, what_ + ": cannot connect to " +
                                                         target_.Endpoint() + ": " + ec.message());
    }
    plain_.socket().set_option(tcp::no_delay(true), ec);
    if (!target_.tls) return Status::Ok();
    return Handshake();
  }

  Status Handshake() {
    tls_context_.emplace(asio::ssl::context::tls_client);
    beast::error_code ec;
    if (options_.insecure) {
      tls_context_->set_verify_mode(asio::ssl::verify_none);
    } else {
      tls_context_->set_verify_mode(asio::ssl::verify_peer);
      if (options_.ca_file.empty()) {
        tls_context_->set_default_verify_paths(ec);
      } else {
        tls_context_->load_verify_file(options_.ca_file, ec);
      }
      if (ec) {
        return Status::Error(StatusCode::kUntrusted,
                             what_ + ": cannot use the CA file " +
                                 (options_.ca_file.empty() ? "of this machine" : options_.ca_file) +
                                 " (" + ec.message() + ")");
      }
    }
    tls_.emplace(plain_, *tls_context_);
    if (!options_.insecure) {
      tls_->set_verify_callback(asio::ssl::host_name_verification(target_.address.to_string()));
    }
    Arm(std::nullopt);
    return Check(RunOne(ioc_, [&](auto handler) {
      tls_->async_handshake(asio::ssl::stream_base::client, handler);
    }));
  }

  // Calls `f` with the stream the exchange speaks over.
  template <typename F>
  beast::error_code WithStream(F f) {
    if (tls_) return f(*tls_);
    return f(plain_);
  }

  // The next operation's time limit: the exchange's deadline, or `idle`
  // from now when that is sooner.
  void Arm(std::optional<Clock::duration> idle) {
    std::optional<Clock::time_point> limit = deadline_;
    stalled_at_.reset();
    if (idle) {
      const auto by = Clock::now() + *idle;
      if (!limit || by < *limit) {
        limit = by;
        stalled_at_ = by;
      }
    }
    if (limit) {
      plain_.expires_at(*limit);
    } else {
      plain_.expires_never();
    }
  }

  // The connection ends here too: a Cancel() that came while no operation
  // ran posted a Close() that would only run at the next one, which never
  // comes, and the server would not see the client go.
  Status Cancelled() {
    Close();
    return Status::Error(StatusCode::kCancelled, what_ + ": cancelled");
  }

  Status Check(const beast::error_code& ec) {
    if (!ec) return cancelled_ ? Cancelled() : Status::Ok();
    if (cancelled_) return Cancelled();
    if (ec == beast::error::timeout) {
      if (stalled_at_) {
        return Status::Error(StatusCode::kTimeout,
                             what_ + ": no data received for " +
                                 std::to_string(options_.stall_timeout.count()) + " ms");
      }
      return Status::Error(StatusCode::kTimeout, what_ + ": no complete response within " +
                                                     std::to_string(options_.timeout.count()) +
                                                     " ms");
    }
    if (IsVerifyFailure(ec)) {
      return Status::Error(StatusCode::kUntrusted,
                           what_ + ": the server's TLS certificate could not be verified against " +
                               (options_.ca_file.empty() ? std::string("the system's CAs")
                                                         : "the CAs in " + options_.ca_file) +
                               " (" + ec.message() + ")");
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::error::eof) {
      return Status::Error(StatusCode::kUnavailable,
                           what_ + ": the server closed the connection before the response ended");
    }
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
      return Status::InvalidData(what_ + ": the server's response is not valid HTTP (" +
                                 ec.message() + ")");
    }
    return Status::Error(StatusCode::kUnavailable, what_ + ": " + ec.message());
  }

  const std::string what_;
  const Target target_;
  const HttpClient::Options options_;
  const std::optional<Clock::time_point> deadline_;

  asio::io_context ioc_;
  beast::tcp_stream plain_{ioc_};
  std::optional<asio::ssl::context> tls_context_;
  std::optional<beast::ssl_stream<beast::tcp_stream&>> tls_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  std::optional<Clock::time_point> stalled_at_;  // set when an idle limit is the sooner
  std::atomic<bool> cancelled_{false};
};

// `location` (absolute, or a path on the same server) against `from`.
std::optional<std::string> Resolve(const std::string& from, const std::string& location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  if (location.empty() || location[0] != '/' || location.rfind("//", 0) == 0) return std::nullopt;
  const std::size_t host = from.find("://") + 3;
  return from.substr(0, from.find('/', host)) + location;
}

bool SameServer(const Target& a, const Target& b) {
  return a.tls == b.tls && a.address == b.address && a.port == b.port;
}

// Post(), Get() and Download(): one request, following redirects when asked.
Result<HttpClient::Response> Transfer(http::verb verb, const std::string& url,
                                      const HttpHeaders& headers, std::string_view body,
                                      const HttpClient::Options& options, const Sink* sink) {
  const std::string method = verb == http::verb::post ? "POST" : "GET";
  const std::string what = method + " " + RedactedUrl(url);
  std::optional<Clock::time_point> deadline;
  if (options.timeout.count() > 0) deadline = Clock::now() + options.timeout;
  Result<Target> first = ParseTarget(what, url);
  if (!first.ok()) return first.status();

  std::string current = url;
  Target target = first.value();
  bool credentials = true;
  for (int redirects = 0;; ++redirects) {
    const std::string step = method + " " + RedactedUrl(current);
    Exchange exchange(step, target, options, deadline);
    if (Status sent = exchange.Send(verb, headers, body, credentials); !sent.ok()) return sent;
    if (Status read = exchange.ReadHeaders(); !read.ok()) return read;
    HttpClient::Response response;
    response.status = exchange.status();
    response.headers = exchange.headers();
    const std::optional<std::string> location = response.headers.Get("Location");
    const bool follow = verb == http::verb::get && options.follow_redirects &&
                        response.status >= 300 && response.status < 400 && location;
    if (follow) {
      if (redirects >= options.max_redirects) {
        return Status::Error(
            StatusCode::kUnavailable,
            what + ": gave up after " + std::to_string(options.max_redirects) + " redirects");
      }
      std::optional<std::string> next = Resolve(current, *location);
      if (!next) {
        return Status::InvalidData(what + ": cannot follow the redirect to '" +
                                   RedactedUrl(*location) + "'");
      }
      Result<Target> next_target = ParseTarget(what + " (redirected)", *next);
      if (!next_target.ok()) return next_target.status();
      credentials = credentials && SameServer(target, next_target.value());
      target = next_target.value();
      current = *next;
      continue;
    }
    const bool to_sink = sink != nullptr && response.status >= 200 && response.status < 300;
    bool too_big = false;
    Status read = exchange.ReadBody([&](std::string_view bytes) {
      if (to_sink) return (*sink)(bytes);
      if (response.body.size() + bytes.size() > options.max_response_bytes) {
        too_big = true;
        return false;
      }
      response.body.append(bytes);
      return true;
    });
    if (too_big) {
      return Status::InvalidData(step + ": response body exceeds " +
                                 std::to_string(options.max_response_bytes) + " bytes");
    }
    if (!read.ok()) return read;
    return response;
  }
}

// OpenStream(): the exchange on a thread of its own.
class BeastStream : public HttpClient::Stream {
 public:
  BeastStream(const std::string& url, HttpHeaders headers, std::string body,
              const HttpClient::Options& options, HttpClient::StreamCallbacks callbacks)
      : url_(url),
        headers_(std::move(headers)),
        body_(std::move(body)),
        options_(options),
        callbacks_(std::move(callbacks)),
        target_(ParseTarget("POST " + RedactedUrl(url), url)) {
    if (target_.ok()) {
      exchange_.emplace("POST " + RedactedUrl(url_), target_.value(), options_, std::nullopt);
    }
    thread_ = std::thread([this] { Run(); });
  }

  ~BeastStream() override {
    Cancel();
    thread_.join();
  }

  void Cancel() override {
    if (exchange_) exchange_->Cancel();
  }

  Status Wait() override { return ending_.Wait(); }

 private:
  void Run() {
    Status status = target_.ok() ? Converse() : target_.status();
    if (status.code() == StatusCode::kCancelled) {
      status =
          Status::Error(StatusCode::kCancelled, "POST " + RedactedUrl(url_) + ": stream cancelled");
    }
    ending_.End(callbacks_, std::move(status));
  }

  Status Converse() {
    if (Status sent = exchange_->Send(http::verb::post, headers_, body_, true); !sent.ok()) {
      return sent;
    }
    exchange_->KeepAlive();
    if (Status read = exchange_->ReadHeaders(); !read.ok()) return read;
    if (callbacks_.on_headers &&
        !callbacks_.on_headers(exchange_->status(), exchange_->headers())) {
      return Status::Error(StatusCode::kCancelled, "stopped by the receiver");
    }
    return exchange_->ReadBody([this](std::string_view bytes) {
      return !callbacks_.on_bytes || callbacks_.on_bytes(bytes);
    });
  }

  const std::string url_;
  const HttpHeaders headers_;
  const std::string body_;
  const HttpClient::Options options_;
  HttpClient::StreamCallbacks callbacks_;
  const Result<Target> target_;
  std::optional<Exchange> exchange_;

  StreamEnding ending_;

  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace

Result<HttpClient::Response> BeastHttpClient::Post(const std::string& url,
                                                   const HttpHeaders& headers,
                                                   std::string_view body, const Options& options) {
  return Transfer(http::verb::post, url, headers, body, options, nullptr);
}

Result<HttpClient::Response> BeastHttpClient::Get(const std::string& url,
                                                  const HttpHeaders& headers,
                                                  const Options& options) {
  return Transfer(http::verb::get, url, headers, {}, options, nullptr);
}

Result<HttpClient::Response> BeastHttpClient::Download(const std::string& url,
                                                       const HttpHeaders& headers,
                                                       const Options& options, const Sink& sink) {
  return Transfer(http::verb::get, url, headers, {}, options, &sink);
}

std::unique_ptr<HttpClient::Stream> BeastHttpClient::OpenStream(const std::string& url,
                                                                const HttpHeaders& headers,
                                                                std::string body,
                                                                const Options& options,
                                                                StreamCallbacks callbacks) {
  return std::make_unique<BeastStream>(url, headers, std::move(body), options,
                                       std::move(callbacks));
}

}  // namespace mlaunch
