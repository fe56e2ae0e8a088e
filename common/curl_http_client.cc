#include "common/curl_http_client.h"

#include <curl/curl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <thread>
#include <utility>

namespace mlaunch {
namespace {

constexpr std::size_t kMaxIdleHandles = 8;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Redacted(const std::string& url) { return RedactedUrl(url); }

StatusCode CodeFor(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return StatusCode::kTimeout;
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR:  // our write callback said stop
      return StatusCode::kCancelled;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return StatusCode::kInvalidData;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return StatusCode::kUntrusted;
    default:
      return StatusCode::kUnavailable;
  }
}

// The request's header list in curl's form, owned.
class HeaderList {
 public:
  explicit HeaderList(const HttpHeaders& headers) {
    for (const HttpHeaders::Field& field : headers) {
      // "Name;" is how curl is told to send a header with an empty value;
      // "Name:" would remove it.
      Append(field.value.empty() ? field.name + ";" : field.name + ": " + field.value);
    }
    // Suppress what curl would otherwise add on its own.
    Append("Expect:");
    if (!headers.Has("Accept")) Append("Accept:");
    if (!headers.Has("Content-Type")) Append("Content-Type:");
  }
  ~HeaderList() { curl_slist_free_all(list_); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;

  curl_slist* get() const { return list_; }

 private:
  void Append(const std::string& line) {
    curl_slist* grown = curl_slist_append(list_, line.c_str());
    if (grown != nullptr) list_ = grown;
  }
  curl_slist* list_ = nullptr;
};

// Collects the status and headers of the final response from curl's header
// callback, which sees every header line of every response (1xx included).
class HeaderParser {
 public:
  // Returns true when `line` completes the headers of a final response.
  bool Feed(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    if (line.rfind("HTTP/", 0) == 0) {  // a new response begins
      headers_ = HttpHeaders();
      status_ = 0;
      const std::size_t space = line.find(' ');
      if (space != std::string_view::npos) {
        status_ = std::atoi(std::string(line.substr(space + 1, 3)).c_str());
      }
      return false;
    }
    if (line.empty()) return status_ >= 200;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
      value.remove_suffix(1);
    }
    headers_.Add(std::string(line.substr(0, colon)), std::string(value));
    return false;
  }

  int status() const { return status_; }
  const HttpHeaders& headers() const { return headers_; }
  HttpHeaders TakeHeaders() { return std::move(headers_); }

 private:
  int status_ = 0;
  HttpHeaders headers_;
};

enum class Method { kGet, kPost };

const char* NameOf(Method method) { return method == Method::kGet ? "GET" : "POST"; }

// The options every request shares. Returns false if curl refused one.
bool Configure(CURL* curl, Method method, const std::string& url, curl_slist* headers,
               std::string_view body, const HttpClient::Options& options, char* error_buffer) {
  bool ok = true;
  auto set = [&](CURLoption option, auto value) {
    ok = ok && curl_easy_setopt(curl, option, value) == CURLE_OK;
  };
  set(CURLOPT_ERRORBUFFER, error_buffer);
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_PROXY, "");  // never one from the environment
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  set(CURLOPT_HTTPHEADER, headers);
  if (method == Method::kPost) {
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    // Never null: a null body would make curl read the body from stdin.
    set(CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());
  } else {
    set(CURLOPT_HTTPGET, 1L);
  }
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  set(CURLOPT_SSL_VERIFYPEER, options.insecure ? 0L : 1L);
  set(CURLOPT_SSL_VERIFYHOST, options.insecure ? 0L : 2L);
  if (!options.ca_file.empty()) set(CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.username.empty()) {
    set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    set(CURLOPT_USERNAME, options.username.c_str());
    set(CURLOPT_PASSWORD, options.password.c_str());
  }
  return ok;
}

Status TransferError(Method method, CURLcode code, const std::string& url,
                     const HttpClient::Options& options, const char* error_buffer) {
  std::string cause = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  if (code == CURLE_PEER_FAILED_VERIFICATION) {
    cause = "the server's TLS certificate could not be verified against " +
            (options.ca_file.empty() ? std::string("the system's CAs")
                                     : "the CAs in " + options.ca_file) +
            " (" + cause + ")";
  } else if (code == CURLE_SSL_CACERT_BADFILE) {
    cause = "cannot use the CA file " + options.ca_file + " (" + cause + ")";
  }
  return Status::Error(CodeFor(code),
                       std::string(NameOf(method)) + " " + Redacted(url) + ": " + cause);
}

// ---------------------------------------------------------------------------
// Post(), Get() and Download(): one blocking transfer on a reused handle.

using Sink = std::function<bool(std::string_view bytes)>;

struct TransferState {
  HeaderParser header_parser;
  std::string body;  // kept unless `sink` takes it
  std::size_t max_body_bytes = 0;
  bool too_big = false;
  const Sink* sink = nullptr;  // takes the body of a 2xx final response
  bool sink_stopped = false;
  // Stall detection: when the byte counts last moved.
  std::chrono::milliseconds stall_timeout{0};
  std::chrono::steady_clock::time_point last_progress;
  curl_off_t last_bytes = -1;
  bool stalled = false;
};

// curl calls this at least once a second, and whenever bytes move.
int TransferProgressCallback(void* user, curl_off_t download_total, curl_off_t download_now,
                             curl_off_t upload_total, curl_off_t upload_now) {
  (void)download_total;
  (void)upload_total;
  auto* state = static_cast<TransferState*>(user);
  const auto now = std::chrono::steady_clock::now();
  const curl_off_t bytes = download_now + upload_now;
  if (bytes != state->last_bytes) {
    state->last_bytes = bytes;
    state->last_progress = now;
    return 0;
  }
  if (now - state->last_progress >= state->stall_timeout) {
    state->stalled = true;
    return 1;  // aborts the transfer
  }
  return 0;
}

size_t TransferHeaderCallback(char* data, size_t size, size_t count, void* user) {
  static_cast<TransferState*>(user)->header_parser.Feed({data, size * count});
  return size * count;
}

size_t TransferWriteCallback(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const size_t bytes = size * count;
  const int status = state->header_parser.status();
  if (state->sink != nullptr && status >= 200 && status < 300) {
    if (!(*state->sink)({data, bytes})) {
      state->sink_stopped = true;
      return CURL_WRITEFUNC_ERROR;
    }
    return bytes;
  }
  if (state->body.size() + bytes > state->max_body_bytes) {
    state->too_big = true;
    return CURL_WRITEFUNC_ERROR;
  }
  state->body.append(data, bytes);
  return bytes;
}

// ---------------------------------------------------------------------------
// OpenStream()

class CurlStream : public HttpClient::Stream {
 public:
  CurlStream(const std::string& url, const HttpHeaders& headers, std::string body,
             const HttpClient::Options& options, HttpClient::StreamCallbacks callbacks)
      : url_(url),
        options_(options),
        headers_(headers),
        body_(std::move(body)),
        callbacks_(std::move(callbacks)),
        multi_(curl_multi_init()),
        easy_(curl_easy_init()) {
    bool ok =
        multi_ != nullptr && easy_ != nullptr &&
        Configure(easy_, Method::kPost, url_, headers_.get(), body_, options, error_buffer_.data());
    ok = ok && curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &HeaderCallback) == CURLE_OK;
    ok = ok && curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this) == CURLE_OK;
    ok = ok && curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &WriteCallback) == CURLE_OK;
    ok = ok && curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this) == CURLE_OK;
    ok = ok && curl_easy_setopt(easy_, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
    thread_ = std::thread([this, ok] { Run(ok); });
  }

  ~CurlStream() override {
    Cancel();
    thread_.join();
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
  }

  void Cancel() override {
    cancelled_ = true;
    if (multi_ != nullptr) curl_multi_wakeup(multi_);  // safe from any thread
  }

  Status Wait() override { return ending_.Wait(); }

 private:
  static size_t HeaderCallback(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<CurlStream*>(user);
    const size_t bytes = size * count;
    if (self->cancelled_) return 0;
    if (self->header_parser_.Feed({data, bytes}) && self->callbacks_.on_headers &&
        !self->callbacks_.on_headers(self->header_parser_.status(),
                                     self->header_parser_.headers())) {
      self->stopped_by_callback_ = true;
      return 0;
    }
    return bytes;
  }

  static size_t WriteCallback(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<CurlStream*>(user);
    const size_t bytes = size * count;
    if (self->cancelled_) return CURL_WRITEFUNC_ERROR;
    if (self->callbacks_.on_bytes && !self->callbacks_.on_bytes({data, bytes})) {
      self->stopped_by_callback_ = true;
      return CURL_WRITEFUNC_ERROR;
    }
    return bytes;
  }

  void Run(bool configured) {
    Status status = configured
                        ? Transfer()
                        : Status::Error(StatusCode::kInternal,
                                        "POST " + Redacted(url_) + ": cannot set up libcurl");
    ending_.End(callbacks_, std::move(status));
  }

  Status Transfer() {
    if (curl_multi_add_handle(multi_, easy_) != CURLM_OK) {
      return Status::Error(StatusCode::kInternal,
                           "POST " + Redacted(url_) + ": cannot start the transfer");
    }
    CURLcode result = CURLE_OK;
    bool finished = false;
    while (!finished && !cancelled_) {
      int running = 0;
      if (curl_multi_perform(multi_, &running) != CURLM_OK) break;
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg == CURLMSG_DONE) {
          result = message->data.result;
          finished = true;
        }
      }
      // Sleeps until the socket is ready or Cancel() wakes it, whichever is
      // first; the timeout only bounds curl's own timers.
      if (!finished && !cancelled_ &&
          curl_multi_poll(multi_, nullptr, 0, 1000, nullptr) != CURLM_OK) {
        break;
      }
    }
    curl_multi_remove_handle(multi_, easy_);
    if (cancelled_ || stopped_by_callback_) {
      return Status::Error(StatusCode::kCancelled, "POST " + Redacted(url_) + ": stream cancelled");
    }
    if (!finished) {
      return Status::Error(StatusCode::kInternal, "POST " + Redacted(url_) + ": libcurl failed");
    }
    if (result != CURLE_OK)
      return TransferError(Method::kPost, result, url_, options_, error_buffer_.data());
    return Status::Ok();
  }

  const std::string url_;
  const HttpClient::Options options_;
  const HeaderList headers_;
  const std::string body_;  // curl reads it during the transfer
  HttpClient::StreamCallbacks callbacks_;
  CURLM* multi_;
  CURL* easy_;
  std::array<char, CURL_ERROR_SIZE> error_buffer_{};
  HeaderParser header_parser_;
  std::atomic<bool> cancelled_ = false;
  bool stopped_by_callback_ = false;  // only touched on the stream's thread

  StreamEnding ending_;

  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace

CurlHttpClient::CurlHttpClient() { InitCurlOnce(); }

CurlHttpClient::~CurlHttpClient() {
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* CurlHttpClient::TakeHandle() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void CurlHttpClient::ReturnHandle(void* handle) {
  // Forgets the options, and with them every pointer into the finished
  // Post(); keeps the open connections.
  curl_easy_reset(static_cast<CURL*>(handle));
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_handles_.size() < kMaxIdleHandles) {
    idle_handles_.push_back(handle);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

Result<HttpClient::Response> CurlHttpClient::Post(const std::string& url,
                                                  const HttpHeaders& headers, std::string_view body,
                                                  const Options& options) {
  return Transfer(/*get=*/false, url, headers, body, options, nullptr);
}

Result<HttpClient::Response> CurlHttpClient::Get(const std::string& url, const HttpHeaders& headers,
                                                 const Options& options) {
  return Transfer(/*get=*/true, url, headers, {}, options, nullptr);
}

Result<HttpClient::Response> CurlHttpClient::Download(
    const std::string& url, const HttpHeaders& headers, const Options& options,
    const std::function<bool(std::string_view bytes)>& sink) {
  return Transfer(/*get=*/true, url, headers, {}, options, &sink);
}

Result<HttpClient::Response> CurlHttpClient::Transfer(
    bool get, const std::string& url, const HttpHeaders& headers, std::string_view body,
    const Options& options, const std::function<bool(std::string_view bytes)>* sink) {
  const Method method = get ? Method::kGet : Method::kPost;
  const std::string what = std::string(NameOf(method)) + " " + Redacted(url);
  CURL* curl = static_cast<CURL*>(TakeHandle());
  if (curl == nullptr) {
    return Status::Error(StatusCode::kInternal, what + ": cannot set up libcurl");
  }
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  HeaderList header_list(headers);
  TransferState state;
  state.max_body_bytes = options.max_response_bytes;
  state.sink = sink;
  bool ok = Configure(curl, method, url, header_list.get(), body, options, error_buffer.data());
  auto set = [&](CURLoption option, auto value) {
    ok = ok && curl_easy_setopt(curl, option, value) == CURLE_OK;
  };
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  if (options.stall_timeout.count() > 0) {
    state.stall_timeout = options.stall_timeout;
    state.last_progress = std::chrono::steady_clock::now();
    set(CURLOPT_NOPROGRESS, 0L);
    set(CURLOPT_XFERINFOFUNCTION, &TransferProgressCallback);
    set(CURLOPT_XFERINFODATA, &state);
  }
  if (get && options.follow_redirects) {
    set(CURLOPT_FOLLOWLOCATION, 1L);
    set(CURLOPT_MAXREDIRS, static_cast<long>(options.max_redirects));
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(CURLOPT_UNRESTRICTED_AUTH, 0L);
  }
  set(CURLOPT_HEADERFUNCTION, &TransferHeaderCallback);
  set(CURLOPT_HEADERDATA, &state);
  set(CURLOPT_WRITEFUNCTION, &TransferWriteCallback);
  set(CURLOPT_WRITEDATA, &state);
  if (!ok) {
    curl_easy_cleanup(curl);
    return Status::Error(StatusCode::kInternal, what + ": cannot set up libcurl");
  }

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    Status error =
        state.too_big ? Status::InvalidData(what + ": response body exceeds " +
                                            std::to_string(state.max_body_bytes) + " bytes")
        : state.sink_stopped
            ? Status::Error(StatusCode::kCancelled, what + ": stopped by the receiver of the body")
        : state.stalled ? Status::Error(StatusCode::kTimeout,
                                        what + ": no data received for " +
                                            std::to_string(options.stall_timeout.count()) + " ms")
                        : TransferError(method, code, url, options, error_buffer.data());
    curl_easy_cleanup(curl);  // its connection may be in any state
    return error;
  }
  ReturnHandle(curl);
  Response response;
  response.status = state.header_parser.status();
  response.headers = state.header_parser.TakeHeaders();
  response.body = std::move(state.body);
  return response;
}

std::unique_ptr<HttpClient::Stream> CurlHttpClient::OpenStream(const std::string& url,
                                                               const HttpHeaders& headers,
                                                               std::string body,
                                                               const Options& options,
                                                               StreamCallbacks callbacks) {
  return std::make_unique<CurlStream>(url, headers, std::move(body), options, std::move(callbacks));
}

}  // namespace mlaunch
