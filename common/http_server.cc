#include "common/http_server.h"

#include <unistd.h>

// clang-format off
// Boost 1.74's asio uses std::exchange without including <utility>; under
// GCC 12 in C++20 that fails unless <utility> comes first.
#include <utility>
// clang-format on

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <iostream>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace mlaunch {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// ---------------------------------------------------------------------------
// ResponseStream

bool ResponseStream::Write(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_ || ended_) return false;
  if (bytes.empty()) return true;
  if (queued_bytes_ + bytes.size() > max_buffered_bytes_) {
    closing_ = true;
    overflowed_ = true;
    WakeLocked();
    return false;
  }
  queued_bytes_ += bytes.size();
  queued_.push_back(std::move(bytes));
  WakeLocked();
  return true;
}

void ResponseStream::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_ || ended_) return;
  closing_ = true;
  WakeLocked();
}

bool ResponseStream::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closing_ || ended_;
}

void ResponseStream::OnEnd(std::function<void()> callback) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!ended_) {
      on_end_ = std::move(callback);
      return;
    }
  }
  if (callback) callback();
}

void ResponseStream::WakeLocked() {
  // The wake function only posts work to the connection; calling it with
  // the mutex held is what keeps it from outliving the connection.
  if (wake_ && !wake_pending_) {
    wake_pending_ = true;
    wake_();
  }
}

void ResponseStream::Attach(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ended_) return;
  wake_ = std::move(wake);
  if (!queued_.empty() || closing_) WakeLocked();
}

std::deque<std::string> ResponseStream::TakeQueued(Next* next) {
  std::lock_guard<std::mutex> lock(mutex_);
  wake_pending_ = false;
  if (overflowed_) {
    *next = Next::kAbort;
    return {};
  }
  *next = closing_ ? Next::kFinalChunk : Next::kMore;
  queued_bytes_ = 0;
  return std::exchange(queued_, {});
}

void ResponseStream::Detach() {
  std::function<void()> on_end;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) return;
    ended_ = true;
    closing_ = true;
    wake_ = nullptr;
    queued_.clear();
    queued_bytes_ = 0;
    on_end = std::move(on_end_);
  }
  if (on_end) on_end();
}

// ---------------------------------------------------------------------------
// HttpServer::Request / Response

std::string_view HttpServer::Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

HttpServer::Response HttpServer::Response::Text(int status, std::string text) {
  Response r;
  r.status = status;
  r.headers.Add("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(text);
  return r;
}

HttpServer::Response HttpServer::Response::Empty(int status) {
  Response r;
  r.status = status;
  return r;
}

namespace {

// RFC 9110 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; formatted once
// a second per thread (gmtime_r takes glibc's time zone lock).
const std::string& HttpDate() {
  thread_local std::time_t formatted_second = -1;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[64];
    const std::size_t length =
        std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    text.assign(buffer, length);
    formatted_second = now;
  }
  return text;
}

std::string EndpointText(const tcp::endpoint& endpoint) {
  const std::string ip = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + ip + "]:" + port : ip + ":" + port;
}

// Copies the handler's status and headers into a Beast response, adding the
// Date header when the handler did not set one.
template <typename Body>
void FillHead(const HttpServer::Response& from, unsigned version, http::response<Body>* to) {
  to->version(version);
  const bool valid = from.status >= 100 && from.status <= 999;
  to->result(valid ? static_cast<unsigned>(from.status) : 500u);
  for (const HttpHeaders::Field& field : from.headers) {
    to->insert(field.name, field.value);
  }
  if (!from.headers.Has("Date")) to->set(http::field::date, HttpDate());
}

// A Beast body that reads a FileSlice with pread(), one piece per get():
// the serializer holds one piece at a time.
struct FileSliceBody {
  using value_type = std::shared_ptr<const HttpServer::FileSlice>;

  static std::uint64_t size(const value_type& slice) { return slice ? slice->length : 0; }

  class writer {
   public:
    using const_buffers_type = net::const_buffer;

    template <bool isRequest, class Fields>
    writer(http::header<isRequest, Fields>&, const value_type& slice) : slice_(slice) {}

    void init(beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (!slice_ || sent_ >= slice_->length) return boost::none;
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(piece_.size(), slice_->length - sent_));
      const ssize_t got =
          pread(slice_->fd, piece_.data(), want, static_cast<off_t>(slice_->offset + sent_));
      if (got <= 0) {  // an error, or the file shrank: end the connection
        ec = got < 0 ? beast::error_code(errno, beast::system_category())
                     : beast::error_code(http::error::partial_message);
        return boost::none;
      }
      sent_ += static_cast<std::uint64_t>(got);
      return std::make_pair(net::const_buffer(piece_.data(), static_cast<std::size_t>(got)),
                            sent_ < slice_->length);
    }

   private:
    value_type slice_;
    std::uint64_t sent_ = 0;
    std::vector<char> piece_ = std::vector<char>(HttpServer::FileSlice::kPieceBytes);
  };
};

bool SaysClose(const HttpHeaders& headers) {
  std::optional<std::string> connection = headers.Get("Connection");
  return connection && EqualsIgnoringCase(*connection, "close");
}

}  // namespace

HttpServer::FileSlice::~FileSlice() {
  if (fd >= 0) ::close(fd);
}

HttpServer::Prepared::Prepared(Response response)
    : response_(std::move(response)),
      has_date_(response_.headers.Has("Date")),
      closes_(SaysClose(response_.headers)) {
  http::response<http::string_body> message;
  FillHead(response_, 11, &message);
  if (!has_date_) message.erase(http::field::date);  // added per request
  message.body() = response_.body;
  message.prepare_payload();
  std::ostringstream text;
  text << message.base();
  head_ = std::move(text).str();
  head_.resize(head_.size() - 2);  // the blank line, also added per request
}

// ---------------------------------------------------------------------------
// HttpServerConnection: what the server knows of a connection, whatever its
// stream type.

class HttpServerConnection {
 public:
  virtual ~HttpServerConnection() = default;
  virtual net::any_io_executor executor() = 0;
  // Serves requests, or turns the client away when over the limit.
  virtual void Begin() = 0;
  // Closes the socket now and ends the stream, if any.
  virtual void Shutdown() = 0;
  // Closes the connection if its deadline has passed.
  virtual void Expire() = 0;
};

namespace {

// Steady-clock ticks of `when`, never 0 (0 means "not waiting" and "no
// deadline" below).
std::int64_t Ticks(std::chrono::steady_clock::time_point when = std::chrono::steady_clock::now()) {
  return std::max<std::int64_t>(1, when.time_since_epoch().count());
}

}  // namespace

// What the server keeps of one open connection. Entries live in a node-based
// map, so a connection may keep a pointer to its own entry: it is erased only
// by that connection's destructor.
struct ConnectionEntry {
  // Locked only with the server's mutex released: the locked shared_ptr may
  // turn out to be the last owner, and the connection's destructor takes the
  // mutex.
  std::weak_ptr<HttpServerConnection> connection;
  // Since when (Ticks()) the connection has waited for a request to
  // arrive whole: in its TLS handshake, idle between requests, or reading a
  // slow one; 0 while it is busy (a handler running, a response being
  // written or streamed, an error response lingering). Written by the
  // connection on its thread, read by the acceptor: a hint, not a guard.
  std::atomic<std::int64_t> waiting_since{0};
  // When (Ticks()) the connection's current wait runs out: its handshake, a
  // request, a response's write, the linger after an error; 0 when it has
  // none (a handler running, a stream open). Written by the connection on
  // its thread; the server's sweep reads it and asks the connection, on
  // that thread, to close if it has passed.
  std::atomic<std::int64_t> deadline{0};
  // Counted against the limit. Guarded by the server's mutex.
  bool admitted = false;
  // Chosen to make room for a newer connection; closing. Guarded by the
  // server's mutex.
  bool evicted = false;
};

// State shared by the server and its connections, which may outlive the
// server's Stop() by the time their last handlers run.
//
// No destructor runs under `mutex`: a connection's destructor takes it, so
// the code holding it never owns a connection that could be released there
// (it copies weak_ptrs out and locks them after unlocking).
struct HttpServerShared {
  HttpServer::Options options;
  HttpServer::Handler handler;
  std::unique_ptr<net::ssl::context> tls;  // set when serving HTTPS

  std::mutex mutex;
  bool stopping = false;
  std::uint64_t next_id = 0;
  std::size_t admitted = 0;  // connections counted against the limit
  std::unordered_map<std::uint64_t, ConnectionEntry> connections;
};

// HttpConnection: one accepted socket, over plain TCP or TLS
// (beast::ssl_stream). Everything it does runs on the one thread of its
// io_context, so its members need no lock. Its deadlines are kept in its
// entry and enforced by the server's sweep rather than by a timer armed
// around every read and write (beast::tcp_stream's way, a cost on every
// request).

// A socket bound to its io_context's own executor type rather than the
// type-erased any_io_executor: every operation on it dispatches without the
// indirection.
using Socket = net::basic_stream_socket<tcp, net::io_context::executor_type>;
using PlainStream = Socket;
using TlsStream = beast::ssl_stream<Socket>;

// Why the request's framing cannot be trusted (RFC 9112 sections 3.2 and
// 6.3), or "": a Transfer-Encoding whose last coding is not chunked (Beast
// would read the body as the next request: request smuggling), or an
// HTTP/1.1 request without exactly one Host. (Beast's parser itself refuses
// two Transfer-Encodings, or one with a Content-Length.) Such a request is
// answered 400 and its connection closed.
namespace {

std::string FramingProblem(const http::request<http::string_body>& message) {
  if (message.version() >= 11 && message.count(http::field::host) != 1) {
    return "an HTTP/1.1 request needs exactly one Host header";
  }
  if (message.count(http::field::transfer_encoding) > 0 && !message.chunked()) {
    return "a Transfer-Encoding must end in chunked";
  }
  return "";
}

}  // namespace

template <typename Stream>
class HttpConnection : public HttpServerConnection,
                       public std::enable_shared_from_this<HttpConnection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `stream_args` construct the stream: the socket, and for TLS the context.
  // `entry` is the connection's own entry in `shared->connections`.
  template <typename... StreamArgs>
  HttpConnection(std::shared_ptr<HttpServerShared> shared, std::uint64_t id, ConnectionEntry* entry,
                 StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        shared_(std::move(shared)),
        id_(id),
        entry_(entry),
        admitted_(entry->admitted) {
    beast::error_code ec;
    tcp::endpoint remote = Lowest().remote_endpoint(ec);
    if (!ec) peer_ = EndpointText(remote);
    // Each response and chunk leaves in one write; Nagle's algorithm would
    // only hold small ones back behind the client's delayed ACK.
    Lowest().set_option(tcp::no_delay(true), ec);
  }

  ~HttpConnection() override {
    if (body_stream_) body_stream_->Detach();
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->connections.erase(id_);
    if (admitted_) --shared_->admitted;
  }

  net::any_io_executor executor() override { return stream_.get_executor(); }

  void Begin() override {
    if constexpr (kTls) {
      SetDeadline(shared_->options.tls_handshake_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (self->closed_) return;
                                // A client that fails the handshake learns why from its TLS
                                // alert; the server just lets it go.
                                if (ec) return self->Close();
                                self->Serve();
                              });
    } else {
      Serve();
    }
  }

  void Shutdown() override {
    if (body_stream_) body_stream_->Detach();
    Close();
  }

  void Expire() override {
    const std::int64_t deadline = entry_->deadline.load(std::memory_order_relaxed);
    if (deadline != 0 && deadline <= Ticks()) Close();
  }

 private:
  Socket& Lowest() { return beast::get_lowest_layer(stream_); }

  void SetDeadline(std::chrono::steady_clock::duration after) {
    entry_->deadline.store(Ticks(std::chrono::steady_clock::now() + after),
                           std::memory_order_relaxed);
  }
  void ClearDeadline() { entry_->deadline.store(0, std::memory_order_relaxed); }

  void Serve() {
    if (admitted_) {
      DoRead();
    } else {
      SendError(http::status::service_unavailable,
                "this server holds its limit of " +
                    std::to_string(shared_->options.max_connections) +
                    " connections, all busy; try again later\n");
    }
  }

  void DoRead() {
    if (closed_) return;
    parser_.emplace();
    line_ended_ = false;
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->eager(true);  // the body in the same pass as the headers
    // One deadline for the whole request, headers and body: a client that
    // dribbles its bytes is closed when it runs out, however steady.
    SetDeadline(shared_->options.idle_timeout);
    entry_->waiting_since.store(Ticks(), std::memory_order_relaxed);
    ParseOrRead();
  }

  // Feeds the parser what is buffered (a pipelined request's bytes come
  // first) and reads more while the request is not whole. This is what
  // http::async_read does, but without its two layers of composed
  // operations, which cost more per request than the parse itself.
  void ParseOrRead() {
    while (!parser_->is_done()) {
      if (buffer_.size() == 0) return ReadSome();
      if (!line_ended_) {
        // The request's bytes start here until the parser takes its line.
        const std::string_view read(static_cast<const char*>(buffer_.data().data()),
                                    buffer_.data().size());
        line_ended_ = read.find("\r\n") != std::string_view::npos;
      }
      beast::error_code ec;
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more || (!ec && used == 0)) return ReadSome();
      if (ec) return OnRead(ec);
    }
    OnRead({});
  }

  void ReadSome() {
    const std::size_t size = beast::read_size(buffer_, 65536);
    if (size == 0) return OnRead(http::error::buffer_overflow);
    stream_.async_read_some(buffer_.prepare(size),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec == net::error::eof) {
                                // The client closed: the end of a request that has no length,
                                // a cut-off one, or (nothing begun) the connection's end.
                                if (!self->parser_->got_some()) {
                                  return self->OnRead(http::error::end_of_stream);
                                }
                                ec = {};
                                self->parser_->put_eof(ec);
                                return self->OnRead(ec);
                              }
                              if (ec) return self->OnRead(ec);
                              self->ParseOrRead();
                            });
  }

  void OnRead(beast::error_code ec) {
    entry_->waiting_since.store(0, std::memory_order_relaxed);
    ClearDeadline();  // a handler takes the time it takes
    if (closed_) return;
    if (ec == http::error::header_limit) {
      // The request line never ended: the target is what is too long
      // (RFC 9110 section 15.5.15).
      if (!line_ended_) {
        return SendError(http::status::uri_too_long,
                         "the request line exceeds " +
                             std::to_string(shared_->options.max_header_bytes) + " bytes\n");
      }
      return SendError(http::status::request_header_fields_too_large,
                       "request headers exceed " +
                           std::to_string(shared_->options.max_header_bytes) + " bytes\n");
    }
    if (ec == http::error::body_limit) {
      return SendError(
          http::status::payload_too_large,
          "request body exceeds " + std::to_string(shared_->options.max_body_bytes) + " bytes\n");
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted ||
        ec == net::error::bad_descriptor ||  // the socket already closed
        ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated) {
      return Close();
    }
    if (ec) {
      // Anything else the parser rejects is a malformed request.
      return SendError(http::status::bad_request, "malformed HTTP request: " + ec.message() + "\n");
    }

    if (std::string problem = FramingProblem(parser_->get()); !problem.empty()) {
      return SendError(http::status::bad_request, problem + "\n");
    }
    http::request<http::string_body> message = parser_->release();
    HttpServer::Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.peer = peer_;

    HttpServer::Response response;
    try {
      response = shared_->handler(request);
    } catch (const std::exception& e) {
      response = HttpServer::Response::Text(500, std::string("internal error: ") + e.what() + "\n");
    } catch (...) {
      response = HttpServer::Response::Text(500, "internal error\n");
    }

    if (response.stream) {
      StartStream(std::move(response), message.version());
    } else if (response.file && !response.prepared) {
      SendFile(std::move(response), message.version(), message.keep_alive(),
               message.method() == http::verb::head);
    } else if (response.prepared && message.version() == 11) {
      SendPrepared(std::move(response.prepared), message.keep_alive(),
                   message.method() == http::verb::head);
    } else if (response.prepared) {
      SendWhole(response.prepared->response_, message.version(), message.keep_alive(),
                message.method() == http::verb::head);
    } else {
      SendWhole(std::move(response), message.version(), message.keep_alive(),
                message.method() == http::verb::head);
    }
  }

  // `head`: the answer to a HEAD request, which carries the Content-Length
  // of the GET (the handler's own, else its body's size) and no body.
  void SendWhole(HttpServer::Response from, unsigned version, bool keep_alive, bool head) {
    auto message = std::make_shared<http::response<http::string_body>>();
    FillHead(from, version, message.get());
    if (SaysClose(from.headers)) keep_alive = false;
    message->keep_alive(keep_alive);
    if (head) {
      const std::string length =
          from.headers.Get("Content-Length").value_or(std::to_string(from.body.size()));
      message->set(http::field::content_length, length);
    } else {
      message->body() = std::move(from.body);
      message->prepare_payload();
    }
    SetDeadline(shared_->options.idle_timeout);
    http::async_write(
        stream_, *message,
        [self = this->shared_from_this(), message, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->Close();
          self->DoRead();
        });
  }

  // A body from a file, written piece by piece; each piece renews the
  // idle deadline, so a large file reaches a slow but steady client, and a
  // client that stops reading is dropped after idle_timeout. A HEAD request
  // gets the headers only; the file is not read.
  void SendFile(HttpServer::Response from, unsigned version, bool keep_alive, bool head) {
    std::shared_ptr<const HttpServer::FileSlice> slice = std::move(from.file);
    if (head) {
      from.headers.Set("Content-Length", std::to_string(slice->length));
      return SendWhole(std::move(from), version, keep_alive, /*head=*/true);
    }
    auto message = std::make_shared<http::response<FileSliceBody>>();
    FillHead(from, version, message.get());
    if (SaysClose(from.headers)) keep_alive = false;
    message->keep_alive(keep_alive);
    message->body() = std::move(slice);
    message->prepare_payload();
    auto serializer = std::make_shared<http::response_serializer<FileSliceBody>>(*message);
    WriteFilePiece(std::move(message), std::move(serializer), keep_alive);
  }

  void WriteFilePiece(std::shared_ptr<http::response<FileSliceBody>> message,
                      std::shared_ptr<http::response_serializer<FileSliceBody>> serializer,
                      bool keep_alive) {
    SetDeadline(shared_->options.idle_timeout);
    http::async_write_some(stream_, *serializer,
                           [self = this->shared_from_this(), message, serializer, keep_alive](
                               beast::error_code ec, std::size_t) mutable {
                             if (ec) return self->Close();
                             if (!serializer->is_done()) {
                               return self->WriteFilePiece(std::move(message),
                                                           std::move(serializer), keep_alive);
                             }
                             if (!keep_alive) return self->Close();
                             self->DoRead();
                           });
  }

  // An HTTP/1.1 answer from a Prepared response: its bytes as they are,
  // with this second's Date and the blank line after the headers.
  void SendPrepared(std::shared_ptr<const HttpServer::Prepared> prepared, bool keep_alive,
                    bool head) {
    static constexpr std::string_view kEnd = "\r\n";
    static constexpr std::string_view kCloseAndEnd = "Connection: close\r\n\r\n";
    if (prepared->closes_) keep_alive = false;
    date_line_.clear();
    if (!prepared->has_date_) date_line_.append("Date: ").append(HttpDate()).append("\r\n");
    const std::string_view end = keep_alive || prepared->closes_ ? kEnd : kCloseAndEnd;
    const std::string& body = prepared->response_.body;
    const std::array<net::const_buffer, 4> buffers{
        net::buffer(prepared->head_), net::buffer(date_line_), net::buffer(end.data(), end.size()),
        net::buffer(body.data(), head ? 0 : body.size())};
    SetDeadline(shared_->options.idle_timeout);
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this(), prepared = std::move(prepared), keep_alive](
                         beast::error_code ec, std::size_t) {
                       if (ec || !keep_alive) return self->Close();
                       self->DoRead();
                     });
  }

  // A response the server writes on its own (limits, malformed requests);
  // the connection closes after it.
  void SendError(http::status status, std::string text) {
    auto message = std::make_shared<http::response<http::string_body>>(status, 11);
    message->set(http::field::content_type, "text/plain; charset=utf-8");
    message->set(http::field::date, HttpDate());
    message->body() = std::move(text);
    message->keep_alive(false);
    message->prepare_payload();
    SetDeadline(shared_->options.idle_timeout);
    http::async_write(
        stream_, *message,
        [self = this->shared_from_this(), message](beast::error_code ec, std::size_t) {
          if (ec) return self->Close();
          self->LingerAndClose();
        });
  }

  // After an error response the client may still be sending the request we
  // refused. Closing with unread input would reset the connection and could
  // destroy the response before the client reads it, so stop sending, read
  // and drop what is left for a moment, then close.
  void LingerAndClose() {
    beast::error_code ignored;
    Lowest().shutdown(tcp::socket::shutdown_send, ignored);
    SetDeadline(std::chrono::seconds(1));
    DrainAndClose();
  }

  void DrainAndClose() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->closed_) return self->Close();
                              self->DrainAndClose();
                            });
  }

  void StartStream(HttpServer::Response from, unsigned version) {
    body_stream_ = std::move(from.stream);
    if (closed_) return body_stream_->Detach();
    auto message = std::make_shared<http::response<http::empty_body>>();
    FillHead(from, version, message.get());
    message->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*message);
    writing_ = true;
    ClearDeadline();
    http::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), message, serializer](beast::error_code ec, std::size_t) {
          self->writing_ = false;
          if (ec) return self->Shutdown();
          self->WatchPeer();
          std::weak_ptr<HttpConnection> weak = self;
          net::any_io_executor executor = self->executor();
          self->body_stream_->Attach([weak, executor] {
            net::post(executor, [weak] {
              if (auto connection = weak.lock()) connection->Pump();
            });
          });
          self->Pump();
        });
  }

  // While a stream is open the client sends nothing we answer; reading
  // still tells us at once when it goes away.
  void WatchPeer() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (self->closed_) return;
                              if (ec) return self->Shutdown();
                              self->WatchPeer();  // pipelined bytes: dropped
                            });
  }

  // Sends what the stream has queued, one chunk per Write().
  void Pump() {
    if (closed_ || writing_ || !body_stream_) return;
    if (outbox_.empty()) {
      ResponseStream::Next next;
      outbox_ = body_stream_->TakeQueued(&next);
      next_ = next;
    }
    if (next_ == ResponseStream::Next::kAbort) return Shutdown();
    if (!outbox_.empty()) {
      chunk_.emplace(
          http::make_chunk(net::const_buffer(outbox_.front().data(), outbox_.front().size())));
      writing_ = true;
      net::async_write(stream_, *chunk_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         self->writing_ = false;
                         self->chunk_.reset();
                         if (ec) return self->Shutdown();
                         self->outbox_.pop_front();
                         self->Pump();
                       });
      return;
    }
    if (next_ == ResponseStream::Next::kFinalChunk) {
      writing_ = true;
      net::async_write(stream_, http::make_chunk_last(),
                       [self = this->shared_from_this()](beast::error_code, std::size_t) {
                         self->writing_ = false;
                         // A stream uses up its connection (see the header).
                         beast::error_code ignored;
                         self->Lowest().shutdown(tcp::socket::shutdown_send, ignored);
                         self->Shutdown();
                       });
    }
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    ClearDeadline();
    beast::error_code ignored;
    Lowest().close(ignored);
  }

  Stream stream_;
  std::shared_ptr<HttpServerShared> shared_;
  const std::uint64_t id_;
  ConnectionEntry* const entry_;  // valid until the destructor erases it
  const bool admitted_;
  std::string peer_;
  beast::flat_buffer buffer_;
  bool line_ended_ = false;  // the current request's line has ended
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> scratch_{};
  bool closed_ = false;
  bool writing_ = false;
  std::string date_line_;  // of the Prepared response being written

  // Streamed responses.
  std::shared_ptr<ResponseStream> body_stream_;
  std::deque<std::string> outbox_;
  ResponseStream::Next next_ = ResponseStream::Next::kMore;
  std::optional<http::chunk_body<net::const_buffer>> chunk_;
};

// ---------------------------------------------------------------------------
// HttpServer

class HttpServer::Impl {
 public:
  // One io_context per server thread, each run by its thread alone: a
  // connection lives on one of them (dealt round-robin as accepted), so its
  // completions never hop between threads or contend for a shared queue,
  // and need no strand to run one at a time.
  explicit Impl(std::shared_ptr<HttpServerShared> shared)
      : shared_(std::move(shared)),
        contexts_(MakeContexts(std::max(1, shared_->options.threads))),
        accept_strand_(net::make_strand(*contexts_.front())),
        acceptor_(accept_strand_),
        retry_timer_(accept_strand_),
        sweep_timer_(accept_strand_) {
    for (const auto& context : contexts_) {
      work_.emplace_back(context->get_executor());
    }
  }

  Status Listen() {
    const Options& options = shared_->options;
    beast::error_code ec;
    net::ip::address ip = net::ip::make_address(options.address, ec);
    if (ec) {
      return Status::InvalidData("cannot listen on '" + options.address + "': not an IP address");
    }
    tcp::endpoint endpoint(ip, options.port);
    const std::string where = EndpointText(endpoint);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Error(StatusCode::kUnavailable,
                           "cannot listen on " + where + ": " + ec.message());
    }
    address_ = options.address;
    port_ = acceptor_.local_endpoint().port();
    where_ = EndpointText(acceptor_.local_endpoint());
    return Status::Ok();
  }

  void Run() {
    DoAccept();
    for (const auto& context : contexts_) {
      threads_.emplace_back([context = context.get()] {
        for (;;) {
          try {
            context->run();
            return;
          } catch (...) {
            // A handler let an exception out (out of memory, most likely);
            // the connection it belonged to is gone, the others go on.
          }
        }
      });
    }
  }

  void Stop() {
    if (threads_.empty()) return;
    std::vector<std::weak_ptr<HttpServerConnection>> open;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->stopping = true;
      for (auto& [id, entry] : shared_->connections) {
        open.push_back(entry.connection);
      }
    }
    net::post(accept_strand_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_timer_.cancel();
      sweep_timer_.cancel();
    });
    for (const std::weak_ptr<HttpServerConnection>& weak : open) {
      if (auto connection = weak.lock()) {
        net::post(connection->executor(), [connection] { connection->Shutdown(); });
      }
    }
    open.clear();
    work_.clear();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  const std::string& address() const { return address_; }
  std::uint16_t port() const { return port_; }
  bool tls() const { return shared_->tls != nullptr; }

 private:
  void DoAccept() {
    net::io_context& context = *contexts_[next_context_];
    next_context_ = (next_context_ + 1) % contexts_.size();
    acceptor_.async_accept(
        context.get_executor(),
        net::bind_executor(accept_strand_, [this](beast::error_code ec, Socket socket) {
          if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
          if (ec) {
            // Out of file descriptors, say: try again shortly rather than
            // spinning on the error, and say so once, not every time.
            if (accept_failures_++ == 0) {
              shared_->options.on_problem("cannot accept connections on " + where_ + ": " +
                                          ec.message() + "; trying again every 100 ms");
            }
            retry_timer_.expires_after(std::chrono::milliseconds(100));
            retry_timer_.async_wait([this](beast::error_code wait_ec) {
              if (!wait_ec) DoAccept();
            });
            return;
          }
          if (accept_failures_ > 0) {
            shared_->options.on_problem("accepting connections on " + where_ + " again, after " +
                                        std::to_string(accept_failures_) + " failed attempts");
            accept_failures_ = 0;
          }
          Admit(std::move(socket));
          if (!sweeping_) {
            sweeping_ = true;
            Sweep();
          }
          DoAccept();
        }));
  }

  // Declared before the lock is taken, `connection` and `victim` are
  // released only after it is: no connection's destructor runs under the
  // mutex.
  void Admit(Socket socket) {
    std::shared_ptr<HttpServerConnection> connection;
    std::weak_ptr<HttpServerConnection> victim;
    bool refused = false;
    std::string problem;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      if (shared_->stopping) return;  // the socket closes here
      const std::uint64_t id = shared_->next_id++;
      ConnectionEntry& entry = shared_->connections[id];
      entry.admitted =
          shared_->admitted < shared_->options.max_connections || ChooseVictimLocked(&victim);
      refused = !entry.admitted;
      if (entry.admitted) {
        ++shared_->admitted;
        entry.waiting_since.store(Ticks(), std::memory_order_relaxed);
      }
      try {
        if (shared_->tls) {
          connection = std::make_shared<HttpConnection<TlsStream>>(
              shared_, id, &entry, std::move(socket), *shared_->tls);
        } else {
          connection =
              std::make_shared<HttpConnection<PlainStream>>(shared_, id, &entry, std::move(socket));
        }
        entry.connection = connection;
      } catch (const std::exception& e) {
        // No memory, or OpenSSL could not make a session: this client is
        // dropped (the socket closed with the half-built connection).
        problem = "cannot take a connection on " + where_ + ": " + e.what();
        if (entry.admitted) --shared_->admitted;
        shared_->connections.erase(id);
      }
    }
    if (auto evicted = victim.lock()) {
      net::post(evicted->executor(), [evicted] { evicted->Shutdown(); });
    }
    if (!problem.empty()) shared_->options.on_problem(problem);
    if (refused && shared_->options.on_refused) shared_->options.on_refused();
    if (connection) {
      net::dispatch(connection->executor(), [connection] { connection->Begin(); });
    }
  }

  // Every SweepPeriod() while connections are open, closes those whose
  // deadline has passed (on their own threads: Expire() looks again there).
  // Runs on the accept strand; stops when the last connection is gone and
  // starts again with the next one accepted.
  void Sweep() {
    std::vector<std::weak_ptr<HttpServerConnection>> due;
    bool idle;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      const std::int64_t now = Ticks();
      for (auto& [id, entry] : shared_->connections) {
        const std::int64_t deadline = entry.deadline.load(std::memory_order_relaxed);
        if (deadline != 0 && deadline <= now) due.push_back(entry.connection);
      }
      idle = shared_->connections.empty() || shared_->stopping;
    }
    for (const std::weak_ptr<HttpServerConnection>& weak : due) {
      if (auto connection = weak.lock()) {
        net::post(connection->executor(), [connection] { connection->Expire(); });
      }
    }
    if (idle) {
      sweeping_ = false;
      return;
    }
    sweep_timer_.expires_after(SweepPeriod());
    sweep_timer_.async_wait([this](beast::error_code ec) {
      if (ec) {
        sweeping_ = false;
        return;
      }
      Sweep();
    });
  }

  // A tenth of the shortest timeout, from 1 ms to 1 s: how late a deadline
  // may be enforced.
  std::chrono::milliseconds SweepPeriod() const {
    const Options& options = shared_->options;
    std::chrono::milliseconds shortest = options.idle_timeout;
    if (shared_->tls) {
      shortest = std::min(shortest, options.tls_handshake_timeout);
    }
    return std::clamp(shortest / 10, std::chrono::milliseconds(1), std::chrono::milliseconds(1000));
  }

  // At the limit, room is made by closing the admitted connection that has
  // waited longest for a request (an idle keep-alive client, a slow or
  // silent one), so that such clients cannot keep others out; when every
  // admitted connection is busy there is no room (503). The victim is only
  // named here; the caller closes it once the mutex is released.
  // REQUIRES: shared_->mutex held.
  bool ChooseVictimLocked(std::weak_ptr<HttpServerConnection>* victim) {
    ConnectionEntry* oldest = nullptr;
    std::int64_t oldest_since = 0;
    for (auto& [id, entry] : shared_->connections) {
      if (!entry.admitted || entry.evicted) continue;
      const std::int64_t since = entry.waiting_since.load(std::memory_order_relaxed);
      if (since > 0 && (oldest == nullptr || since < oldest_since)) {
        oldest = &entry;
        oldest_since = since;
      }
    }
    if (oldest == nullptr) return false;
    oldest->evicted = true;
    *victim = oldest->connection;
    return true;
  }

  static std::vector<std::unique_ptr<net::io_context>> MakeContexts(int n) {
    std::vector<std::unique_ptr<net::io_context>> contexts;
    for (int i = 0; i < n; ++i) {
      contexts.push_back(std::make_unique<net::io_context>(1));
    }
    return contexts;
  }

  std::shared_ptr<HttpServerShared> shared_;
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  net::strand<net::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  net::steady_timer sweep_timer_;
  bool sweeping_ = false;         // the accept strand's
  std::size_t next_context_ = 0;  // the accept strand's
  int accept_failures_ = 0;       // the accept strand's: in a row, until one works
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::string address_;
  std::uint16_t port_ = 0;
  std::string where_;  // "ADDRESS:PORT", for messages
};

namespace {

// OpenSSL's reason for the last failure, e.g. "no start line".
std::string OpenSslReason(const beast::error_code& ec) {
  std::string reason = ec.message();
  return reason.empty() ? "unknown error" : reason;
}

// Whether `path` can be read; OpenSSL reports a missing or unreadable file
// as a bare "system library" error, so this names the cause first.
Status CheckReadable(const std::string& what, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::InvalidData("cannot read the TLS " + what + " file " + path + ": " +
                               std::strerror(errno));
  }
  std::fclose(file);
  return Status::Ok();
}

// The server's TLS context: TLS 1.2 or later, the certificate chain and the
// private key from their PEM files.
Result<std::unique_ptr<net::ssl::context>> MakeTlsContext(const HttpServer::Options& options) {
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return Status::InvalidData(
        "HTTPS needs both a certificate file and a private key file; "
        "only the " +
        std::string(options.tls_cert_file.empty() ? "key" : "certificate") + " file was given");
  }
  auto context = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  beast::error_code ec;
  context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                           net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use,
                       ec);
  if (ec) {
    return Status::Error(StatusCode::kInternal, "cannot set up TLS: " + OpenSslReason(ec));
  }
  if (Status readable = CheckReadable("certificate", options.tls_cert_file); !readable.ok()) {
    return readable;
  }
  if (Status readable = CheckReadable("private key", options.tls_key_file); !readable.ok()) {
    return readable;
  }
  context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    return Status::InvalidData("cannot use the TLS certificate file " + options.tls_cert_file +
                               ": " + OpenSslReason(ec));
  }
  context->use_private_key_file(options.tls_key_file, net::ssl::context::pem, ec);
  if (ec) {
    return Status::InvalidData("cannot use the TLS private key file " + options.tls_key_file +
                               ": " + OpenSslReason(ec));
  }
  return context;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(Options options, Handler handler) {
  auto shared = std::make_shared<HttpServerShared>();
  shared->options = std::move(options);
  if (!shared->options.on_problem) {
    shared->options.on_problem = [](const std::string& problem) {
      std::cerr << "HTTP server: " << problem << "\n";
    };
  }
  shared->handler = std::move(handler);
  if (!shared->options.tls_cert_file.empty() || !shared->options.tls_key_file.empty()) {
    Result<std::unique_ptr<net::ssl::context>> context = MakeTlsContext(shared->options);
    if (!context.ok()) return context.status();
    shared->tls = std::move(context.value());
  }
  auto impl = std::make_unique<Impl>(std::move(shared));
  try {
    if (Status status = impl->Listen(); !status.ok()) return status;
    impl->Run();
  } catch (const std::exception& e) {  // no threads or sockets to be had
    impl->Stop();
    return Status::Error(StatusCode::kInternal,
                         std::string("cannot start the HTTP server: ") + e.what());
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

// Only a failed lock or thread join throws in Stop(); in a destructor that
// ends the process (std::terminate), the right end for a process in that
// state.
HttpServer::~HttpServer() { Stop(); }  // NOLINT(bugprone-exception-escape)

void HttpServer::Stop() { impl_->Stop(); }

const std::string& HttpServer::address() const { return impl_->address(); }

std::uint16_t HttpServer::port() const { return impl_->port(); }

std::string HttpServer::url() const {
  const std::string& a = impl_->address();
  const bool v6 = a.find(':') != std::string::npos;
  const bool tls = impl_->tls();
  return (tls ? "https://" : "http://") + (v6 ? "[" + a + "]" : a) + ":" +
         std::to_string(impl_->port());
}

}  // namespace mlaunch
