// BeastHttpClient: HttpClient on Boost.Beast, for the one program that must
// not link libcurl: mesos-launch-executor, which is linked statically so that
// it runs on any Linux agent, and Debian's libcurl cannot be linked
// statically (docs/architecture.md, "One HTTP client per program").
//
// On top of the HttpClient contract:
// - HTTP/1.1 over http or https. Hosts are IP literals only (IPv4, or IPv6
//   in brackets): a static program has no name service, and an agent names
//   itself to its executors by address. A URL naming a host by name,
//   carrying credentials ("user:password@") or of another scheme is
//   kInvalidData, and so is a redirect to one.
// - HTTPS verifies the server against Options::ca_file, or against the CA
//   files of the machine when it is empty, and checks that the certificate
//   names the address; Options::insecure skips both.
// - Every request has a connection of its own, closed after the response
//   (the executor makes a few calls a minute).
// - Response headers are limited to 64 KiB (kHeaderLimitBytes): more is
//   kInvalidData. Bodies are limited by Options::max_response_bytes, streams
//   not at all.
// - Post(), Get() and Download() run on the calling thread; each stream on a
//   thread of its own until it ends.
//
// Thread-safe; the client may be destroyed while streams are still open.
#ifndef MLAUNCH_COMMON_BEAST_HTTP_CLIENT_H_
#define MLAUNCH_COMMON_BEAST_HTTP_CLIENT_H_

#ifdef MLAUNCH_PURE_CORE
#error "a pure core does no I/O: the network stays in its program's run loop (docs/architecture.md)"
#endif

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/http_client.h"

namespace mlaunch {

class BeastHttpClient : public HttpClient {
 public:
  BeastHttpClient() = default;
  BeastHttpClient(const BeastHttpClient&) = delete;
  BeastHttpClient& operator=(const BeastHttpClient&) = delete;

  Result<Response> Post(const std::string& url, const HttpHeaders& headers, std::string_view body,
                        const Options& options) override;

  Result<Response> Get(const std::string& url, const HttpHeaders& headers,
                       const Options& options) override;

  Result<Response> Download(const std::string& url, const HttpHeaders& headers,
                            const Options& options,
                            const std::function<bool(std::string_view bytes)>& sink) override;

  std::unique_ptr<Stream> OpenStream(const std::string& url, const HttpHeaders& headers,
                                     std::string body, const Options& options,
                                     StreamCallbacks callbacks) override;
};

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_BEAST_HTTP_CLIENT_H_
