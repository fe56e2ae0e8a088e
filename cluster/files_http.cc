#include "cluster/files_http.h"

#include <algorithm>
#include <map>
#include <optional>

#include "cluster/http_rules.h"
#include "cluster/json_proto.h"
#include "cluster/read_call.h"
#include "common/json_text.h"
#include "common/url_query.h"
#include "common/utf8.h"
#include "mesos/v1/agent/agent.pb.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::agent::Call;
using mesos::v1::agent::Response;

HttpServer::Response Refused(const FileRefusal& refusal) {
  return HttpServer::Response::Text(refusal.status, refusal.message + "\n");
}

HttpServer::Response Json(const nlohmann::json& body) {
  HttpServer::Response response;
  response.headers.Set("Content-Type", kJsonMedia);
  response.body = JsonText(body);
  return response;
}

// A whole number of at most 15 digits, or -1 when `minus_one`.
std::optional<std::int64_t> Number(const std::string& text, bool minus_one) {
  if (minus_one && text == "-1") return -1;
  if (text.empty() || text.size() > 15 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(text);
}

HttpServer::Response Get(const SandboxFiles& files, const HttpServer::Request& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = HttpServer::Response::Text(405, "files are read with GET\n");
    response.headers.Set("Allow", "GET, HEAD");
    return response;
  }
  const std::map<std::string, std::string> query = QueryParameters(request.target);
  const auto path = query.find("path");
  if (path == query.end()) {
    return HttpServer::Response::Text(400, "say which file with ?path=\n");
  }
  if (request.path() == "/files/browse") {
    auto listed = files.List(path->second);
    if (auto* refused = std::get_if<FileRefusal>(&listed)) return Refused(*refused);
    return Json(BrowseJson(std::get<std::vector<mesos::v1::FileInfo>>(listed)));
  }
  auto param = [&query](const char* name) {
    auto it = query.find(name);
    return it == query.end() ? std::optional<std::string>() : it->second;
  };
  const std::optional<std::int64_t> offset = Number(param("offset").value_or("-1"), true);
  const std::optional<std::int64_t> length =
      Number(param("length").value_or(std::to_string(kMaxFileReadBytes)), false);
  if (!offset || !length) {
    return HttpServer::Response::Text(
        400, "offset is a whole number or -1 (the file's size), length a whole number\n");
  }
  auto read =
      files.Read(path->second, static_cast<std::uint64_t>(std::max<std::int64_t>(*offset, 0)),
                 *offset < 0 ? 0 : static_cast<std::uint64_t>(*length));
  if (auto* refused = std::get_if<FileRefusal>(&read)) return Refused(*refused);
  const FileChunk& chunk = std::get<FileChunk>(read);
  if (*offset < 0) return Json({{"data", ""}, {"offset", chunk.size}});
  // As text a reader can count: its bytes are the bytes of the file it read
  // (a page adds them to the offset for its next read), where U+FFFD, as
  // JsonText() would put it for a byte that is not UTF-8, would move it on.
  return Json({{"data", Utf8Piece(chunk.data)}, {"offset", chunk.offset}});
}

HttpServer::Response Operator(const SandboxFiles& files, const HttpServer::Request& request) {
  Call call;
  const auto is_json = ReadCall(request, &call);
  if (const auto* refused = std::get_if<HttpServer::Response>(&is_json)) return *refused;
  const auto answer_json = AnswerIsJson(request);
  if (const auto* refused = std::get_if<HttpServer::Response>(&answer_json)) return *refused;
  Response response;
  if (call.type() == Call::LIST_FILES && call.has_list_files()) {
    auto listed = files.List(call.list_files().path());
    if (auto* refused = std::get_if<FileRefusal>(&listed)) return Refused(*refused);
    response.set_type(Response::LIST_FILES);
    for (auto& file : std::get<std::vector<mesos::v1::FileInfo>>(listed)) {
      *response.mutable_list_files()->add_file_infos() = std::move(file);
    }
  } else if (call.type() == Call::READ_FILE && call.has_read_file()) {
    const Call::ReadFile& want = call.read_file();
    auto read = files.Read(want.path(), want.offset(),
                           want.has_length() ? want.length() : kMaxFileReadBytes);
    if (auto* refused = std::get_if<FileRefusal>(&read)) return Refused(*refused);
    FileChunk& chunk = std::get<FileChunk>(read);
    response.set_type(Response::READ_FILE);
    response.mutable_read_file()->set_size(chunk.size);
    response.mutable_read_file()->set_data(std::move(chunk.data));
  } else if (call.type() == Call::LIST_FILES || call.type() == Call::READ_FILE) {
    return HttpServer::Response::Text(
        400, Malformed(Call::Type_Name(call.type()) + " names its file in " +
                       (call.type() == Call::LIST_FILES ? "list_files" : "read_file") +
                       ", which is missing"));
  } else {
    return HttpServer::Response::Text(
        501, "the embedded agent's operator API answers LIST_FILES and READ_FILE only");
  }
  HttpServer::Response out;
  out.headers.Set("Content-Type", std::get<bool>(answer_json) ? kJsonMedia : kProtobufMedia);
  out.body = EncodeMessage(response, std::get<bool>(answer_json));
  return out;
}

}  // namespace

bool IsFilesEndpoint(std::string_view path) {
  return path == "/files/browse" || path == "/files/read" || path == "/api/v1" ||
         path == "/slave(1)/api/v1";
}

HttpServer::Response ServeFiles(const SandboxFiles& files, const HttpServer::Request& request,
                                const std::vector<std::string>& page_origins) {
  const std::string_view path = request.path();
  if (path == "/api/v1" || path == "/slave(1)/api/v1") return Operator(files, request);
  HttpServer::Response response = Get(files, request);
  response.headers.Set("Vary", "Origin");
  const std::optional<std::string> origin = request.headers.Get("Origin");
  if (origin &&
      std::find(page_origins.begin(), page_origins.end(), *origin) != page_origins.end()) {
    response.headers.Set("Access-Control-Allow-Origin", *origin);
  }
  return response;
}

}  // namespace mlaunch::cluster
