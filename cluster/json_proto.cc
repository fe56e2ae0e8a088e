#include "cluster/json_proto.h"

#include <google/protobuf/descriptor.pb.h>

#include <cstdint>
#include <optional>

#include "common/base64.h"
#include "common/json_text.h"

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
      const std::string value = repeated ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) return Base64Encode(value);
      return value;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ProtoToJson(repeated ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
  }
  return nullptr;
}

}  // namespace

nlohmann::json ProtoToJson(const Message& message) {
  nlohmann::json object = nlohmann::json::object();
  const Reflection* r = message.GetReflection();
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  for (int field_index = 0; field_index < descriptor->field_count(); ++field_index) {
    const FieldDescriptor* f = descriptor->field(field_index);
    if (f->is_map()) {
      if (r->FieldSize(message, f) == 0) continue;
      nlohmann::json map = nlohmann::json::object();
      for (int i = 0; i < r->FieldSize(message, f); ++i) {
        const Message& entry = r->GetRepeatedMessage(message, f, i);
        const FieldDescriptor* key = entry.GetDescriptor()->FindFieldByNumber(1);
        const FieldDescriptor* value = entry.GetDescriptor()->FindFieldByNumber(2);
        nlohmann::json k = FieldValue(entry, key, 0);
        map[k.is_string() ? k.get<std::string>() : JsonText(k)] = FieldValue(entry, value, 0);
      }
      object[f->name()] = std::move(map);
    } else if (f->is_repeated()) {
      if (r->FieldSize(message, f) == 0) continue;
      nlohmann::json array = nlohmann::json::array();
      for (int i = 0; i < r->FieldSize(message, f); ++i) {
        array.push_back(FieldValue(message, f, i));
      }
      object[f->name()] = std::move(array);
    } else if (r->HasField(message, f) || (f->has_default_value() && !f->options().deprecated())) {
      // Unset: the getter yields the declared default.
      object[f->name()] = FieldValue(message, f, 0);
    }
  }
  return object;
}

namespace {

Status NotExpecting(const char* what, const FieldDescriptor* f) {
  return Status::InvalidData("field '" + f->name() + "' cannot hold a JSON " + what);
}

// One JSON value into field `f` of `m` (appended when `f` is repeated).
Status MergeValue(const nlohmann::json& value, const FieldDescriptor* f, Message* m) {
  const Reflection* r = m->GetReflection();
  const bool repeated = f->is_repeated();
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return Status::Ok();  // unset, as stout treats it
    case nlohmann::json::value_t::object:
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        return NotExpecting("object", f);
      }
      return MergeFromJson(value, repeated ? r->AddMessage(m, f) : r->MutableMessage(m, f));
    case nlohmann::json::value_t::array:
      if (!repeated) return NotExpecting("array", f);
      for (const nlohmann::json& element : value) {
        if (Status s = MergeValue(element, f, m); !s.ok()) return s;
      }
      return Status::Ok();
    case nlohmann::json::value_t::string: {
      const std::string& text = value.get_ref<const std::string&>();
      if (f->type() == FieldDescriptor::TYPE_STRING) {
        repeated ? r->AddString(m, f, text) : r->SetString(m, f, text);
      } else if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::optional<std::string> bytes = Base64Decode(text);
        if (!bytes) {
          return Status::InvalidData(
              "field '" + f->name() +
              "' holds bytes, which JSON carries as base64; this is not base64");
        }
        repeated ? r->AddString(m, f, *bytes) : r->SetString(m, f, *bytes);
      } else if (f->type() == FieldDescriptor::TYPE_ENUM) {
        const auto* enum_value = f->enum_type()->FindValueByName(text);
        if (enum_value == nullptr) {
          // proto2: an unknown value of an optional enum is dropped.
          if (f->is_required()) {
            return Status::InvalidData("'" + text + "' is no value of the enum field '" +
                                       f->name() + "'");
          }
          return Status::Ok();
        }
        repeated ? r->AddEnum(m, f, enum_value) : r->SetEnum(m, f, enum_value);
      } else {
        return NotExpecting("string", f);
      }
      return Status::Ok();
    }
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_DOUBLE: {
          const auto v = value.get<double>();
          repeated ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
          return Status::Ok();
        }
        case FieldDescriptor::CPPTYPE_FLOAT: {
          const auto v = value.get<float>();
          repeated ? r->AddFloat(m, f, v) : r->SetFloat(m, f, v);
          return Status::Ok();
        }
        case FieldDescriptor::CPPTYPE_INT64: {
          const auto v = value.get<std::int64_t>();
          repeated ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
          return Status::Ok();
        }
        case FieldDescriptor::CPPTYPE_UINT64: {
          const auto v = value.get<std::uint64_t>();
          repeated ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
          return Status::Ok();
        }
        case FieldDescriptor::CPPTYPE_INT32: {
          const auto v = value.get<std::int32_t>();
          repeated ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
          return Status::Ok();
        }
        case FieldDescriptor::CPPTYPE_UINT32: {
          const auto v = value.get<std::uint32_t>();
          repeated ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
          return Status::Ok();
        }
        default:
          return NotExpecting("number", f);
      }
    case nlohmann::json::value_t::boolean:
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_BOOL) return NotExpecting("boolean", f);
      repeated ? r->AddBool(m, f, value.get<bool>()) : r->SetBool(m, f, value.get<bool>());
      return Status::Ok();
    default:
      return Status::InvalidData("field '" + f->name() + "' cannot hold this JSON value");
  }
}

}  // namespace

Status MergeFromJson(const nlohmann::json& object, Message* message) {
  if (!object.is_object()) return Status::InvalidData("a JSON object was expected");
  const google::protobuf::Descriptor* descriptor = message->GetDescriptor();
  for (const auto& [name, value] : object.items()) {
    const FieldDescriptor* f = descriptor->FindFieldByName(name);
    if (f == nullptr) continue;  // unknown keys are ignored
    if (Status s = MergeValue(value, f, message); !s.ok()) return s;
  }
  return Status::Ok();
}

Status DecodeCall(std::string_view body, bool json, Message* call) {
  const std::string type = call->GetDescriptor()->name();
  if (json) {
    const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded()) return Status::InvalidData("the body is not valid JSON");
    if (Status merged = MergeFromJson(parsed, call); !merged.ok()) {
      return Status::InvalidData("the JSON is no " + type + ": " + merged.message());
    }
  } else if (!call->ParsePartialFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidData("the body is no protobuf " + type);
  }
  if (!call->IsInitialized()) {
    return Status::InvalidData("the " + type +
                               " lacks required fields: " + call->InitializationErrorString());
  }
  return Status::Ok();
}

std::string EncodeMessage(const Message& message, bool json) {
  return json ? JsonText(ProtoToJson(message)) : message.SerializeAsString();
}

}  // namespace mlaunch::cluster
