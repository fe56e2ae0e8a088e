// HTTPS: HttpServer with a certificate, reached by both HTTP clients
// (CurlHttpClient, BeastHttpClient: the TlsClient suites) and by a bare Boost.Asio TLS client and
// raw TCP sockets (to misbehave). The certificates come from a throwaway CA made with the openssl
// tool (tests/fakes/test_certificates.h). Waits are bounded; nothing sleeps.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

// clang-format off
#include <utility>  // before asio: Boost 1.74's asio needs it first under GCC 12, C++20
// clang-format on

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/curl_http_client.h"
#include "common/http_server.h"
#include "tests/fakes/http_clients.h"
#include "tests/fakes/test_certificates.h"

namespace mlaunch {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = 10s;

// The certificates, or the test fails (never skips: see the house rules).
const TestCertificates& Certs() {
  const TestCertificates& c = TestCertificates::Get();
  EXPECT_EQ(c.error, "");
  return c;
}

HttpServer::Options TlsOptions() {
  HttpServer::Options options;
  options.tls_cert_file = Certs().server_cert;
  options.tls_key_file = Certs().server_key;
  return options;
}

HttpServer::Response Echo(const HttpServer::Request& request) {
  return HttpServer::Response::Text(200,
                                    request.method + " " + request.target + " " + request.body);
}

std::unique_ptr<HttpServer> StartTls(HttpServer::Handler handler = Echo,
                                     HttpServer::Options options = TlsOptions()) {
  auto started = HttpServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(started.ok()) << started.message();
  return started.ok() ? std::move(started).value() : nullptr;
}

HttpClient::Options TrustingOurCa() {
  HttpClient::Options options;
  options.ca_file = Certs().ca_file;
  options.timeout = kDeadline;
  return options;
}

// A stream's bytes and end, awaitable.
struct StreamRecord {
  std::mutex mutex;
  std::condition_variable changed;
  std::string bytes;
  int status = 0;

  HttpClient::StreamCallbacks Callbacks() {
    HttpClient::StreamCallbacks c;
    c.on_headers = [this](int s, const HttpHeaders&) {
      std::lock_guard<std::mutex> lock(mutex);
      status = s;
      return true;
    };
    c.on_bytes = [this](std::string_view b) {
      std::lock_guard<std::mutex> lock(mutex);
      bytes.append(b);
      changed.notify_all();
      return true;
    };
    return c;
  }
  bool AwaitBytes(const std::string& want) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, kDeadline, [&] { return bytes == want; });
  }
};

// A streamed response the handler hands to the test.
struct StreamSlot {
  std::mutex mutex;
  std::condition_variable changed;
  std::shared_ptr<ResponseStream> stream;

  HttpServer::Response Make() {
    HttpServer::Response r;
    r.stream = std::make_shared<ResponseStream>();
    std::lock_guard<std::mutex> lock(mutex);
    stream = r.stream;
    changed.notify_all();
    return r;
  }
  std::shared_ptr<ResponseStream> Await() {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait_for(lock, kDeadline, [&] { return stream != nullptr; });
    return stream;
  }
};

// A raw TCP connection to 127.0.0.1:port.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads until the server closes the connection (true) or the deadline
  // passes (false).
  bool AwaitClosed(std::chrono::milliseconds deadline = kDeadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      pollfd ready{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&ready, 1, static_cast<int>(left.count())) != 1) {
        return false;
      }
      char buffer[512];
      const ssize_t n = read(fd_, buffer, sizeof buffer);
      if (n <= 0) return true;  // EOF or reset
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

// ---------------------------------------------------------------------------
// The client against the server

TEST(Tls, ServerUrlSaysHttps) {
  auto server = StartTls();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->url(), "https://127.0.0.1:" + std::to_string(server->port()));
}

// Both clients: what HttpClient promises over HTTPS.
template <typename Client>
class TlsClient : public ::testing::Test {};
TYPED_TEST_SUITE(TlsClient, testing::HttpClients, testing::HttpClientNames);

TYPED_TEST(TlsClient, PostAndStreamWorkWithTheCaFile) {
  StreamSlot slot;
  auto server = StartTls(
      [&](const HttpServer::Request& r) { return r.path() == "/stream" ? slot.Make() : Echo(r); });
  ASSERT_NE(server, nullptr);
  TypeParam client;
  Result<HttpClient::Response> response =
      client.Post(server->url() + "/echo", {}, "hello", TrustingOurCa());
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response.value().status, 200);
  EXPECT_EQ(response.value().body, "POST /echo hello");

  StreamRecord record;
  auto stream =
      client.OpenStream(server->url() + "/stream", {}, "", TrustingOurCa(), record.Callbacks());
  std::shared_ptr<ResponseStream> body = slot.Await();
  ASSERT_NE(body, nullptr);
  ASSERT_TRUE(body->Write("one "));
  ASSERT_TRUE(body->Write("two"));
  EXPECT_TRUE(record.AwaitBytes("one two"));
  body->Close();
  Status end = stream->Wait();
  EXPECT_TRUE(end.ok()) << end.message();
  EXPECT_EQ(record.status, 200);
}

TYPED_TEST(TlsClient, AnotherCaIsUntrustedAndTheMessageSaysWhy) {
  auto server = StartTls();
  ASSERT_NE(server, nullptr);
  TypeParam client;
  HttpClient::Options options = TrustingOurCa();
  options.ca_file = Certs().other_ca_file;
  Result<HttpClient::Response> response = client.Post(server->url() + "/", {}, "", options);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUntrusted);
  EXPECT_NE(response.message().find("certificate could not be verified"), std::string::npos)
      << response.message();
  EXPECT_NE(response.message().find(Certs().other_ca_file), std::string::npos)
      << response.message();

  StreamRecord record;
  auto stream = client.OpenStream(server->url() + "/", {}, "", options, record.Callbacks());
  Status end = stream->Wait();
  EXPECT_EQ(end.code(), StatusCode::kUntrusted) << end.message();
  EXPECT_NE(end.message().find("certificate could not be verified"), std::string::npos)
      << end.message();
}

TYPED_TEST(TlsClient, InsecureSkipsVerification) {
  StreamSlot slot;
  auto server = StartTls(
      [&](const HttpServer::Request& r) { return r.path() == "/stream" ? slot.Make() : Echo(r); });
  ASSERT_NE(server, nullptr);
  TypeParam client;
  HttpClient::Options options;
  options.insecure = true;
  Result<HttpClient::Response> response = client.Post(server->url() + "/x", {}, "", options);
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response.value().body, "POST /x ");

  StreamRecord record;
  auto stream = client.OpenStream(server->url() + "/stream", {}, "", options, record.Callbacks());
  std::shared_ptr<ResponseStream> body = slot.Await();
  ASSERT_NE(body, nullptr);
  ASSERT_TRUE(body->Write("insecure"));
  EXPECT_TRUE(record.AwaitBytes("insecure"));
  body->Close();
  EXPECT_TRUE(stream->Wait().ok());
}

TYPED_TEST(TlsClient, SystemCasDoNotKnowOurCa) {
  auto server = StartTls();
  ASSERT_NE(server, nullptr);
  TypeParam client;
  Result<HttpClient::Response> response = client.Post(server->url() + "/", {}, "", {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUntrusted) << response.message();

  StreamRecord record;
  auto stream = client.OpenStream(server->url() + "/", {}, "", {}, record.Callbacks());
  EXPECT_EQ(stream->Wait().code(), StatusCode::kUntrusted);
}

TEST(Tls, CertificateNamesLocalhostToo) {
  auto server = StartTls();
  ASSERT_NE(server, nullptr);
  CurlHttpClient client;
  Result<HttpClient::Response> response = client.Post(
      "https://localhost:" + std::to_string(server->port()) + "/", {}, "", TrustingOurCa());
  // localhost may resolve to ::1 first; curl then falls back to 127.0.0.1.
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response.value().status, 200);
}

// ---------------------------------------------------------------------------
// Misbehaving clients

TEST(Tls, PlainHttpToTheHttpsPortIsDroppedAndTheServerGoesOn) {
  auto server = StartTls();
  ASSERT_NE(server, nullptr);
  RawSocket plain(server->port());
  ASSERT_TRUE(plain.connected());
  ASSERT_TRUE(plain.Send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  EXPECT_TRUE(plain.AwaitClosed());

  CurlHttpClient client;
  Result<HttpClient::Response> response =
      client.Post(server->url() + "/after", {}, "", TrustingOurCa());
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response.value().body, "POST /after ");
}

TEST(Tls, SilentClientIsDroppedAfterTheHandshakeTimeoutAndFreesItsSlot) {
  HttpServer::Options options = TlsOptions();
  options.tls_handshake_timeout = 200ms;
  options.max_connections = 1;
  auto server = StartTls(Echo, options);
  ASSERT_NE(server, nullptr);
  RawSocket silent(server->port());
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(silent.AwaitClosed(5s));

  // The slot is released once the connection object is gone, which may
  // trail the close by a moment: poll with a deadline.
  CurlHttpClient client;
  int status = 0;
  const auto end = std::chrono::steady_clock::now() + kDeadline;
  while (status != 200 && std::chrono::steady_clock::now() < end) {
    Result<HttpClient::Response> response =
        client.Post(server->url() + "/", {}, "", TrustingOurCa());
    ASSERT_TRUE(response.ok()) << response.message();
    status = response.value().status;
  }
  EXPECT_EQ(status, 200);
}

TEST(Tls, IdleTimeoutClosesAHandshakenConnection) {
  HttpServer::Options options = TlsOptions();
  options.idle_timeout = 200ms;
  auto server = StartTls(Echo, options);
  ASSERT_NE(server, nullptr);

  namespace net = boost::asio;
  namespace beast = boost::beast;
  net::io_context io;
  net::ssl::context context(net::ssl::context::tls_client);
  context.load_verify_file(Certs().ca_file);
  context.set_verify_mode(net::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  beast::get_lowest_layer(stream).expires_after(kDeadline);
  beast::error_code ec;
  beast::get_lowest_layer(stream).socket().connect(
      net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), server->port()), ec);
  ASSERT_FALSE(ec) << ec.message();
  stream.handshake(net::ssl::stream_base::client, ec);
  ASSERT_FALSE(ec) << ec.message();

  // Nothing sent: the server closes within its idle timeout, well before
  // this read's own deadline.
  const auto start = std::chrono::steady_clock::now();
  char buffer[64];
  bool done = false;
  stream.async_read_some(net::buffer(buffer), [&](beast::error_code read_ec, std::size_t) {
    ec = read_ec;
    done = true;
  });
  io.run();
  ASSERT_TRUE(done);
  EXPECT_TRUE(ec == net::ssl::error::stream_truncated || ec == net::error::eof ||
              ec == net::error::connection_reset)
      << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// ---------------------------------------------------------------------------
// The server's limits, as over plain HTTP

TEST(Tls, HeaderAndBodyLimitsAnswer431And413) {
  HttpServer::Options options = TlsOptions();
  options.max_header_bytes = 1024;
  options.max_body_bytes = 1024;
  auto server = StartTls(Echo, options);
  ASSERT_NE(server, nullptr);
  CurlHttpClient client;
  Result<HttpClient::Response> big_header =
      client.Post(server->url() + "/", {{"X-Big", std::string(2000, 'h')}}, "", TrustingOurCa());
  ASSERT_TRUE(big_header.ok()) << big_header.message();
  EXPECT_EQ(big_header.value().status, 431);

  Result<HttpClient::Response> big_body =
      client.Post(server->url() + "/", {}, std::string(4000, 'b'), TrustingOurCa());
  ASSERT_TRUE(big_body.ok()) << big_body.message();
  EXPECT_EQ(big_body.value().status, 413);
}

TEST(Tls, ConnectionsBeyondTheLimitGet503AndStopEndsStreams) {
  StreamSlot slot;
  HttpServer::Options options = TlsOptions();
  options.max_connections = 1;
  auto server = StartTls(
      [&](const HttpServer::Request& r) { return r.path() == "/stream" ? slot.Make() : Echo(r); },
      options);
  ASSERT_NE(server, nullptr);
  CurlHttpClient client;
  StreamRecord record;
  auto stream =
      client.OpenStream(server->url() + "/stream", {}, "", TrustingOurCa(), record.Callbacks());
  std::shared_ptr<ResponseStream> body = slot.Await();
  ASSERT_NE(body, nullptr);
  ASSERT_TRUE(body->Write("held"));
  ASSERT_TRUE(record.AwaitBytes("held"));

  Result<HttpClient::Response> refused = client.Post(server->url() + "/", {}, "", TrustingOurCa());
  ASSERT_TRUE(refused.ok()) << refused.message();
  EXPECT_EQ(refused.value().status, 503);

  // Stop() cuts the open stream: the client sees it end, not ok (no final
  // chunk), and the handler's stream is ended.
  server->Stop();
  Status end = stream->Wait();
  EXPECT_FALSE(end.ok());
  EXPECT_TRUE(body->closed());
}

// ---------------------------------------------------------------------------
// Bad certificate or key files

TEST(Tls, MissingCertificateFileIsAStartErrorNamingIt) {
  HttpServer::Options options = TlsOptions();
  options.tls_cert_file = Certs().dir + "/no-such.pem";
  auto started = HttpServer::Start(options, Echo);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find(options.tls_cert_file), std::string::npos) << started.message();
  EXPECT_NE(started.message().find("No such file"), std::string::npos) << started.message();
}

TEST(Tls, MissingKeyFileIsAStartErrorNamingIt) {
  HttpServer::Options options = TlsOptions();
  options.tls_key_file = Certs().dir + "/no-such.key";
  auto started = HttpServer::Start(options, Echo);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find(options.tls_key_file), std::string::npos) << started.message();
}

TEST(Tls, NotPemIsAStartErrorWithOpenSslsReason) {
  const std::string junk = Certs().dir + "/junk.pem";
  std::ofstream(junk) << "this is not a certificate\n";
  HttpServer::Options options = TlsOptions();
  options.tls_cert_file = junk;
  auto started = HttpServer::Start(options, Echo);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find("certificate file " + junk), std::string::npos)
      << started.message();
  EXPECT_NE(started.message().find("no start line"), std::string::npos) << started.message();
}

TEST(Tls, KeyOfAnotherCertificateIsAStartError) {
  HttpServer::Options options = TlsOptions();
  options.tls_key_file = Certs().dir + "/ca.key";
  auto started = HttpServer::Start(options, Echo);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find("private key file " + options.tls_key_file), std::string::npos)
      << started.message();
  EXPECT_NE(started.message().find("mismatch"), std::string::npos) << started.message();
}

TEST(Tls, CertificateWithoutKeyIsAStartError) {
  HttpServer::Options options = TlsOptions();
  options.tls_key_file.clear();
  auto started = HttpServer::Start(options, Echo);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find("private key"), std::string::npos) << started.message();
}

}  // namespace
}  // namespace mlaunch
