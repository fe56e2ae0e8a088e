#include "cluster/json_proto.h"

#include <google/protobuf/util/json_util.h>

#include "cluster/http_rules.h"

namespace mlaunch::cluster {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

nlohmann::json FieldValue(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool repeated = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return repeated ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return repeated ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return repeated ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return repeated ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return repeated ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return repeated ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return repeated ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f);
    case FieldDescriptor::CPPTYPE_ENUM:
      return (repeated ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name();
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string value =
          repeated ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) return Base64Encode(value);
      return value;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ProtoToJson(repeated ? r->GetRepeatedMessage(m, f, index)
                                  : r->GetMessage(m, f));
  }
  return nullptr;
}

}  // namespace

nlohmann::json ProtoToJson(const Message& message) {
  nlohmann::json object = nlohmann::json::object();
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->is_map()) {
      nlohmann::json map = nlohmann::json::object();
      for (int i = 0; i < r->FieldSize(message, f); ++i) {
        const Message& entry = r->GetRepeatedMessage(message, f, i);
        const FieldDescriptor* key = entry.GetDescriptor()->FindFieldByNumber(1);
        const FieldDescriptor* value = entry.GetDescriptor()->FindFieldByNumber(2);
        nlohmann::json k = FieldValue(entry, key, 0);
        map[k.is_string() ? k.get<std::string>() : k.dump()] =
            FieldValue(entry, value, 0);
      }
      object[f->name()] = std::move(map);
    } else if (f->is_repeated()) {
      nlohmann::json array = nlohmann::json::array();
      for (int i = 0; i < r->FieldSize(message, f); ++i) {
        array.push_back(FieldValue(message, f, i));
      }
      object[f->name()] = std::move(array);
    } else {
      object[f->name()] = FieldValue(message, f, 0);
    }
  }
  return object;
}

Result<mesos::v1::scheduler::Call> CallFromJson(std::string_view body) {
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    return Status::InvalidData("Failed to parse body into JSON: syntax error");
  }
  if (!parsed.is_object()) {
    return Status::InvalidData(
        "Failed to convert JSON into Call protobuf: Expecting a JSON object");
  }
  mesos::v1::scheduler::Call call;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = google::protobuf::util::JsonStringToMessage(
      std::string(body), &call, options);
  if (!status.ok()) {
    return Status::InvalidData("Failed to convert JSON into Call protobuf: " +
                               std::string(status.message()));
  }
  if (!call.IsInitialized()) {
    return Status::InvalidData(
        "Failed to convert JSON into Call protobuf: Missing required fields: " +
        call.InitializationErrorString());
  }
  return call;
}

}  // namespace mlaunch::cluster
