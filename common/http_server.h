// HttpServer: the project's one HTTP/1.1 server, a thin wrapper over
// Boost.Beast. The embedded cluster serves the Mesos v1 APIs with it and the
// executor's built-in services serve their payloads with it.
//
// The server listens on one address and port (port 0 picks a free one; port()
// tells which) and calls one Handler for every request, on one of a few
// server threads; handlers for different connections may run at the same
// time, so a Handler must be thread-safe. A Handler returns either a whole
// response, sent with Content-Length, or a response carrying a ResponseStream,
// sent with chunked transfer encoding for as long as the stream stays open:
// Mesos event streams never end on their own. Connections are kept alive
// between whole responses; a streamed response ends its connection.
//
// Limits, all in Options: request headers (431 when exceeded), request body
// (413), open connections, and `idle_timeout`, the time a connection may
// take to deliver a whole request (headers and body), counted from when the
// server starts waiting for it: idle and slow clients alike are closed when
// it runs out, however steadily they dribble bytes. At the connection limit
// a new connection makes room by closing the one that has waited longest
// for a request (idle between requests, sending one slowly, or silent), so
// idle and slow clients cannot keep others out; only when every connection
// is busy (a handler running, a response being written or streamed) is the
// new one answered 503. Deadlines (a request's, a response's write, the TLS
// handshake's) are kept by a sweep that runs while connections are open, so
// a connection is closed up to a tenth of the shortest timeout (at most 1 s)
// after its time ran out. Start() and Stop() are called from one owning
// thread; Stop() closes every connection, ends every stream and joins the
// server threads.
// Errors (cannot bind, bad address) are values; no exception leaves here.
// Running out of file descriptors is survived: accepting is tried again
// every 100 ms, and Options::on_problem hears of it.
// A Handler that throws gets a 500 response, but should not throw.
//
// HTTPS: with `tls_cert_file` and `tls_key_file` set the server speaks only
// TLS (1.2 or later, OpenSSL through Boost.Asio), and url() says https://.
// The same limits hold; the TLS handshake must finish within
// `tls_handshake_timeout`. A client whose handshake fails (plain HTTP sent
// to the HTTPS port, a client that does not trust the certificate) loses
// its connection only, silently (its TLS library tells it why). Closing a
// connection does not wait for the client's close_notify.
#ifndef MLAUNCH_COMMON_HTTP_SERVER_H_
#define MLAUNCH_COMMON_HTTP_SERVER_H_

#ifdef MLAUNCH_PURE_CORE
#error "a pure core does no I/O: the network stays in its program's run loop (docs/architecture.md)"
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/http_headers.h"
#include "common/status.h"

namespace mlaunch {

template <typename Stream>
class HttpConnection;

// The body of a streamed response, written by its owner over time.
//
// A handler creates one, puts it in its Response and keeps a shared_ptr to
// it: each Write() becomes one HTTP chunk, Close() sends the final chunk. The
// stream ends for good when it is closed, when the client disconnects, when
// more than `max_buffered_bytes` wait unsent (a client too slow to keep up is
// dropped rather than buffered without bound), or when the server stops.
// Thread-safe: any thread may write, close or ask.
class ResponseStream {
 public:
  static constexpr std::size_t kDefaultMaxBufferedBytes = 64 * 1024 * 1024;

  explicit ResponseStream(std::size_t max_buffered_bytes = kDefaultMaxBufferedBytes)
      : max_buffered_bytes_(max_buffered_bytes) {}
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // Queues `bytes` as one chunk. Returns false, and sends nothing, once the
  // stream has ended or is closing. Empty writes are accepted and dropped
  // (an empty chunk would end the body).
  bool Write(std::string bytes);

  // Ends the response after the chunks already queued. Idempotent.
  void Close();

  // True once no more writes are accepted: after Close(), or when the stream
  // ended for any other reason.
  bool closed() const;

  // Calls `callback` once when the stream has ended: its final chunk was
  // sent, or the client went away, or the server stopped. Runs on a server
  // thread, or at once on the caller's thread if the stream already ended.
  // Only one callback is kept; a second call replaces the first. The
  // callback may call Write() and closed(), but must not block on the server.
  void OnEnd(std::function<void()> callback);

 private:
  template <typename Stream>
  friend class HttpConnection;

  // What follows the chunks handed over by TakeQueued().
  enum class Next { kMore, kFinalChunk, kAbort };

  // The connection's side. Attach() registers how to wake the connection
  // when there is something to send; TakeQueued() hands over the queued
  // chunks and says what follows them; Detach() ends the stream for good.
  void Attach(std::function<void()> wake);
  std::deque<std::string> TakeQueued(Next* next);
  void Detach();
  void WakeLocked();  // REQUIRES: mutex_ held

  const std::size_t max_buffered_bytes_;
  mutable std::mutex mutex_;
  std::deque<std::string> queued_;
  std::size_t queued_bytes_ = 0;
  bool closing_ = false;     // Close() was called
  bool overflowed_ = false;  // the client fell too far behind
  bool ended_ = false;       // Detach() was called
  bool wake_pending_ = false;
  std::function<void()> wake_;
  std::function<void()> on_end_;
};

class HttpServer {
 public:
  struct Request {
    std::string method;  // "POST"
    std::string target;  // as sent: path plus any "?query"
    HttpHeaders headers;
    std::string body;
    std::string peer;  // the client's "ip:port"

    // The target without its query string.
    std::string_view path() const;
  };

  class Prepared;

  // A body read from an open file while it is sent: `length` bytes from
  // `offset`, in pieces of kPieceBytes, so a response costs one piece of
  // memory whatever the file's size. Owns the descriptor. If the file
  // shrinks meanwhile, the connection is closed (the client sees a short
  // body, never other bytes).
  struct FileSlice {
    static constexpr std::size_t kPieceBytes = 64 * 1024;
    FileSlice(int open_fd, std::uint64_t first, std::uint64_t bytes)
        : fd(open_fd), offset(first), length(bytes) {}
    ~FileSlice();
    FileSlice(const FileSlice&) = delete;
    FileSlice& operator=(const FileSlice&) = delete;
    const int fd;
    const std::uint64_t offset;
    const std::uint64_t length;
  };

  // To a HEAD request the server sends the headers without the body, with
  // the Content-Length the GET would have: the handler's own Content-Length
  // header if it set one (it may then leave the body empty), else the size
  // of the body (or file slice) it returned; a file is not read.
  struct Response {
    int status = 200;
    HttpHeaders headers;  // Content-Length and Date are added when missing
    std::string body;     // ignored when `stream`, `prepared` or `file` is set
    std::shared_ptr<ResponseStream> stream;
    // When set, this is the response, and the fields above are ignored.
    std::shared_ptr<const Prepared> prepared;
    // When set, the body is this slice of a file.
    std::shared_ptr<const FileSlice> file;

    // A whole response with a plain-text body.
    static Response Text(int status, std::string text);
    // A whole response with no body.
    static Response Empty(int status);
  };

  // A whole response serialized once, for a handler that answers many
  // requests with the same bytes (a payload). Returned in
  // Response::prepared, it is written as it stands, straight from its own
  // buffers: per request only the Date header is added (unless the response
  // has its own) and, when the connection is to end, "Connection: close".
  // A HEAD request gets its headers without its body. An HTTP/1.0 request is
  // answered from the Response it was made from, the slow way. Immutable
  // once made, so any number of connections may share one.
  class Prepared {
   public:
    // REQUIRES: `response.stream` and `response.prepared` are not set.
    explicit Prepared(Response response);

   private:
    template <typename Stream>
    friend class HttpConnection;

    Response response_;
    // The status line and headers with Content-Length, but without the
    // blank line that ends them (or Date, when the response had none).
    std::string head_;
    bool has_date_ = false;
    bool closes_ = false;  // the response says "Connection: close"
  };

  using Handler = std::function<Response(const Request&)>;

  struct Options {
    std::string address = "127.0.0.1";  // an IP address, not a host name
    std::uint16_t port = 0;             // 0: any free port
    // Server threads, each with its own event loop; a connection stays on
    // the one it was dealt when accepted.
    int threads = 2;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    std::size_t max_connections = 256;
    // Called on a server thread, no lock held, each time a connection is
    // refused (503) because every one of `max_connections` is busy: so the
    // owner can say which limit was reached. Must not block.
    std::function<void()> on_refused;
    // Called on a server thread, no lock held, when the server cannot take
    // connections: accept() fails (out of file descriptors, say: the server
    // tries again every 100 ms, and calls this once when the failures start
    // and once when accepting works again), or a connection cannot be set
    // up (out of memory; that client is dropped). The text names the
    // address and the cause. Unset: a line on stderr. Must not block.
    std::function<void(const std::string& problem)> on_problem;
    // Also the deadline of each request, see above.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
    // HTTPS when both are set: a PEM certificate chain (the server's
    // certificate first) and its PEM private key (unencrypted).
    std::string tls_cert_file;
    std::string tls_key_file;
    std::chrono::milliseconds tls_handshake_timeout = std::chrono::seconds(10);
  };

  // Binds, listens and starts serving. Fails when the address is not an IP
  // address or the port cannot be bound; the message names both. With TLS,
  // also when only one of the two files is given, or a file cannot be read
  // or used (the message names the file and OpenSSL's reason), or the key
  // does not belong to the certificate.
  static Result<std::unique_ptr<HttpServer>> Start(Options options, Handler handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Stop(); NOLINT(bugprone-exception-escape): see http_server.cc

  // Closes the listening socket and every connection, ends every stream and
  // joins the server threads. Idempotent.
  // REQUIRES: not called from a Handler or an OnEnd callback.
  void Stop();

  const std::string& address() const;
  std::uint16_t port() const;
  // "http://ADDRESS:PORT", or "https://..." with TLS (IPv6 addresses in
  // brackets).
  std::string url() const;

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_HTTP_SERVER_H_
