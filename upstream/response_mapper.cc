// Owns the JSON → proto mapping of the upstream's response body (see
// response_mapper.h and shared/upstream/README.md, "Drift to tolerate").
//
// Hostile input is expected (this runs under libFuzzer + ASan/UBSan), so:
// - parsing is iterative (no recursion) and a SAX wrapper caps nesting depth,
//   so 100000 '[' is a quick error rather than a stack overflow or a big stack;
// - the body is parsed in situ in one padded copy, with RapidJSON's SSE2 string
//   scanning: the two ~20 KB base64 images are neither copied again nor walked
//   byte by byte (40x faster than a copying parse); see ParsedJson;
// - text that lands in proto `string` fields is checked to be UTF-8 by
//   RapidJSON's validator (proto3 requires it; checking only those few strings
//   beats validating the images; see IsUtf8);
// - the walk below only ever descends the fixed shape of the answer, never
//   recursively into arbitrary JSON;
// - every value is type-checked before use (RapidJSON asserts otherwise);
// - numbers are clamped before narrowing (out-of-range casts are UB).
// Error messages name a JSON path, never a value: values are personal data.
#include "upstream/response_mapper.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string_view>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/error_details.h"
#include "common/error_reasons.h"

// RapidJSON 1.1.0 (Debian's) computes `nullptr + n` in internal::Stack before
// its first allocation: harmless in practice, fixed upstream after 1.1.0, but
// UBSan's pointer-overflow check aborts a fuzzer on it. Exempt RapidJSON's own
// functions from that one check; our code stays fully instrumented.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
// SIMD scanning of whitespace and strings; it reads whole aligned 16-byte
// blocks, hence the padding in ParsedJson. Only this file includes RapidJSON.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include "rapidjson/document.h"
#include "rapidjson/encodings.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif

namespace ktp::upstream {
namespace {

using JsonValue = rapidjson::Value;
using JsonDocument = rapidjson::Document;

// The real answer is at most 6 levels deep (root/read/field/polygon/polygon/vertex);
// 64 leaves room for unknown keys without letting hostile input grow the parser stack.
constexpr int kMaxDepth = 64;

// Iterative: constant C++ stack whatever the nesting. Insitu: strings are
// unescaped in place in ParsedJson's buffer and the DOM points into it.
constexpr unsigned kParseFlags = rapidjson::kParseDefaultFlags | rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseInsituFlag;

// Real answers are ~50 KB. The cap keeps every length well inside RapidJSON's
// 32-bit string sizes and bounds the one copy made below.
constexpr size_t kMaxBodyBytes = size_t{64} << 20;

// NUL bytes after the copied body: the terminator plus room for the last
// aligned 16-byte SIMD load, so it never reads outside the buffer.
constexpr size_t kParsePadding = 16;

absl::Status BadResponse(absl::string_view message) {
  return MakeError(absl::StatusCode::kInternal, reasons::kUpstreamBadResponse, message);
}

// Forwards SAX events to the document being built and stops the parse once
// nesting exceeds kMaxDepth.
class DepthLimitedHandler {
 public:
  explicit DepthLimitedHandler(JsonDocument& doc) : doc_(doc) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool copy) {
    return doc_.RawNumber(str, length, copy);
  }
  bool String(const char* str, rapidjson::SizeType length, bool copy) {
    return doc_.String(str, length, copy);
  }
  bool Key(const char* str, rapidjson::SizeType length, bool copy) {
    return doc_.Key(str, length, copy);
  }
  bool StartObject() { return Enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType count) {
    --depth_;
    return doc_.EndObject(count);
  }
  bool StartArray() { return Enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType count) {
    --depth_;
    return doc_.EndArray(count);
  }

  bool too_deep() const { return too_deep_; }

 private:
  bool Enter() {
    if (++depth_ > kMaxDepth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  JsonDocument& doc_;
  int depth_ = 0;
  bool too_deep_ = false;
};

// A parsed body: the document and the buffer its strings point into.
class ParsedJson {
 public:
  ParsedJson() = default;
  ParsedJson(const ParsedJson&) = delete;
  ParsedJson& operator=(const ParsedJson&) = delete;

  // Parses `json`; the error (which never quotes the input) on failure.
  absl::Status Parse(absl::string_view json) {
    if (json.size() > kMaxBodyBytes) {
      return BadResponse(absl::StrCat("response body is larger than ", kMaxBodyBytes, " bytes"));
    }
    // A UTF-8 byte order mark is not JSON but is harmless; tolerate it.
    absl::ConsumePrefix(&json, "\xEF\xBB\xBF");
    buffer_.reserve(json.size() + kParsePadding);
    buffer_.assign(json.data(), json.size());
    buffer_.append(kParsePadding, '\0');
    Run run{buffer_.data(), json.size(), {}, false};
    doc_.Populate(run);  // owns the document's value stack, cleared on failure
    if (run.too_deep) {
      return BadResponse(absl::StrCat("response body nests deeper than ", kMaxDepth, " levels"));
    }
    if (run.result.IsError()) {
      return BadResponse(absl::StrCat("response body is not valid JSON: ",
                                      rapidjson::GetParseError_En(run.result.Code()),
                                      " (at byte ", run.result.Offset(), ")"));
    }
    return absl::OkStatus();
  }

  const JsonDocument& doc() const { return doc_; }

 private:
  // Generator for Document::Populate.
  struct Run {
    char* text;  // NUL-terminated (and padded) copy of the body
    size_t size;
    rapidjson::ParseResult result;
    bool too_deep;

    bool operator()(JsonDocument& doc) {
      DepthLimitedHandler handler(doc);
      rapidjson::InsituStringStream stream(text);
      rapidjson::Reader reader;
      result = reader.Parse<kParseFlags>(stream, handler);
      too_deep = handler.too_deep();
      // The reader takes a NUL byte for the end of input: whatever follows one
      // would be silently dropped. The body is sized, so insist on all of it.
      if (!result.IsError() && stream.Tell() != size) {
        result.Set(rapidjson::kParseErrorDocumentRootNotSingular, stream.Tell());
      }
      return !result.IsError();
    }
  };

  // The DOM of a full answer (17 fields with polygons) is ~7 KB once strings
  // stay in buffer_: keep it on the stack rather than in a 64 KB heap chunk.
  static constexpr size_t kPoolBytes = 8 * 1024;
  static constexpr size_t kPoolChunkBytes = 16 * 1024;  // for bigger answers

  std::string buffer_;  // declared first: outlives the document pointing into it
  alignas(std::max_align_t) char pool_bytes_[kPoolBytes];
  rapidjson::MemoryPoolAllocator<> pool_{pool_bytes_, sizeof(pool_bytes_), kPoolChunkBytes};
  JsonDocument doc_{&pool_};
};

absl::string_view View(const JsonValue& string_value) {
  return absl::string_view(string_value.GetString(), string_value.GetStringLength());
}

// The member `key` of `object` (which must be an object), or nullptr when it is
// missing or null: nulls count as missing everywhere.
const JsonValue* Member(const JsonValue& object, absl::string_view key) {
  const JsonValue name(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

float ToFloat(const JsonValue& number) {
  // GetDouble converts every integer kind; clamp, as a double beyond float's
  // range has no defined conversion.
  const double d = number.GetDouble();
  constexpr double kMax = std::numeric_limits<float>::max();
  return static_cast<float>(std::clamp(d, -kMax, kMax));
}

int32_t ToInt32(const JsonValue& number) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  if (number.IsInt()) return number.GetInt();
  if (number.IsInt64()) return number.GetInt64() < 0 ? kMin : kMax;
  if (number.IsUint64()) return kMax;
  // Clamp first: lround of an out-of-range double is unspecified. Halves
  // round away from zero.
  const double d = std::clamp(number.GetDouble(), static_cast<double>(kMin),
                              static_cast<double>(kMax));
  return static_cast<int32_t>(std::lround(d));
}

// Well-formed UTF-8 (Unicode table 3-7: no overlongs, surrogates or code
// points past U+10FFFF), checked by RapidJSON's own validator: the check its
// kParseValidateEncodingFlag parse runs on every string. That flag is not used
// on the body itself, because
// - only text that reaches a proto string must be UTF-8: bytes in ignored keys
//   are ignored like the keys (golden case invalid_utf8_ignored_key);
// - it checks the raw bytes, not what escapes decode to, and RapidJSON 1.1.0
//   decodes a lone low surrogate ("\udc00") to bytes that are not UTF-8;
// - it turns off the SSE2 string scan for the whole body, base64 images included.
// So the same validator runs on each decoded string that lands in the result.
bool IsUtf8(absl::string_view text) {
  struct Discard {
    void Put(char) {}
  } discard;
  rapidjson::MemoryStream in(text.data(), text.size());
  while (in.Tell() < text.size()) {
    if (!rapidjson::UTF8<>::Validate(in, discard)) return false;
  }
  return true;
}

enum class Text { kCopied, kWrongType, kInvalidUtf8 };

// Writes a string, or a number as its text, into `out`; for any other type
// or a string that is not UTF-8, `out` is left untouched.
Text CopyText(const JsonValue& value, std::string* out) {
  if (value.IsString()) {
    const absl::string_view text = View(value);
    if (!IsUtf8(text)) return Text::kInvalidUtf8;
    out->assign(text.data(), text.size());
    return Text::kCopied;
  }
  if (!value.IsNumber()) return Text::kWrongType;
  if (value.IsInt64()) {
    *out = absl::StrCat(value.GetInt64());
  } else if (value.IsUint64()) {
    *out = absl::StrCat(value.GetUint64());
  } else {
    // Shortest text that reads back as the same double (no "%g" rounding).
    char buffer[32];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value.GetDouble());
    if (error != std::errc()) return Text::kWrongType;
    out->assign(buffer, end);
  }
  return Text::kCopied;
}

absl::Status NotUtf8(absl::string_view path_prefix, absl::string_view key,
                     absl::string_view member) {
  return BadResponse(absl::StrCat(path_prefix, key, ".", member, " is not valid UTF-8"));
}

// DD-MM-YYYY or DD/MM/YYYY, a real calendar day, into `date`.
bool ParseKtpDate(absl::string_view text, google::type::Date* date) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() != 10) return false;
  const char separator = text[2];
  if ((separator != '-' && separator != '/') || text[5] != separator) return false;
  auto digits = [&text](size_t pos, size_t count, int* out) {
    int n = 0;
    for (size_t i = pos; i < pos + count; ++i) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
      n = n * 10 + (text[i] - '0');
    }
    *out = n;
    return true;
  };
  int day = 0, month = 0, year = 0;
  if (!digits(0, 2, &day) || !digits(3, 2, &month) || !digits(6, 4, &year)) return false;
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  static constexpr std::array<int, 12> kDaysInMonth = {31, 28, 31, 30, 31, 30,
                                                       31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days = kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day > days) return false;
  date->set_year(year);
  date->set_month(month);
  date->set_day(day);
  return true;
}

// `polygon`: [[[x,y],...],...]. Malformed polygons and vertices are skipped.
void MapPolygons(const JsonValue& polygons, v1::KtpField* field) {
  if (!polygons.IsArray()) return;
  for (const JsonValue& polygon : polygons.GetArray()) {
    if (!polygon.IsArray()) continue;
    v1::Polygon* out = nullptr;
    for (const JsonValue& vertex : polygon.GetArray()) {
      if (!vertex.IsArray() || vertex.Size() != 2 || !vertex[0].IsNumber() ||
          !vertex[1].IsNumber()) {
        continue;
      }
      if (out == nullptr) out = field->add_polygons();  // no empty polygons
      v1::Vertex* v = out->add_vertices();
      v->set_x(ToInt32(vertex[0]));
      v->set_y(ToInt32(vertex[1]));
    }
  }
}

// One field object of `read` (`read_key` names it in errors). Unknown keys
// (value_original, confidence_text, page_index, ...) are ignored; a repeated
// key: the last one wins. Text that is not UTF-8 is an error.
absl::Status MapField(const JsonValue& object, absl::string_view read_key, bool is_date,
                      v1::KtpField* field) {
  for (const auto& member : object.GetObject()) {
    const absl::string_view key = View(member.name);
    const JsonValue& value = member.value;
    if (key == "value") {
      // Other types leave it as it was.
      if (CopyText(value, field->mutable_value()) == Text::kInvalidUtf8) {
        return NotUtf8("read.", read_key, key);
      }
    } else if (key == "confidence") {
      if (value.IsNumber()) field->set_confidence(ToFloat(value));
    } else if (key == "confidence_field") {
      if (value.IsNumber()) field->set_confidence_field(ToFloat(value));
    } else if (key == "polygon") {
      field->clear_polygons();
      MapPolygons(value, field);
    } else if (key == "raw_text") {
      std::string text;
      const Text copied = CopyText(value, &text);
      if (copied == Text::kInvalidUtf8) return NotUtf8("read.", read_key, key);
      if (copied == Text::kCopied) field->set_raw_text(std::move(text));
    }
  }
  if (is_date && !ParseKtpDate(field->value(), field->mutable_date_value())) {
    field->clear_date_value();
  }
  return absl::OkStatus();
}

// Both spellings of each `read` key. Sorted by key for binary search (checked below).
struct FieldKey {
  std::string_view key;
  v1::KtpField* (v1::KtpCard::*mutable_field)();
  bool is_date;
};
constexpr FieldKey kFieldKeys[] = {
    {"agama", &v1::KtpCard::mutable_religion, false},
    {"alamat", &v1::KtpCard::mutable_address, false},
    {"berlakuHingga", &v1::KtpCard::mutable_valid_until, true},
    {"berlaku_hingga", &v1::KtpCard::mutable_valid_until, true},
    {"golonganDarah", &v1::KtpCard::mutable_blood_type, false},
    {"golongan_darah", &v1::KtpCard::mutable_blood_type, false},
    {"jenisKelamin", &v1::KtpCard::mutable_sex, false},
    {"jenis_kelamin", &v1::KtpCard::mutable_sex, false},
    {"kecamatan", &v1::KtpCard::mutable_district, false},
    {"kelurahanDesa", &v1::KtpCard::mutable_village, false},
    {"kelurahan_desa", &v1::KtpCard::mutable_village, false},
    {"kewarganegaraan", &v1::KtpCard::mutable_nationality, false},
    {"kotaKabupaten", &v1::KtpCard::mutable_city_regency, false},
    {"kota_kabupaten", &v1::KtpCard::mutable_city_regency, false},
    {"nama", &v1::KtpCard::mutable_name, false},
    {"nik", &v1::KtpCard::mutable_nik, false},
    {"pekerjaan", &v1::KtpCard::mutable_occupation, false},
    {"provinsi", &v1::KtpCard::mutable_province, false},
    {"rtRw", &v1::KtpCard::mutable_rt_rw, false},
    {"rt_rw", &v1::KtpCard::mutable_rt_rw, false},
    {"statusPerkawinan", &v1::KtpCard::mutable_marital_status, false},
    {"status_perkawinan", &v1::KtpCard::mutable_marital_status, false},
    {"tanggalLahir", &v1::KtpCard::mutable_birth_date, true},
    {"tanggal_lahir", &v1::KtpCard::mutable_birth_date, true},
    {"tempatLahir", &v1::KtpCard::mutable_birth_place, false},
    {"tempat_lahir", &v1::KtpCard::mutable_birth_place, false},
};

constexpr bool IsSorted() {
  for (size_t i = 1; i < std::size(kFieldKeys); ++i) {
    if (!(kFieldKeys[i - 1].key < kFieldKeys[i].key)) return false;
  }
  return true;
}
static_assert(IsSorted(), "kFieldKeys must be sorted by key");

const FieldKey* FindFieldKey(absl::string_view key) {
  const std::string_view k(key.data(), key.size());
  const FieldKey* end = std::end(kFieldKeys);
  const FieldKey* it = std::lower_bound(
      std::begin(kFieldKeys), end, k,
      [](const FieldKey& entry, std::string_view wanted) { return entry.key < wanted; });
  return (it != end && it->key == k) ? it : nullptr;
}

absl::Status MapRead(const JsonValue& read, v1::KtpCard* card) {
  for (const auto& member : read.GetObject()) {
    // A field that is not an object (null included) is ignored, not an error.
    if (!member.value.IsObject()) continue;
    const FieldKey* entry = FindFieldKey(View(member.name));
    if (entry == nullptr) continue;
    v1::KtpField* field = (card->*entry->mutable_field)();
    field->Clear();  // a repeated or differently-spelt key replaces, never merges
    const absl::string_view key(entry->key.data(), entry->key.size());
    absl::Status status = MapField(member.value, key, entry->is_date, field);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// A quality flag: true/false, 0/1 or "true"/"false"; nullopt-like false return
// for anything else so the flag keeps its default.
bool ReadFlag(const JsonValue& value, bool* flag) {
  if (value.IsBool()) {
    *flag = value.GetBool();
    return true;
  }
  if (value.IsNumber()) {
    const double d = value.GetDouble();
    if (d != 0.0 && d != 1.0) return false;
    *flag = d == 1.0;
    return true;
  }
  if (value.IsString()) {
    const absl::string_view s = absl::StripAsciiWhitespace(View(value));
    if (absl::EqualsIgnoreCase(s, "true")) {
      *flag = true;
      return true;
    }
    if (absl::EqualsIgnoreCase(s, "false")) {
      *flag = false;
      return true;
    }
  }
  return false;
}

struct QualityKey {
  absl::string_view key;
  void (v1::ImageQualities::*set)(bool);
};
constexpr QualityKey kQualityKeys[] = {
    {"is_blurred", &v1::ImageQualities::set_blurred},
    {"is_bright", &v1::ImageQualities::set_bright},
    {"is_copy", &v1::ImageQualities::set_copy},
    {"is_cropped", &v1::ImageQualities::set_cropped},
    {"is_dark", &v1::ImageQualities::set_dark},
    {"is_flash", &v1::ImageQualities::set_flash},
    {"is_ktp", &v1::ImageQualities::set_ktp},
    {"is_rotated", &v1::ImageQualities::set_rotated},
    {"is_taken_from_screen", &v1::ImageQualities::set_taken_from_screen},
};

void MapQualities(const JsonValue& object, v1::ImageQualities* qualities) {
  for (const auto& member : object.GetObject()) {
    const absl::string_view key = View(member.name);
    for (const QualityKey& entry : kQualityKeys) {
      if (entry.key != key) continue;
      bool flag = false;
      if (ReadFlag(member.value, &flag)) (qualities->*entry.set)(flag);
      break;
    }
  }
}

// Decodes a base64 image straight into `out` (the proto's own string). Tolerates
// a data: URI prefix, whitespace/newlines, missing padding and the URL-safe alphabet.
absl::Status DecodeImage(const JsonValue& value, absl::string_view path, std::string* out) {
  if (!value.IsString()) return BadResponse(absl::StrCat(path, " is not a string"));
  absl::string_view text = absl::StripLeadingAsciiWhitespace(View(value));
  if (absl::StartsWithIgnoreCase(text, "data:")) {
    const size_t comma = text.find(',');
    if (comma == absl::string_view::npos) {
      return BadResponse(absl::StrCat(path, " is not valid base64"));
    }
    text.remove_prefix(comma + 1);
  }
  if (absl::Base64Unescape(text, out) || absl::WebSafeBase64Unescape(text, out)) {
    return absl::OkStatus();
  }
  out->clear();
  return BadResponse(absl::StrCat(path, " is not valid base64"));
}

// `images.<primary>` or, when missing, `images.<alternate>`.
absl::Status MapImage(const JsonValue& images, absl::string_view primary,
                      absl::string_view alternate, std::string* out) {
  absl::string_view key = primary;
  const JsonValue* value = Member(images, primary);
  if (value == nullptr) {
    key = alternate;
    value = Member(images, alternate);
  }
  if (value == nullptr) return absl::OkStatus();
  return DecodeImage(*value, absl::StrCat("images.", key), out);
}

}  // namespace

v1::ReadStatus MapDocumentStatus(absl::string_view status) {
  struct Entry {
    absl::string_view name;
    v1::ReadStatus value;
  };
  static constexpr Entry kStatuses[] = {
      {"SUCCESS", v1::READ_STATUS_SUCCESS},
      {"NO_FILE", v1::READ_STATUS_NO_FILE},
      {"FILE_INVALID_FORMAT", v1::READ_STATUS_FILE_INVALID_FORMAT},
      {"FAILED", v1::READ_STATUS_FAILED},
      {"UNRECOGNIZED_DOCUMENT_TYPE", v1::READ_STATUS_UNRECOGNIZED_DOCUMENT_TYPE},
      {"MULTIPLE_DOCUMENTS_DETECTED", v1::READ_STATUS_MULTIPLE_DOCUMENTS_DETECTED},
  };
  status = absl::StripAsciiWhitespace(status);
  for (const Entry& entry : kStatuses) {
    if (absl::EqualsIgnoreCase(status, entry.name)) return entry.value;
  }
  return v1::READ_STATUS_UNKNOWN;
}

absl::StatusOr<backend::OcrResult> MapResponseBody(absl::string_view json) {
  ParsedJson parsed;
  if (absl::Status status = parsed.Parse(json); !status.ok()) return status;
  const JsonDocument& doc = parsed.doc();
  if (!doc.IsObject()) return BadResponse("response body is not a JSON object");

  backend::OcrResult result;
  // A missing or non-string status is one this version does not know either.
  result.status = v1::READ_STATUS_UNKNOWN;
  if (const JsonValue* status = Member(doc, "status"); status && status->IsString()) {
    result.status = MapDocumentStatus(View(*status));
  }
  if (const JsonValue* reason = Member(doc, "reason"); reason && reason->IsString()) {
    if (!IsUtf8(View(*reason))) return BadResponse("reason is not valid UTF-8");
    result.reason.assign(reason->GetString(), reason->GetStringLength());
  }
  // Container keys of the wrong type are ignored like missing ones: only an
  // image that is present but undecodable makes the whole answer unusable.
  if (const JsonValue* read = Member(doc, "read"); read && read->IsObject()) {
    if (absl::Status status = MapRead(*read, &result.card); !status.ok()) return status;
  }
  if (const JsonValue* images = Member(doc, "images"); images && images->IsObject()) {
    absl::Status status = MapImage(*images, "photo", "foto", result.images.mutable_photo());
    if (!status.ok()) return status;
    status = MapImage(*images, "sign", "tanda_tangan", result.images.mutable_signature());
    if (!status.ok()) return status;
  }
  const JsonValue* qualities = Member(doc, "qualities");
  if (qualities == nullptr || !qualities->IsObject()) qualities = Member(doc, "condition");
  if (qualities != nullptr && qualities->IsObject()) {
    result.has_qualities = true;
    MapQualities(*qualities, &result.qualities);
  }
  return result;
}

std::string ExtractStatusString(absl::string_view json) {
  ParsedJson parsed;
  if (!parsed.Parse(json).ok() || !parsed.doc().IsObject()) return std::string();
  const JsonValue* status = Member(parsed.doc(), "status");
  if (status == nullptr || !status->IsString() || !IsUtf8(View(*status))) {
    return std::string();
  }
  return std::string(View(*status));
}

}  // namespace ktp::upstream
