// CurlHttpClient: HttpClient on libcurl, the HTTP client of mesos-launch and
// mesos-launch-cluster (the executor's is BeastHttpClient:
// docs/architecture.md, "One HTTP client per program").
//
// This file, curl_http_client.cc and url_query.cc are the only ones that
// know libcurl; its header is included nowhere else. On top of the HttpClient contract:
// HTTP/1.1 only (no HTTP/2 upgrade), http and https only, no proxy from the
// environment (a master is reached directly), no signals (safe in threads),
// no `Expect: 100-continue` (Mesos never answers it, so curl would wait a
// second before every large body), TLS verification on unless asked
// otherwise. Idle connections of Post(), Get() and Download() are kept for
// reuse.
//
// Thread-safe. Each stream runs on a thread of its own until it ends; the
// client may be destroyed while streams are still open.
#ifndef MLAUNCH_COMMON_CURL_HTTP_CLIENT_H_
#define MLAUNCH_COMMON_CURL_HTTP_CLIENT_H_

#ifdef MLAUNCH_PURE_CORE
#error "a pure core does no I/O: the network stays in its program's run loop (docs/architecture.md)"
#endif

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_client.h"

namespace mlaunch {

class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient();
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

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

 private:
  // Post(), Get() and Download(): one blocking request; `sink`, when not
  // null, takes the body of a 2xx response.
  Result<Response> Transfer(bool get, const std::string& url, const HttpHeaders& headers,
                            std::string_view body, const Options& options,
                            const std::function<bool(std::string_view bytes)>* sink);

  // Easy handles of finished transfers, each with its live connections.
  // (void* so that this header does not need <curl/curl.h>.)
  void* TakeHandle();
  void ReturnHandle(void* handle);

  std::mutex mutex_;
  std::vector<void*> idle_handles_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_CURL_HTTP_CLIENT_H_
