// KTP OCR lines → the 17 typed fields (see field_parser.h). Owns label
// finding, value splitting and cleaning, NIK repair, vocabulary and region
// snapping, and the per-field confidence / polygon / raw text.
//
// Shape of the parse:
//   1. Sanitise every line (printable ASCII only, bounded sizes) and build its
//      folded comparison key (ktp_vocabulary.h), remembering where each key
//      character came from so a label match maps back to a text offset.
//   2. Header: a PROVINSI line near the top, then the regency/city line.
//   3. Labels: each line's start is matched against the 14 labels; inside the
//      value, the next few labels in card order are looked for too (merged
//      lines, "Jenis Kelamin : X Gol. Darah : Y").
//   4. Unlabelled lines: address continuations, values split onto the next
//      line, then positional fallback for labels that were not recognised.
//   5. Per field: clean, repair, snap, score.
#include "reader/field_parser.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "reader/ktp_vocabulary.h"

namespace ktp::reader {
namespace {

// Bounds that keep garbage input cheap; a real card has ~17 lines of < 60 chars.
constexpr size_t kMaxLines = 64;
constexpr size_t kMaxWordsPerLine = 64;
constexpr size_t kMaxLineChars = 512;

// The printed labels, in card order (the order matters: positional fallback
// and merged-line detection rely on it).
enum Label : int {
  kNik,
  kNama,
  kTtl,
  kJenisKelamin,
  kGolDarah,
  kAlamat,
  kRtRw,
  kKelDesa,
  kKecamatan,
  kAgama,
  kStatus,
  kPekerjaan,
  kKewarganegaraan,
  kBerlaku,
  kLabelCount
};

struct LabelSpec {
  const char* printed;
  int words;  // how many words the printed label usually takes
};
constexpr LabelSpec kLabels[kLabelCount] = {
    {"NIK", 1},         {"Nama", 1},      {"Tempat/Tgl Lahir", 2}, {"Jenis Kelamin", 2},
    {"Gol. Darah", 2},  {"Alamat", 1},    {"RT/RW", 1},            {"Kel/Desa", 1},
    {"Kecamatan", 1},   {"Agama", 1},     {"Status Perkawinan", 2}, {"Pekerjaan", 1},
    {"Kewarganegaraan", 1}, {"Berlaku Hingga", 2},
};

const std::string& LabelKey(int label) {
  static const std::vector<std::string>* const keys = [] {
    auto* k = new std::vector<std::string>();
    for (const LabelSpec& spec : kLabels) k->push_back(FoldedKey(spec.printed));
    return k;
  }();
  return (*keys)[static_cast<size_t>(label)];
}

// Label confidence given to a field placed by position only.
constexpr float kPositionalLabelConfidence = 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// ---------------------------------------------------------------------------
// Lines

struct Word {
  std::string text;
  float confidence = 0;
  PixelBox box;
  size_t begin = 0;  // offsets in Line::text
  size_t end = 0;
};

struct Line {
  std::string text;  // the words joined by single spaces
  std::vector<Word> words;
  std::string key;              // folded key of the words
  std::vector<size_t> key_end;  // per key char: Line::text offset just past it
  std::vector<int> key_word;    // per key char: index into words
};

float Clamp100(double v) { return static_cast<float>(std::clamp(v, 0.0, 100.0)); }

// Tesseract can hand over any bytes; keep printable ASCII (a KTP prints
// nothing else), so every value is valid UTF-8 for the proto.
std::vector<std::string> SanitisedTokens(std::string_view raw) {
  std::vector<std::string> tokens;
  std::string current;
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) continue;
    if (c <= 0x20 || c == 0x7f) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
      continue;
    }
    current.push_back(ch);
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

Line PrepareLine(const OcrLine& in) {
  std::vector<OcrWord> source = in.words;
  if (source.empty()) {
    // No word detail: the whole line stands in as each word's evidence.
    OcrWord w;
    w.text = in.text;
    w.confidence = in.confidence;
    w.box = in.box;
    source.push_back(std::move(w));
  }
  Line line;
  for (const OcrWord& w : source) {
    if (line.words.size() >= kMaxWordsPerLine || line.text.size() >= kMaxLineChars) break;
    for (std::string& token : SanitisedTokens(w.text)) {
      if (line.words.size() >= kMaxWordsPerLine || line.text.size() >= kMaxLineChars) break;
      if (token.size() > kMaxLineChars) token.resize(kMaxLineChars);
      if (!line.text.empty()) line.text.push_back(' ');
      Word word;
      word.begin = line.text.size();
      line.text += token;
      word.end = line.text.size();
      word.text = std::move(token);
      word.confidence = Clamp100(w.confidence);
      word.box = w.box;
      line.words.push_back(std::move(word));
    }
  }
  for (size_t i = 0; i < line.words.size(); ++i) {
    const Word& w = line.words[i];
    std::vector<size_t> ends;
    AppendFoldedKey(w.text, &line.key, &ends);
    for (size_t e : ends) {
      line.key_end.push_back(w.begin + e);
      line.key_word.push_back(static_cast<int>(i));
    }
  }
  return line;
}

// Key index of the first key character of word `w`, or npos.
size_t KeyIndexOfWord(const Line& line, int w) {
  for (size_t i = 0; i < line.key_word.size(); ++i) {
    if (line.key_word[i] == w) return i;
    if (line.key_word[i] > w) break;
  }
  return std::string::npos;
}

// ---------------------------------------------------------------------------
// Label matching

struct KeyMatch {
  int edits = 1 << 20;
  size_t key_len = 0;  // key characters consumed
};

// Best alignment of `label` against a prefix of the line key from `start`.
KeyMatch MatchAt(const Line& line, size_t start, const std::string& label) {
  KeyMatch best;
  if (start >= line.key.size() || label.empty()) return best;
  const size_t n = label.size();
  const size_t max_k = std::min(line.key.size() - start, n + 3);
  std::vector<int> row(max_k + 1), next(max_k + 1);
  for (size_t k = 0; k <= max_k; ++k) row[k] = static_cast<int>(k);
  for (size_t i = 1; i <= n; ++i) {
    next[0] = static_cast<int>(i);
    for (size_t k = 1; k <= max_k; ++k) {
      const int sub = row[k - 1] + (label[i - 1] == line.key[start + k - 1] ? 0 : 1);
      next[k] = std::min({row[k] + 1, next[k - 1] + 1, sub});
    }
    std::swap(row, next);
  }
  for (size_t k = 1; k <= max_k; ++k) {
    const auto dist_to_n = [n](size_t x) { return x > n ? x - n : n - x; };
    if (row[k] < best.edits || (row[k] == best.edits && dist_to_n(k) < dist_to_n(best.key_len))) {
      best.edits = row[k];
      best.key_len = k;
    }
  }
  return best;
}

// OCR errors tolerated in a label of `n` key characters.
int AllowedEdits(size_t n) {
  if (n <= 3) return 0;
  if (n <= 5) return 1;
  return static_cast<int>(n * 3 / 10);
}

struct LabelHit {
  int label = -1;
  double distance = 1;    // normalised label distance (0 = exact)
  size_t label_end = 0;   // text offset just past the label
  size_t key_end = 0;     // key index just past the label
};

bool IsSeparator(char c) {
  return c == ' ' || c == ':' || c == ';' || c == '.' || c == ',' || c == '=' || c == '~' || c == '|' ||
         c == '_' || c == '\'' || c == '"' || c == '`' || c == '-' || c == '!' || c == '*';
}

// Where the value starts after a label ending at `label_end`: past a colon
// right after it (a garbled label may end a character early), else past
// separators.
size_t ValueStart(const Line& line, size_t label_end) {
  const std::string& t = line.text;
  size_t i = std::min(label_end, t.size());
  for (size_t j = i; j < std::min(t.size(), label_end + 4); ++j) {
    if (t[j] == ':' || t[j] == ';') {
      i = j + 1;
      break;
    }
  }
  while (i < t.size() && IsSeparator(t[i]) && t[i] != '-') ++i;
  // A lone "-" is a value (blood type); "- X" is a stray dash.
  if (i < t.size() && t[i] == '-' && i + 1 < t.size() && (t[i + 1] == ' ' || t[i + 1] == '-')) {
    while (i < t.size() && IsSeparator(t[i])) ++i;
  }
  return i;
}

bool SeparatorFollows(const Line& line, size_t pos) {
  for (size_t j = pos; j < std::min(line.text.size(), pos + 3); ++j) {
    if (line.text[j] == ':' || line.text[j] == ';') return true;
  }
  return false;
}

// The best label at the start of a line (allowing up to two stray leading
// words of background noise), among labels not yet used.
LabelHit MatchLineStart(const Line& line, const bool used[kLabelCount]) {
  LabelHit best;
  int skipped_words = 0;
  for (size_t start = 0; start < line.key.size() && skipped_words <= 2;) {
    for (int label = 0; label < kLabelCount; ++label) {
      if (used[label]) continue;
      const std::string& key = LabelKey(label);
      const KeyMatch m = MatchAt(line, start, key);
      if (m.edits > AllowedEdits(key.size())) continue;
      // A stray leading word must be short noise, and costs a little.
      const double d = static_cast<double>(m.edits) / key.size() + 0.02 * skipped_words;
      if (d < best.distance) {
        best.label = label;
        best.distance = d;
        best.key_end = start + m.key_len;
        best.label_end = line.key_end[start + m.key_len - 1];
      }
    }
    if (best.label >= 0) break;
    // Move to the next word, but only past a short noise word.
    const int w = line.key_word[start];
    if (line.words[static_cast<size_t>(w)].text.size() > 2) break;
    while (start < line.key.size() && line.key_word[start] == w) ++start;
    ++skipped_words;
  }
  return best;
}

// ---------------------------------------------------------------------------
// Text with provenance: every character knows its line and offset, so the
// evidence (words) behind any substring can be recovered after splitting.

struct Piece {
  size_t line = 0;
  size_t begin = 0;
  size_t end = 0;
};

struct Traced {
  std::string text;
  std::vector<std::pair<size_t, size_t>> origin;  // (line, offset) per char
};

Traced Trace(const std::vector<Line>& lines, const std::vector<Piece>& pieces) {
  Traced t;
  for (const Piece& p : pieces) {
    const std::string& s = lines[p.line].text;
    const size_t end = std::min(p.end, s.size());
    if (p.begin >= end) continue;
    if (!t.text.empty()) {
      t.text.push_back(' ');
      t.origin.push_back(t.origin.back());
    }
    for (size_t i = p.begin; i < end; ++i) {
      t.text.push_back(s[i]);
      t.origin.emplace_back(p.line, i);
    }
  }
  return t;
}

Traced Sub(const Traced& t, size_t begin, size_t end) {
  Traced s;
  end = std::min(end, t.text.size());
  if (begin >= end) return s;
  s.text = t.text.substr(begin, end - begin);
  s.origin.assign(t.origin.begin() + static_cast<std::ptrdiff_t>(begin),
                  t.origin.begin() + static_cast<std::ptrdiff_t>(end));
  return s;
}

// Drops leading and trailing characters that are not letters or digits
// (stray punctuation from the background), keeping a closing '.' or ')'.
Traced TrimStray(const Traced& t) {
  size_t b = 0, e = t.text.size();
  while (b < e && !IsAlnum(t.text[b])) ++b;
  while (e > b && !IsAlnum(t.text[e - 1]) && t.text[e - 1] != '.' && t.text[e - 1] != ')') --e;
  // ...but not a lone trailing dot ("X ." is noise).
  if (e >= b + 2 && t.text[e - 1] == '.' && t.text[e - 2] == ' ') {
    e -= 1;
    while (e > b && !IsAlnum(t.text[e - 1])) --e;
  }
  return Sub(t, b, e);
}

Traced TrimSpaces(const Traced& t) {
  size_t b = 0, e = t.text.size();
  while (b < e && t.text[b] == ' ') ++b;
  while (e > b && t.text[e - 1] == ' ') --e;
  return Sub(t, b, e);
}

struct Evidence {
  bool any = false;
  float confidence = 0;
  PixelBox box;
};

// The words behind a traced text: their mean confidence and union box.
Evidence EvidenceOf(const std::vector<Line>& lines, const Traced& t) {
  Evidence ev;
  std::vector<std::pair<size_t, size_t>> seen;
  double sum = 0;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  for (size_t i = 0; i < t.text.size(); ++i) {
    if (t.text[i] == ' ') continue;
    const auto [li, pos] = t.origin[i];
    const std::vector<Word>& words = lines[li].words;
    for (size_t w = 0; w < words.size(); ++w) {
      if (pos < words[w].begin || pos >= words[w].end) continue;
      if (std::find(seen.begin(), seen.end(), std::make_pair(li, w)) != seen.end()) break;
      seen.emplace_back(li, w);
      const Word& word = words[w];
      sum += word.confidence;
      const int wx1 = word.box.x + std::max(0, word.box.w);
      const int wy1 = word.box.y + std::max(0, word.box.h);
      if (!ev.any) {
        x0 = word.box.x, y0 = word.box.y, x1 = wx1, y1 = wy1;
      } else {
        x0 = std::min(x0, word.box.x), y0 = std::min(y0, word.box.y);
        x1 = std::max(x1, wx1), y1 = std::max(y1, wy1);
      }
      ev.any = true;
      break;
    }
  }
  if (ev.any) {
    ev.confidence = Clamp100(sum / static_cast<double>(seen.size()));
    ev.box = {x0, y0, x1 - x0, y1 - y0};
  }
  return ev;
}

// ---------------------------------------------------------------------------
// Value cleaning

// Upper case, single spaces, tokens of pure noise punctuation dropped, stray
// punctuation trimmed at both ends; inner punctuation ("JL. X NO. 10") kept.
std::string CleanText(std::string_view raw) {
  std::string out;
  for (const std::string& token : SanitisedTokens(raw)) {
    bool has_alnum = false;
    for (char c : token) has_alnum = has_alnum || IsAlnum(c);
    if (!has_alnum && token != "-" && token != "/" && token != "&") continue;
    if (!out.empty()) out.push_back(' ');
    for (char c : token) out.push_back(Upper(c));
  }
  size_t b = 0, e = out.size();
  while (b < e && !IsAlnum(out[b])) ++b;
  while (e > b && !IsAlnum(out[e - 1]) && out[e - 1] != '.' && out[e - 1] != ')') --e;
  return out.substr(b, e - b);
}

// For names and places, which have no digits: undo digit-for-letter misreads.
std::string DigitsToLetters(std::string s) {
  for (char& c : s) {
    switch (c) {
      case '0': c = 'O'; break;
      case '1': c = 'I'; break;
      case '5': c = 'S'; break;
      case '8': c = 'B'; break;
      case '4': c = 'A'; break;
      case '6': c = 'G'; break;
      case '2': c = 'Z'; break;
      case '7': c = 'T'; break;
      default: break;
    }
  }
  return s;
}

// Letters Tesseract reads in place of digits inside numbers; '\0' if none.
char DigitForConfusable(char c) {
  if (IsDigit(c)) return c;
  switch (c) {
    case 'O': case 'o': case 'D': case 'Q': return '0';
    case 'I': case 'l': case '|': case 'i': case '!': case 'L': return '1';
    case 'Z': case 'z': return '2';
    case 'S': case 's': return '5';
    case 'B': return '8';
    case 'G': case 'b': return '6';
    case 'T': return '7';
    case 'A': return '4';
    case 'g': case 'q': return '9';
    default: return '\0';
  }
}

// ---------------------------------------------------------------------------
// Dates

struct Date {
  int day = 0;
  int month = 0;
  int year = 0;
};

bool ValidDate(const Date& d) {
  if (d.year < 1900 || d.year > 2200 || d.month < 1 || d.month > 12 || d.day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kDays[d.month - 1];
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  if (d.month == 2 && leap) days = 29;
  return d.day <= days;
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// "07-08-1985", "07 - 08 - 1985", "7-8-1985", "07081985", with letter
// confusions; false unless it is a valid calendar date.
bool ParseDate(std::string_view text, Date* out, int* repairs) {
  std::vector<std::string> groups;
  std::string current;
  int fixes = 0;
  for (char c : text) {
    const char d = DigitForConfusable(c);
    if (d != '\0') {
      if (!IsDigit(c)) ++fixes;
      current.push_back(d);
    } else {
      if (!current.empty()) groups.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) groups.push_back(std::move(current));
  std::string all;
  for (const std::string& g : groups) all += g;
  Date d;
  if (groups.size() == 3 && groups[0].size() <= 2 && groups[1].size() <= 2 && groups[2].size() == 4) {
    d = {ToInt(groups[0]), ToInt(groups[1]), ToInt(groups[2])};
  } else if (all.size() == 8) {
    d = {ToInt(all.substr(0, 2)), ToInt(all.substr(2, 2)), ToInt(all.substr(4, 4))};
  } else {
    return false;
  }
  if (!ValidDate(d)) return false;
  *out = d;
  if (repairs) *repairs = fixes;
  return true;
}

std::string FormatDate(const Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d-%02d-%04d", d.day, d.month, d.year);
  return buf;
}

// Start of the date inside "PLACE, DD-MM-YYYY": the first digit from which
// only date characters follow (and at least four digits), or npos.
size_t DateStart(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsDigit(s[i])) continue;
    int digits = 0;
    bool ok = true;
    for (size_t j = i; j < s.size() && ok; ++j) {
      const char c = s[j];
      if (IsDigit(c)) {
        ++digits;
      } else if (!(c == ' ' || c == '-' || c == '/' || c == '.' || c == ',' || DigitForConfusable(c) != '\0')) {
        ok = false;
      }
    }
    if (!ok || digits < 4) continue;
    // "O7-08-1985": a confusable letter glued to the day's single digit.
    if (i > 0 && DigitForConfusable(s[i - 1]) != '\0' && (i + 1 >= s.size() || !IsDigit(s[i + 1])) &&
        (i < 2 || !IsAlnum(s[i - 2]))) {
      return i - 1;
    }
    return i;
  }
  return std::string::npos;
}

// ---------------------------------------------------------------------------
// Output

struct FieldOut {
  std::string value;
  std::string raw;
  Evidence evidence;
  double factor = 1.0;       // confidence multiplier for repairs and snaps
  float label_confidence = 0;
  bool has_date = false;
  Date date;
};

void Emit(const FieldOut& f, v1::KtpField* field) {
  field->set_value(f.value);
  field->set_confidence(Clamp100(f.evidence.confidence * f.factor));
  field->set_confidence_field(Clamp100(f.label_confidence));
  field->set_raw_text(f.raw);
  if (f.evidence.any) {
    const PixelBox& b = f.evidence.box;
    v1::Polygon* p = field->add_polygons();
    const int xs[4] = {b.x, b.x + b.w, b.x + b.w, b.x};
    const int ys[4] = {b.y, b.y, b.y + b.h, b.y + b.h};
    for (int i = 0; i < 4; ++i) {
      v1::Vertex* v = p->add_vertices();
      v->set_x(xs[i]);
      v->set_y(ys[i]);
    }
  }
  if (f.has_date) {
    field->mutable_date_value()->set_year(f.date.year);
    field->mutable_date_value()->set_month(f.date.month);
    field->mutable_date_value()->set_day(f.date.day);
  }
}

// Value, raw text and evidence of a traced value; empty value when nothing
// but noise was read.
FieldOut Basic(const std::vector<Line>& lines, const Traced& value, float label_confidence) {
  FieldOut f;
  const Traced trimmed = TrimStray(value);
  f.raw = TrimSpaces(value).text;
  f.value = CleanText(trimmed.text);
  f.evidence = EvidenceOf(lines, trimmed.text.empty() ? value : trimmed);
  f.label_confidence = label_confidence;
  return f;
}

// Snaps f.value to a closed vocabulary when within `max_distance`.
void SnapToVocabulary(FieldOut* f, const std::vector<std::string_view>& vocabulary, double max_distance) {
  const VocabularyMatch m = NearestInVocabulary(f->value, vocabulary);
  if (m.value.empty() || m.distance > max_distance) {
    f->factor *= 0.6;  // not a known value: keep what was read, trust it less
    return;
  }
  if (m.value != f->value) f->factor *= (m.distance == 0 ? 0.95 : 0.9);
  f->value = std::string(m.value);
}

// Nearest region by folded key, or nullptr when none is within max_distance.
const Region* NearestRegion(const std::string& text, const std::vector<const Region*>& candidates,
                            double max_distance, double* distance) {
  const Region* best = nullptr;
  double best_d = 2;
  const std::string key = FoldedKey(text);
  if (key.empty()) return nullptr;
  for (const Region* r : candidates) {
    const std::string rk = FoldedKey(r->ktp_name);
    if (rk.empty()) continue;
    // Cheap length bound before the quadratic distance.
    const size_t longer = std::max(key.size(), rk.size());
    const size_t diff = key.size() > rk.size() ? key.size() - rk.size() : rk.size() - key.size();
    if (static_cast<double>(diff) / longer > max_distance) continue;
    const double d = static_cast<double>(EditDistance(key, rk)) / longer;
    if (d < best_d) best_d = d, best = r;
  }
  if (best == nullptr || best_d > max_distance) return nullptr;
  *distance = best_d;
  return best;
}

// Snaps a region field: first to the NIK's region (`expected`, generous),
// else to the best of `candidates` (strict). Returns the region snapped to.
const Region* SnapRegion(FieldOut* f, const Region* expected, const std::vector<const Region*>* candidates,
                         double candidate_max) {
  if (f->value.empty()) return nullptr;
  double d = 1;
  const Region* r = nullptr;
  if (expected != nullptr) r = NearestRegion(f->value, {expected}, 0.35, &d);
  if (r == nullptr && candidates != nullptr) r = NearestRegion(f->value, *candidates, candidate_max, &d);
  if (r == nullptr) return nullptr;
  if (r->ktp_name != f->value) f->factor *= 0.9;
  f->value = r->ktp_name;
  return r;
}

bool DigitHeavy(std::string_view s) {
  int digits = 0, alnum = 0;
  for (char c : s) {
    digits += IsDigit(c);
    alnum += IsAlnum(c);
  }
  return alnum > 0 && digits * 10 >= alnum * 6;
}

int AlnumCount(std::string_view s) {
  int n = 0;
  for (char c : s) n += IsAlnum(c);
  return n;
}

// A prefix "KABUPATEN"/"KOTA"/"KAB." at key index `start`; returns the text
// offset just past it, or npos.
size_t CityPrefixEnd(const Line& line, size_t start) {
  static const std::string kKabupaten = FoldedKey("KABUPATEN");
  const KeyMatch m = MatchAt(line, start, kKabupaten);
  if (m.edits <= 2 && m.key_len >= 7) return line.key_end[start + m.key_len - 1];
  for (const char* prefix : {"kota", "kab"}) {
    const std::string p = prefix;
    if (line.key.compare(start, p.size(), p) != 0) continue;
    const size_t last = start + p.size() - 1;
    const size_t end = line.key_end[last];
    const bool word_end = last + 1 >= line.key.size() || line.key_word[last + 1] != line.key_word[last];
    if (word_end || (end < line.text.size() && line.text[end] == '.')) return end;
  }
  return std::string::npos;
}

// "KAB. BANDUNG" / "KABUPATEN BANDUNG" as a birth place: the place name.
// "KOTA X" loses its prefix only when X is a city ("KOTABARU" is a regency).
std::string StripRegencyPrefix(const std::string& s, const RegionDirectory& regions) {
  for (const char* p : {"KABUPATEN ", "KAB. ", "KAB.", "KAB "}) {
    const std::string prefix = p;
    if (s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0) return CleanText(s.substr(prefix.size()));
  }
  const std::string kota = "KOTA ";
  if (s.size() > kota.size() && s.compare(0, kota.size(), kota) == 0) {
    const std::string rest = CleanText(s.substr(kota.size()));
    double d = 1;
    std::vector<const Region*> cities;
    for (const Region* r : regions.Level(2)) {
      if (r->is_city) cities.push_back(r);
    }
    if (NearestRegion(rest, cities, 0.2, &d) != nullptr) return rest;
  }
  return s;
}

// ---------------------------------------------------------------------------

struct FieldRead {
  bool found = false;       // label read in the text
  bool positional = false;  // placed by line order only
  double label_distance = 1;
  std::vector<Piece> pieces;
};

constexpr int kFree = -1;
constexpr int kHeader = -2;

// Whether a 16-digit NIK agrees with the birth date (DD, +40 for women; MM;
// YY) and the sex read elsewhere on the card. Unknown (not read) counts as
// agreeing: there is nothing to contradict.
struct NikAgreement {
  bool date = true;
  bool sex = true;
  bool date_checked = false;
  bool sex_checked = false;
  bool Corroborated() const { return date && sex && date_checked && sex_checked; }
};

NikAgreement CheckNik(const std::string& nik, const Date* birth, const std::string& sex) {
  NikAgreement a;
  if (nik.size() != 16) return a;
  int dd = ToInt(nik.substr(6, 2));
  const bool female = dd > 40;
  if (female) dd -= 40;
  if (birth != nullptr) {
    a.date_checked = true;
    a.date = dd == birth->day && ToInt(nik.substr(8, 2)) == birth->month &&
             ToInt(nik.substr(10, 2)) == birth->year % 100;
  }
  if (sex == "PEREMPUAN" || sex == "LAKI-LAKI") {
    a.sex_checked = true;
    a.sex = (sex == "PEREMPUAN") == female;
  }
  return a;
}

}  // namespace

ParsedCard ParseKtpText(const std::vector<OcrLine>& input, const RegionDirectory& regions) {
  ParsedCard out;
  std::vector<Line> lines;
  for (size_t i = 0; i < input.size() && lines.size() < kMaxLines; ++i) {
    Line line = PrepareLine(input[i]);
    if (!line.key.empty()) lines.push_back(std::move(line));  // blank/noise-only lines carry nothing
  }
  std::vector<int> owner(lines.size(), kFree);
  FieldRead reads[kLabelCount];
  bool used[kLabelCount] = {};

  // --- Header: PROVINSI X, then KABUPATEN/KOTA Y (or a bare city name).
  static const std::string kProvinsi = FoldedKey("PROVINSI");
  int province_line = -1, city_line = -1;
  size_t province_value = 0, city_value = 0;
  double province_distance = 1, city_distance = 1;
  for (size_t i = 0; i < std::min<size_t>(lines.size(), 4); ++i) {
    const KeyMatch m = MatchAt(lines[i], 0, kProvinsi);
    if (m.edits <= 2) {
      province_line = static_cast<int>(i);
      province_distance = static_cast<double>(m.edits) / kProvinsi.size();
      province_value = ValueStart(lines[i], lines[i].key_end[m.key_len - 1]);
      break;
    }
  }
  {
    const size_t from = province_line >= 0 ? static_cast<size_t>(province_line) + 1 : 0;
    const size_t to = province_line >= 0 ? from + 1 : std::min<size_t>(lines.size(), 3);
    for (size_t i = from; i < std::min(to, lines.size()); ++i) {
      const Line& line = lines[i];
      if (MatchLineStart(line, used).label >= 0 || DigitHeavy(line.text)) continue;
      const size_t prefix_end = CityPrefixEnd(line, 0);
      if (prefix_end != std::string::npos) {
        city_line = static_cast<int>(i);
        city_value = ValueStart(line, prefix_end);
        city_distance = 0;
        break;
      }
      if (province_line >= 0 && AlnumCount(line.text) >= 3) {
        // DKI Jakarta cards print the city without KOTA: trust the position.
        city_line = static_cast<int>(i);
        city_value = 0;
        city_distance = 0.3;
        break;
      }
    }
  }
  if (province_line >= 0) owner[static_cast<size_t>(province_line)] = kHeader;
  if (city_line >= 0) owner[static_cast<size_t>(city_line)] = kHeader;

  // --- Labels, line by line; merged lines yield several.
  for (size_t li = 0; li < lines.size(); ++li) {
    if (owner[li] != kFree) continue;
    const Line& line = lines[li];
    LabelHit hit = MatchLineStart(line, used);
    if (hit.label < 0) continue;
    while (hit.label >= 0) {
      used[hit.label] = true;
      owner[li] = hit.label;
      FieldRead& read = reads[hit.label];
      read.found = true;
      read.label_distance = hit.distance;
      const size_t vstart = ValueStart(line, hit.label_end);
      Piece piece{li, vstart, line.text.size()};
      // Look for the next labels in card order inside the value.
      LabelHit inner;
      for (size_t w = 0; w < line.words.size() && inner.label < 0; ++w) {
        if (line.words[w].begin <= vstart) continue;
        const size_t k = KeyIndexOfWord(line, static_cast<int>(w));
        if (k == std::string::npos) continue;
        for (int label = hit.label + 1; label <= std::min(hit.label + 3, kLabelCount - 1); ++label) {
          if (used[label]) continue;
          const std::string& key = LabelKey(label);
          const KeyMatch m = MatchAt(line, k, key);
          if (m.edits > AllowedEdits(key.size())) continue;
          const size_t end = line.key_end[k + m.key_len - 1];
          if (m.edits == 0 || SeparatorFollows(line, end)) {
            inner.label = label;
            inner.distance = static_cast<double>(m.edits) / key.size();
            inner.label_end = end;
            piece.end = line.words[w].begin;
            break;
          }
        }
      }
      read.pieces.push_back(piece);
      hit = inner;
    }
  }

  // --- Unlabelled lines after a label: address continuation, or the value
  // of a label whose line held nothing else.
  std::vector<bool> continuation(lines.size(), false);
  for (size_t li = 0; li < lines.size(); ++li) {
    if (owner[li] < 0 || continuation[li]) continue;
    int label = owner[li];
    // The last label on a merged line owns what follows it.
    for (int l = 0; l < kLabelCount; ++l) {
      if (reads[l].found && !reads[l].pieces.empty() && reads[l].pieces.back().line == li) label = l;
    }
    FieldRead& read = reads[label];
    int appended = 0;
    for (size_t next = li + 1; next < lines.size() && owner[next] == kFree; ++next) {
      bool empty = true;  // a lone "-" (blood type) is a value
      for (const Piece& p : read.pieces) {
        const std::string_view v = std::string_view(lines[p.line].text).substr(p.begin, p.end - p.begin);
        if (p.end > p.begin && (AlnumCount(v) > 0 || v.find('-') != std::string_view::npos)) empty = false;
      }
      // More address: a real line of text (not background specks, not the
      // RT/RW numbers of an unread label).
      const bool address_more = label == kAlamat && appended < 2 && AlnumCount(lines[next].text) >= 3 &&
                                !DigitHeavy(lines[next].text);
      if (!(empty || address_more)) break;
      read.pieces.push_back({next, 0, lines[next].text.size()});
      owner[next] = label;
      continuation[next] = true;
      ++appended;
    }
  }

  // --- Positional fallback: labels not read, between read neighbours.
  {
    std::vector<int> order;
    for (int l = 0; l < kLabelCount; ++l) {
      if (l != kGolDarah) order.push_back(l);  // optional, shares the sex line
    }
    const auto line_of = [&](int label) { return reads[label].pieces.front().line; };
    size_t i = 0;
    while (i < order.size()) {
      if (reads[order[i]].found) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < order.size() && !reads[order[j]].found) ++j;
      // Missing run order[i, j); neighbours order[i-1] and order[j] (or the end).
      if (i > 0 && order[i] != kNik) {
        const size_t from = line_of(order[i - 1]) + 1;
        size_t to = j < order.size() ? line_of(order[j]) : lines.size();
        if (to < from) to = from;
        std::vector<size_t> free;
        for (size_t li = from; li < to; ++li) {
          if (owner[li] == kFree && AlnumCount(lines[li].text) >= 2) free.push_back(li);
        }
        const size_t missing = j - i;
        const bool only_address = missing == 1 && order[i] == kAlamat && !free.empty() && free.size() <= 3;
        if (free.size() == missing || only_address) {
          for (size_t m = 0; m < missing; ++m) {
            const int label = order[i + m];
            FieldRead& read = reads[label];
            read.positional = true;
            read.found = true;
            const size_t take = only_address ? free.size() : 1;
            for (size_t t = 0; t < take; ++t) {
              const size_t li = free[m + t];
              const Line& line = lines[li];
              size_t start = 0;
              if (t == 0) {
                // The unreadable label: up to a colon near the start, else
                // its usual number of words.
                const size_t colon = line.text.find_first_of(":;");
                if (colon != std::string::npos && colon < 24) {
                  start = ValueStart(line, colon);
                } else if (line.words.size() > static_cast<size_t>(kLabels[label].words)) {
                  start = line.words[static_cast<size_t>(kLabels[label].words)].begin;
                }
              }
              read.pieces.push_back({li, start, line.text.size()});
              owner[li] = label;
            }
          }
        }
      }
      i = j;
    }
  }

  // NIK without a readable label: the digit-heavy line above the name.
  if (!reads[kNik].found) {
    const size_t limit = reads[kNama].found ? reads[kNama].pieces.front().line : std::min<size_t>(lines.size(), 5);
    for (size_t li = 0; li < limit; ++li) {
      if (owner[li] != kFree) continue;
      const Line& line = lines[li];
      size_t start = 0;
      const size_t colon = line.text.find_first_of(":;");
      if (colon != std::string::npos && colon < 12) {
        start = colon + 1;
      } else if (line.words.size() > 1 && !DigitHeavy(line.words[0].text)) {
        start = line.words[1].begin;
      }
      const std::string_view rest = std::string_view(line.text).substr(start);
      int digits = 0;
      for (char c : rest) digits += IsDigit(c);
      if (digits >= 12 && DigitHeavy(rest)) {
        reads[kNik].found = true;
        reads[kNik].positional = true;
        reads[kNik].pieces.push_back({li, start, line.text.size()});
        owner[li] = kNik;
        break;
      }
    }
  }

  // --- Per field values.
  v1::KtpCard& card = out.card;
  int labels_found = 0;
  for (int l = 0; l < kLabelCount; ++l) labels_found += reads[l].found && !reads[l].positional;
  if (province_line >= 0) ++labels_found;
  out.labels_found = labels_found;

  const auto label_confidence = [&](int label) -> float {
    const FieldRead& r = reads[label];
    if (r.positional) return kPositionalLabelConfidence;
    return Clamp100(100.0 - r.label_distance * 100.0);
  };
  const auto traced = [&](int label) { return Trace(lines, reads[label].pieces); };

  // NIK: digits after the label, letter confusions repaired.
  std::string nik;
  double nik_factor = 1;
  FieldOut nik_out;
  if (reads[kNik].found) {
    const Traced t = traced(kNik);
    nik_out = Basic(lines, t, label_confidence(kNik));
    // Per word: the digits it yields, and whether it held a real digit (a
    // trailing "l" of background noise is no part of the number).
    std::vector<std::string> parts;
    std::vector<bool> genuine;
    int repairs = 0;
    for (const std::string& token : SanitisedTokens(t.text)) {
      std::string digits;
      bool real = false;
      for (char c : token) {
        const char d = DigitForConfusable(c);
        if (d == '\0') continue;
        real = real || IsDigit(c);
        digits.push_back(d);
      }
      if (!digits.empty()) parts.push_back(digits), genuine.push_back(real);
    }
    size_t b = 0, e = parts.size();
    const auto joined = [&](size_t from, size_t to) {
      std::string s;
      for (size_t i = from; i < to; ++i) s += parts[i];
      return s;
    };
    nik = joined(b, e);
    while (nik.size() > 16 && b < e && !genuine[e - 1]) nik = joined(b, --e);
    while (nik.size() > 16 && b < e && !genuine[b]) nik = joined(++b, e);
    for (char c : t.text) repairs += (!IsDigit(c) && DigitForConfusable(c) != '\0');
    if (repairs > 0) nik_factor *= 0.9;
    // Not 16 digits: still returned (best effort) but marked untrustworthy.
    if (nik.size() != 16) nik_factor *= 0.3;
    nik_out.value = nik;
    nik_out.factor = nik_factor;
  }

  // Name.
  if (reads[kNama].found) {
    FieldOut f = Basic(lines, traced(kNama), label_confidence(kNama));
    f.value = DigitsToLetters(f.value);
    if (!f.value.empty()) Emit(f, card.mutable_name());
  }

  // Place and date of birth.
  Date birth;
  bool have_birth = false;
  FieldOut birth_out;
  if (reads[kTtl].found) {
    const Traced t = TrimSpaces(traced(kTtl));
    const size_t ds = DateStart(t.text);
    const Traced place = Sub(t, 0, ds == std::string::npos ? t.text.size() : ds);
    FieldOut p = Basic(lines, place, label_confidence(kTtl));
    p.value = StripRegencyPrefix(DigitsToLetters(p.value), regions);
    if (!p.value.empty()) {
      double d = 1;
      const Region* r = NearestRegion(p.value, regions.Level(2), 0.2, &d);
      if (r != nullptr && r->ktp_name != p.value) {
        p.value = r->ktp_name;
        p.factor *= 0.9;
      }
      Emit(p, card.mutable_birth_place());
    }
    if (ds != std::string::npos) {
      FieldOut f = Basic(lines, Sub(t, ds, t.text.size()), label_confidence(kTtl));
      int repairs = 0;
      if (ParseDate(f.raw, &birth, &repairs)) {
        have_birth = true;
        f.value = FormatDate(birth);
        f.has_date = true;
        f.date = birth;
        if (repairs > 0) f.factor *= 0.9;
      } else {
        f.factor *= 0.5;
      }
      birth_out = f;
    }
  }

  // Sex, and blood type (on the sex line or its own).
  FieldOut sex_out;
  if (reads[kJenisKelamin].found) {
    sex_out = Basic(lines, traced(kJenisKelamin), label_confidence(kJenisKelamin));
    if (!sex_out.value.empty()) SnapToVocabulary(&sex_out, SexVocabulary(), 0.4);
  }
  if (reads[kGolDarah].found) {
    const Traced t = TrimSpaces(traced(kGolDarah));
    FieldOut f = Basic(lines, t, label_confidence(kGolDarah));
    std::string letters;
    bool dash = false;
    for (char c : t.text) {
      const char u = Upper(c);
      if (u == '0') letters.push_back('O');
      else if (u == '8') letters.push_back('B');
      else if (u == '4') letters.push_back('A');
      else if (u == 'A' || u == 'B' || u == 'O') letters.push_back(u);
      else if (u == '-') dash = true;
      else if (IsAlnum(u)) letters.push_back('?');
    }
    std::string value;
    if (letters == "A" || letters == "B" || letters == "AB" || letters == "O") value = letters;
    else if (letters == "BA") value = "AB";
    else if (letters.empty() && dash) value = "-";
    if (!value.empty()) {
      if (value != CleanText(t.text) && value != "-") f.factor *= 0.9;
      f.value = value;
      if (f.raw.empty()) f.raw = t.text;
      if (!f.evidence.any) f.evidence = EvidenceOf(lines, t);
      Emit(f, card.mutable_blood_type());
    } else if (!f.value.empty()) {
      f.factor *= 0.3;
      Emit(f, card.mutable_blood_type());
    }
  }

  // Address.
  if (reads[kAlamat].found) {
    FieldOut f = Basic(lines, traced(kAlamat), label_confidence(kAlamat));
    if (!f.value.empty()) Emit(f, card.mutable_address());
  }

  // RT/RW: "NNN/NNN".
  if (reads[kRtRw].found) {
    FieldOut f = Basic(lines, traced(kRtRw), label_confidence(kRtRw));
    std::vector<std::string> groups;
    std::string cur;
    int repairs = 0;
    for (char c : f.raw) {
      const char d = DigitForConfusable(c);
      if (d != '\0' && c != '|' && c != '!') {
        repairs += !IsDigit(c);
        cur.push_back(d);
      } else if (!cur.empty()) {
        groups.push_back(std::move(cur));
        cur.clear();
      }
    }
    if (!cur.empty()) groups.push_back(std::move(cur));
    if (groups.size() == 1 && groups[0].size() == 6) groups = {groups[0].substr(0, 3), groups[0].substr(3)};
    if (groups.size() == 2 && groups[0].size() <= 3 && groups[1].size() <= 3) {
      const auto pad = [](const std::string& g) { return std::string(3 - g.size(), '0') + g; };
      f.value = pad(groups[0]) + "/" + pad(groups[1]);
      if (repairs > 0) f.factor *= 0.9;
    } else {
      f.factor *= 0.5;
    }
    if (!f.value.empty()) Emit(f, card.mutable_rt_rw());
  }

  // Religion, marital status, occupation, nationality: closed vocabularies.
  struct Closed {
    int label;
    v1::KtpField* (v1::KtpCard::*field)();
    const std::vector<std::string_view>& vocabulary;
    double max_distance;
  };
  const Closed closed[] = {
      {kAgama, &v1::KtpCard::mutable_religion, ReligionVocabulary(), 0.4},
      {kStatus, &v1::KtpCard::mutable_marital_status, MaritalStatusVocabulary(), 0.35},
      {kKewarganegaraan, &v1::KtpCard::mutable_nationality, NationalityVocabulary(), 0.34},
  };
  for (const Closed& c : closed) {
    if (!reads[c.label].found) continue;
    FieldOut f = Basic(lines, traced(c.label), label_confidence(c.label));
    if (f.value.empty()) continue;
    SnapToVocabulary(&f, c.vocabulary, c.max_distance);
    Emit(f, (card.*c.field)());
  }
  if (reads[kPekerjaan].found) {
    // Open-ended in practice: snap only when close, else keep what was read.
    FieldOut f = Basic(lines, traced(kPekerjaan), label_confidence(kPekerjaan));
    if (!f.value.empty()) {
      const VocabularyMatch m = NearestInVocabulary(f.value, OccupationVocabulary());
      if (!m.value.empty() && m.distance <= 0.25) {
        if (m.value != f.value) f.factor *= 0.9;
        f.value = std::string(m.value);
      }
      Emit(f, card.mutable_occupation());
    }
  }

  // Valid until: SEUMUR HIDUP or a date.
  if (reads[kBerlaku].found) {
    FieldOut f = Basic(lines, traced(kBerlaku), label_confidence(kBerlaku));
    if (!f.value.empty()) {
      Date d;
      int repairs = 0;
      if (KeyDistance(f.value, "SEUMUR HIDUP") <= 0.35) {
        if (f.value != "SEUMUR HIDUP") f.factor *= 0.9;
        f.value = "SEUMUR HIDUP";
      } else if (ParseDate(f.value, &d, &repairs)) {
        f.value = FormatDate(d);
        f.has_date = true;
        f.date = d;
        if (repairs > 0) f.factor *= 0.9;
      } else {
        f.factor *= 0.5;
      }
      Emit(f, card.mutable_valid_until());
    }
  }

  // NIK ↔ birth date (DD, +40 for women; MM; YY) and sex: disagreement means
  // one of them was misread; we cannot tell which, so trust both less.
  const NikAgreement agreement = CheckNik(nik, have_birth ? &birth : nullptr, sex_out.value);
  if (!agreement.date) {
    nik_out.factor *= 0.8;
    birth_out.factor *= 0.8;
  }
  if (!agreement.sex) {
    nik_out.factor *= 0.9;
    sex_out.factor *= 0.9;
  }
  if (!nik_out.value.empty()) Emit(nik_out, card.mutable_nik());
  // Tesseract's per-character confidence on the large bold NIK digits is low
  // even when they are right. A NIK whose district exists and whose date and
  // sex agree with what was read independently elsewhere on the card is very
  // unlikely to be misread: say so in its confidence.
  if (agreement.Corroborated() && nik_out.factor >= 0.8 &&
      regions.Find(RegionDirectory::DistrictCodeOfNik(nik)) != nullptr) {
    card.mutable_nik()->set_confidence(
        std::max(card.nik().confidence(), static_cast<float>(90.0 * nik_out.factor)));
  }
  if (!birth_out.value.empty()) Emit(birth_out, card.mutable_birth_date());
  if (!sex_out.value.empty()) Emit(sex_out, card.mutable_sex());

  // --- Regions: snap to the NIK's district when the text agrees, else to
  // whatever region the text names; never invent a value that was not read.
  const std::string district_code = RegionDirectory::DistrictCodeOfNik(nik);
  const Region* nik_district = district_code.empty() ? nullptr : regions.Find(district_code);
  const Region* nik_city = nik_district ? regions.Find(district_code.substr(0, 5)) : nullptr;
  const Region* nik_province = nik_district ? regions.Find(district_code.substr(0, 2)) : nullptr;

  const Region* province = nullptr;
  if (province_line >= 0) {
    const Line& line = lines[static_cast<size_t>(province_line)];
    FieldOut f = Basic(lines, Trace(lines, {{static_cast<size_t>(province_line), province_value, line.text.size()}}),
                       Clamp100(100.0 - province_distance * 100.0));
    f.value = DigitsToLetters(f.value);
    if (!f.value.empty()) {
      province = SnapRegion(&f, nik_province, &regions.Level(1), 0.25);
      Emit(f, card.mutable_province());
    }
  }
  const Region* city = nullptr;
  if (city_line >= 0) {
    const Line& line = lines[static_cast<size_t>(city_line)];
    FieldOut f = Basic(lines, Trace(lines, {{static_cast<size_t>(city_line), city_value, line.text.size()}}),
                       Clamp100(100.0 - city_distance * 100.0));
    f.value = DigitsToLetters(f.value);
    if (!f.value.empty()) {
      const auto& candidates = province ? regions.Children(province->code) : regions.Level(2);
      city = SnapRegion(&f, nik_city, &candidates, 0.25);
      Emit(f, card.mutable_city_regency());
    }
  }
  const Region* district = nullptr;
  if (reads[kKecamatan].found) {
    FieldOut f = Basic(lines, traced(kKecamatan), label_confidence(kKecamatan));
    f.value = DigitsToLetters(f.value);
    if (!f.value.empty()) {
      const Region* parent = city ? city : nik_city;
      district = SnapRegion(&f, nik_district, parent ? &regions.Children(parent->code) : nullptr, 0.3);
      Emit(f, card.mutable_district());
    }
  }
  if (reads[kKelDesa].found) {
    FieldOut f = Basic(lines, traced(kKelDesa), label_confidence(kKelDesa));
    f.value = DigitsToLetters(f.value);
    if (!f.value.empty()) {
      // Only the villages of one district: the full list is 83k names.
      const Region* parent = district ? district : nik_district;
      if (parent) SnapRegion(&f, nullptr, &regions.Children(parent->code), 0.35);
      Emit(f, card.mutable_village());
    }
  }
  return out;
}

}  // namespace ktp::reader
