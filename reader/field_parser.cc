// KTP OCR lines → the 17 typed fields (see field_parser.h). Owns label
// finding, value splitting and cleaning, NIK repair, vocabulary and region
// snapping, and the per-field confidence / polygon / raw text.
//
// Shape of the parse (ParseKtpText, at the end):
//   1. PrepareLines: sanitise every line (printable ASCII only, bounded
//      sizes) and build its folded comparison key (ktp_vocabulary.h),
//      remembering where each key character came from so a label match maps
//      back to a text offset.
//   2. LayOutCard: which line holds which field. FindHeader (PROVINSI, then
//      the regency/city line), ReadLabelledLines (the 14 labels at line
//      starts, and labels merged into a value: "Jenis Kelamin : X Gol. Darah :
//      Y"), AttachUnlabelledLines (address continuations, values split onto
//      the next line), PlaceMissingLabelsByPosition and FindNikWithoutLabel
//      (labels that could not be read at all).
//   3. Per field: clean, repair, snap, score (ExtractNik, ExtractBirth,
//      EmitRtRw, ...); the NIK, birth date and sex are checked against each
//      other before they are emitted (EmitNikBirthDateAndSex), and the region
//      names snap against the NIK's district (EmitRegions).
#include "reader/field_parser.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "identity/identity_validation.h"
#include "identity/ktp_vocabulary.h"
#include "reader/street_abbreviations.h"

namespace ktp::reader {

using namespace ::ktp::identity;  // NOLINT(google-build-using-namespace): the vocabularies and key folding
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
  std::vector<float> char_confidence;  // per byte of `text`: its symbol's confidence
  std::vector<SymbolSpan> char_span;   // per byte of `text`: its symbol's extent (x1 == x0: unknown)
  std::string key;              // folded key of the words
  std::vector<size_t> key_end;  // per key char: Line::text offset just past it
  std::vector<int> key_word;    // per key char: index into words
};

float Clamp100(double v) { return static_cast<float>(std::clamp(v, 0.0, 100.0)); }

// Tesseract can hand over any bytes; keep printable ASCII (a KTP prints
// nothing else), so every value is valid UTF-8 for the proto.
// With `sources`, each token's bytes' indices in `raw` too.
std::vector<std::string> SanitisedTokens(std::string_view raw,
                                         std::vector<std::vector<size_t>>* sources = nullptr) {
  std::vector<std::string> tokens;
  std::string current;
  std::vector<size_t> current_source;
  const auto flush = [&] {
    if (current.empty()) return;
    tokens.push_back(std::move(current));
    if (sources) sources->push_back(std::move(current_source));
    current.clear();
    current_source.clear();
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x80) continue;
    if (c <= 0x20 || c == 0x7f) {
      flush();
      continue;
    }
    current.push_back(raw[i]);
    current_source.push_back(i);
  }
  flush();
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
    std::vector<std::vector<size_t>> sources;
    std::vector<std::string> tokens = SanitisedTokens(w.text, &sources);
    for (size_t k = 0; k < tokens.size(); ++k) {
      std::string& token = tokens[k];
      if (line.words.size() >= kMaxWordsPerLine || line.text.size() >= kMaxLineChars) break;
      if (token.size() > kMaxLineChars) token.resize(kMaxLineChars);
      if (!line.text.empty()) {
        line.text.push_back(' ');
        line.char_confidence.push_back(100);
        line.char_span.emplace_back();
      }
      for (size_t b = 0; b < token.size(); ++b) {
        const size_t from = sources[k][b];
        line.char_confidence.push_back(
            Clamp100(from < w.symbol_confidence.size() ? w.symbol_confidence[from] : w.confidence));
        line.char_span.push_back(from < w.symbol_span.size() ? w.symbol_span[from] : SymbolSpan{});
      }
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

// The years a KTP date can name (birth dates, validity): anything outside is
// a misread.
constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2200;

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// The calendar day the printed day, month and year name, if it exists and
// lies within the years a KTP prints. Month lengths and leap years are
// absl::CivilDay's: it normalises an impossible day (31-02 → 03-03,
// 29-02-1900 → 01-03-1900), so the parts name a real day exactly when
// normalising leaves them unchanged.
// A day or month as printed: two digits.
std::string TwoDigits(int v) { return absl::StrCat(v < 10 ? "0" : "", v); }

// How many places two digit strings of one length differ in: one misread
// glyph each.
int DigitsDiffering(std::string_view a, std::string_view b) {
  int n = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) n += a[i] != b[i];
  return n;
}

std::optional<absl::CivilDay> CalendarDay(int day, int month, int year) {
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  const absl::CivilDay d(year, month, day);
  if (d.year() != year || d.month() != month || d.day() != day) return std::nullopt;
  return d;
}

// A label's colon, or a slash, read as a 1 glued before a group of digits
// that then has one digit more than the field allows ("118" for a day,
// "1013" for an RW): drops that 1 and says whether it did.
bool DropGluedOne(std::string& group, size_t max_digits) {
  if (group.size() != max_digits + 1 || group[0] != '1') return false;
  group.erase(0, 1);
  return true;
}

// The runs of digits in a date as read, letters Tesseract confuses with
// digits taken as those digits (counted in *fixes when given).
std::vector<std::string> DateDigitGroups(std::string_view text, int* fixes = nullptr) {
  std::vector<std::string> groups;
  std::string current;
  for (char c : text) {
    const char d = DigitForConfusable(c);
    if (d != '\0') {
      if (fixes != nullptr && !IsDigit(c)) ++*fixes;
      current.push_back(d);
    } else if (!current.empty()) {
      groups.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) groups.push_back(std::move(current));
  return groups;
}

// "07-08-1985", "07 - 08 - 1985", "7-8-1985", "07081985", with letter
// confusions (counted in `repairs`); nullopt unless it is a real calendar day.
std::optional<absl::CivilDay> ParseDate(std::string_view text, int* repairs) {
  int fixes = 0;
  std::vector<std::string> groups = DateDigitGroups(text, &fixes);
  // The label's colon read as a 1 glued to the day ("Berlaku Hingga :
  // 18-09-2017" read "118-09-2017"): a day has at most two digits.
  if (groups.size() == 3 && DropGluedOne(groups[0], 2)) ++fixes;
  std::string all;
  for (const std::string& g : groups) all += g;
  std::optional<absl::CivilDay> day;
  if (groups.size() == 3 && groups[0].size() <= 2 && groups[1].size() <= 2 && groups[2].size() == 4) {
    day = CalendarDay(ToInt(groups[0]), ToInt(groups[1]), ToInt(groups[2]));
  } else if (all.size() == 8) {
    day = CalendarDay(ToInt(all.substr(0, 2)), ToInt(all.substr(2, 2)), ToInt(all.substr(4, 4)));
  }
  if (day && repairs) *repairs = fixes;
  return day;
}

// A printed date read in part, its year's last digit or more lost
// ("16-12-197:", "19-12-19", "23-02-1", "18-08"), completed from a NIK's
// DDMMYY: only when the day and month as read are the NIK's and the year's
// digits read begin the one year (19YY or 20YY) ending in the NIK's YY. A
// year lost whole, or read as "2" or "20", needs `today` to tell 2085 from
// 1985 and 2005 from 1905: then the century is the one ktp.v1.DecodedNik
// chooses (the latest such year not after today).
std::optional<absl::CivilDay> CompleteDateFromNik(std::string_view text, const identity::NikParts& nik,
                                                  std::optional<absl::CivilDay> today) {
  const std::vector<std::string> groups = DateDigitGroups(text);
  if (groups.size() < 2 || groups.size() > 3 || groups[0].size() > 2 || groups[1].size() > 2) return std::nullopt;
  const std::string begun = groups.size() == 3 ? groups[2] : "";
  if (begun.size() > 3) return std::nullopt;
  if (ToInt(groups[0]) != nik.birth_day() || ToInt(groups[1]) != nik.month) return std::nullopt;
  const std::string nineteen = std::to_string(1900 + nik.two_digit_year);
  if (!begun.empty() && begun[0] == '1') {
    if (nineteen.compare(0, begun.size(), begun) != 0) return std::nullopt;
    return CalendarDay(nik.birth_day(), nik.month, 1900 + nik.two_digit_year);
  }
  if (!today) return std::nullopt;
  const std::optional<absl::CivilDay> day = identity::NikBirthDay(nik, std::nullopt, *today);
  if (!day || std::to_string(day->year()).compare(0, begun.size(), begun) != 0) return std::nullopt;
  return day;
}

// A printed date read whole but a digit or two off a NIK's DDMMYY ("18-09-1953"
// for YY 55, "90-01-1960" for day 30, "12-12-1837" for 1957): the NIK's date,
// its century the one (19 or 20) the digits read are nearer; nullopt when
// they agree, differ in more than two digits, or the century is a tie. A
// year read in the 2000s is not moved: which 20YY is not in the future
// needs today's date.
std::optional<absl::CivilDay> MendDateFromNik(std::string_view text, const identity::NikParts& nik) {
  const std::vector<std::string> groups = DateDigitGroups(text);
  std::string all;
  for (const std::string& g : groups) all += g;
  std::string day, month, year;
  if (groups.size() == 3 && !groups[0].empty() && groups[0].size() <= 2 && !groups[1].empty() &&
      groups[1].size() <= 2 && groups[2].size() == 4) {
    day = std::string(2 - groups[0].size(), '0') + groups[0];
    month = std::string(2 - groups[1].size(), '0') + groups[1];
    year = groups[2];
  } else if (all.size() == 8) {  // "18091953": as ParseDate takes it
    day = all.substr(0, 2), month = all.substr(2, 2), year = all.substr(4);
  } else {
    return std::nullopt;
  }
  const std::string century = year.substr(0, 2);
  const int off19 = DigitsDiffering(century, "19"), off20 = DigitsDiffering(century, "20");
  if (off19 == off20) return std::nullopt;
  const int yy_off = DigitsDiffering(year.substr(2), TwoDigits(nik.two_digit_year));
  const int off = DigitsDiffering(day, TwoDigits(nik.birth_day())) + DigitsDiffering(month, TwoDigits(nik.month)) +
                  yy_off + std::min(off19, off20);
  if (off == 0 || off > 2 || (off20 < off19 && yy_off > 0)) return std::nullopt;
  return CalendarDay(nik.birth_day(), nik.month, (off19 < off20 ? 1900 : 2000) + nik.two_digit_year);
}

std::string FormatDate(const absl::CivilDay& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d-%02d-%04d", d.day(), d.month(), static_cast<int>(d.year()));
  return buf;
}

// Marks Tesseract leaves for a faint or half-lost glyph ("16-12-197:" for
// "16-12-1972"): they end a date read in part rather than make it text.
bool IsFaintGlyphMark(char c) { return c == ':' || c == ';' || c == '\'' || c == '"' || c == '`' || c == '_'; }

// Start of the date inside "PLACE, DD-MM-YYYY": the first digit from which
// only date characters follow (and at least four digits), or npos.
size_t DateStart(const std::string& s) {
  // The date's last glyph misread as a letter no digit is confused with
  // ("01-09-19t"): one such letter at the very end, after six digits or more.
  size_t end = s.size();
  if (end > 0 && IsAlpha(s[end - 1]) && DigitForConfusable(s[end - 1]) == '\0') --end;
  const int min_digits = end < s.size() ? 6 : 4;
  for (size_t i = 0; i < end; ++i) {
    if (!IsDigit(s[i])) continue;
    int digits = 0;
    bool ok = true;
    for (size_t j = i; j < end && ok; ++j) {
      const char c = s[j];
      if (IsDigit(c)) {
        ++digits;
      } else if (!(c == ' ' || c == '-' || c == '/' || c == '.' || c == ',' || DigitForConfusable(c) != '\0' ||
                   IsFaintGlyphMark(c))) {
        ok = false;
      }
    }
    if (!ok || digits < min_digits) continue;
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
  std::optional<absl::CivilDay> date;  // set for a value that is a real date
  std::vector<float> digit_confidence;  // NIK only: per digit of `value`, its symbol's confidence
  std::vector<SymbolSpan> digit_span;   // NIK only: per digit of `value`, its symbol's extent
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
  if (f.date) {
    field->mutable_date_value()->set_year(static_cast<int32_t>(f.date->year()));
    field->mutable_date_value()->set_month(f.date->month());
    field->mutable_date_value()->set_day(f.date->day());
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
// Layout: which line holds which field

struct FieldRead {
  bool found = false;       // label read in the text
  bool positional = false;  // placed by line order only
  double label_distance = 1;
  std::vector<Piece> pieces;
};

// Owners of a line besides the labels.
constexpr int kFree = -1;
constexpr int kHeader = -2;

// A header line (PROVINSI, regency/city) once found.
struct HeaderLine {
  int line = -1;         // index into the lines; -1 = not found
  size_t value = 0;      // text offset where the region name starts
  double distance = 1;   // how far the printed prefix was from the expected one
  bool found() const { return line >= 0; }
};

// What the layout passes find and hand on to each other: the prepared lines,
// who owns each line, and where each label's value lies.
struct CardLayout {
  std::vector<Line> lines;
  std::vector<int> owner;       // per line: a Label, kFree or kHeader
  FieldRead reads[kLabelCount];
  bool used[kLabelCount] = {};  // labels already matched: each is printed once
  HeaderLine province;
  HeaderLine city;
};

// Every OCR line prepared for matching, dropping those with nothing readable:
// blank and noise-only lines carry no field, and the bounded count keeps
// garbage input cheap.
std::vector<Line> PrepareLines(const std::vector<OcrLine>& input) {
  std::vector<Line> lines;
  for (size_t i = 0; i < input.size() && lines.size() < kMaxLines; ++i) {
    Line line = PrepareLine(input[i]);
    if (!line.key.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

// The PROVINSI line: it heads the card, so only the first lines are looked
// at, and a couple of OCR errors in the word are tolerated.
HeaderLine FindProvinceLine(const std::vector<Line>& lines) {
  static const std::string kProvinsi = FoldedKey("PROVINSI");
  HeaderLine province;
  for (size_t i = 0; i < std::min<size_t>(lines.size(), 4); ++i) {
    const KeyMatch m = MatchAt(lines[i], 0, kProvinsi);
    if (m.edits <= 2) {
      province.line = static_cast<int>(i);
      province.distance = static_cast<double>(m.edits) / kProvinsi.size();
      province.value = ValueStart(lines[i], lines[i].key_end[m.key_len - 1]);
      break;
    }
  }
  return province;
}

// The regency/city line: right below PROVINSI (or among the first lines when
// PROVINSI was not read), "KABUPATEN X" / "KOTA X", or a bare name under a
// read PROVINSI. A line starting with a field label or mostly digits is a
// field (the NIK), not the header.
HeaderLine FindCityLine(const std::vector<Line>& lines, const HeaderLine& province,
                        const bool used[kLabelCount]) {
  HeaderLine city;
  const size_t from = province.found() ? static_cast<size_t>(province.line) + 1 : 0;
  const size_t to = province.found() ? from + 1 : std::min<size_t>(lines.size(), 3);
  for (size_t i = from; i < std::min(to, lines.size()); ++i) {
    const Line& line = lines[i];
    if (MatchLineStart(line, used).label >= 0 || DigitHeavy(line.text)) continue;
    const size_t prefix_end = CityPrefixEnd(line, 0);
    if (prefix_end != std::string::npos) {
      city.line = static_cast<int>(i);
      city.value = ValueStart(line, prefix_end);
      city.distance = 0;
      break;
    }
    if (province.found() && AlnumCount(line.text) >= 3) {
      // DKI Jakarta cards print the city without KOTA: trust the position.
      city.line = static_cast<int>(i);
      city.value = 0;
      city.distance = 0.3;
      break;
    }
  }
  return city;
}

// The header first: its lines belong to no label, so the label passes below
// must not take them as values.
void FindHeader(CardLayout& layout) {
  layout.province = FindProvinceLine(layout.lines);
  layout.city = FindCityLine(layout.lines, layout.province, layout.used);
  if (layout.province.found()) layout.owner[static_cast<size_t>(layout.province.line)] = kHeader;
  if (layout.city.found()) layout.owner[static_cast<size_t>(layout.city.line)] = kHeader;
}

// A further label inside the value of `label` on the same line: OCR merges
// neighbouring lines ("Jenis Kelamin : X Gol. Darah : Y"), so the next few
// labels in card order are looked for, word by word, after the value start.
// Unless the match is exact a colon must follow it: a value word that merely
// resembles a label is not one. On a hit *value_end is cut to where it starts.
LabelHit FindLabelInsideValue(const Line& line, int label, size_t value_start,
                              const bool used[kLabelCount], size_t* value_end) {
  LabelHit inner;
  for (size_t w = 0; w < line.words.size() && inner.label < 0; ++w) {
    if (line.words[w].begin <= value_start) continue;
    const size_t k = KeyIndexOfWord(line, static_cast<int>(w));
    if (k == std::string::npos) continue;
    for (int next = label + 1; next <= std::min(label + 3, kLabelCount - 1); ++next) {
      if (used[next]) continue;
      const std::string& key = LabelKey(next);
      const KeyMatch m = MatchAt(line, k, key);
      if (m.edits > AllowedEdits(key.size())) continue;
      const size_t end = line.key_end[k + m.key_len - 1];
      if (m.edits == 0 || SeparatorFollows(line, end)) {
        inner.label = next;
        inner.distance = static_cast<double>(m.edits) / key.size();
        inner.label_end = end;
        *value_end = line.words[w].begin;
        break;
      }
    }
  }
  return inner;
}

// The labels themselves, at line starts: each label is taken once, and its
// value is the rest of its line, up to a further label merged into the same
// line (whose value is then read the same way).
//
// ReadLabels reads `hit` and the labels merged after it on line `li`.
void ReadLabels(CardLayout& layout, size_t li, LabelHit hit) {
  const Line& line = layout.lines[li];
  while (hit.label >= 0) {
    layout.used[hit.label] = true;
    layout.owner[li] = hit.label;
    FieldRead& read = layout.reads[hit.label];
    read.found = true;
    read.label_distance = hit.distance;
    const size_t value_start = ValueStart(line, hit.label_end);
    Piece piece{li, value_start, line.text.size()};
    const LabelHit inner = FindLabelInsideValue(line, hit.label, value_start, layout.used, &piece.end);
    read.pieces.push_back(piece);
    hit = inner;
  }
}

void ReadLabelledLines(CardLayout& layout) {
  for (size_t li = 0; li < layout.lines.size(); ++li) {
    if (layout.owner[li] != kFree) continue;
    ReadLabels(layout, li, MatchLineStart(layout.lines[li], layout.used));
  }
}

// Whether nothing but specks was read after a label so far; a lone "-" is a
// value (an unknown blood type), not a speck.
bool ValueIsEmpty(const std::vector<Line>& lines, const FieldRead& read) {
  bool empty = true;
  for (const Piece& p : read.pieces) {
    const std::string_view v = std::string_view(lines[p.line].text).substr(p.begin, p.end - p.begin);
    if (p.end > p.begin && (AlnumCount(v) > 0 || v.find('-') != std::string_view::npos)) empty = false;
  }
  return empty;
}

// Unlabelled lines below a labelled one: the value of a label whose own line
// held nothing else (OCR split "Nama :" from the name), or up to two more
// lines of address — real lines of text, not background specks and not the
// RT/RW numbers of an unread label.
void AttachUnlabelledLines(CardLayout& layout) {
  const std::vector<Line>& lines = layout.lines;
  std::vector<bool> continuation(lines.size(), false);
  for (size_t li = 0; li < lines.size(); ++li) {
    if (layout.owner[li] < 0 || continuation[li]) continue;
    int label = layout.owner[li];
    // The last label on a merged line owns what follows it.
    for (int l = 0; l < kLabelCount; ++l) {
      const FieldRead& r = layout.reads[l];
      if (r.found && !r.pieces.empty() && r.pieces.back().line == li) label = l;
    }
    FieldRead& read = layout.reads[label];
    int appended = 0;
    for (size_t next = li + 1; next < lines.size() && layout.owner[next] == kFree; ++next) {
      const bool empty = ValueIsEmpty(lines, read);
      const bool address_more = label == kAlamat && appended < 2 && AlnumCount(lines[next].text) >= 3 &&
                                !DigitHeavy(lines[next].text);
      if (!(empty || address_more)) break;
      read.pieces.push_back({next, 0, lines[next].text.size()});
      layout.owner[next] = label;
      continuation[next] = true;
      ++appended;
    }
  }
}

// Where the value starts on a line placed by position, whose label could not
// be read: past a colon near the start, else past the label's usual number of
// words.
size_t PositionalValueStart(const Line& line, int label) {
  const size_t colon = line.text.find_first_of(":;");
  if (colon != std::string::npos && colon < 24) return ValueStart(line, colon);
  const auto label_words = static_cast<size_t>(kLabels[label].words);
  if (line.words.size() > label_words) return line.words[label_words].begin;
  return 0;
}

// Labels not read at all, placed by the card's fixed order: a run of missing
// labels between two read ones (or after the last) takes the free lines in
// between when there are exactly as many, or, for a lone missing address, up
// to three. A run needs a read label above it, or the header for a run from
// the NIK (a card cut by the frame on the label side: "PROVINSI ...", "KOTA
// ...", then ": 3204...", ": YUDI" ...); a lone NIK has its own fallback.
void PlaceMissingLabelsByPosition(CardLayout& layout) {
  std::vector<int> order;
  for (int l = 0; l < kLabelCount; ++l) {
    if (l != kGolDarah) order.push_back(l);  // optional, shares the sex line
  }
  const auto line_of = [&](int label) { return layout.reads[label].pieces.front().line; };
  const int header_end = std::max(layout.province.line, layout.city.line) + 1;
  size_t i = 0;
  while (i < order.size()) {
    if (layout.reads[order[i]].found) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < order.size() && !layout.reads[order[j]].found) ++j;
    // Missing run order[i, j); neighbours order[i-1] (or the header) and
    // order[j] (or the end).
    const bool after_header = i == 0 && order[i] == kNik && j > 1 && layout.city.found() &&
                              layout.province.found();
    if ((i > 0 && order[i] != kNik) || after_header) {
      const size_t from = after_header ? static_cast<size_t>(header_end) : line_of(order[i - 1]) + 1;
      size_t to = j < order.size() ? line_of(order[j]) : layout.lines.size();
      if (to < from) to = from;
      std::vector<size_t> free;
      for (size_t li = from; li < to; ++li) {
        if (layout.owner[li] == kFree && AlnumCount(layout.lines[li].text) >= 2) free.push_back(li);
      }
      const size_t missing = j - i;
      const bool only_address = missing == 1 && order[i] == kAlamat && !free.empty() && free.size() <= 3;
      if (free.size() == missing || only_address) {
        for (size_t m = 0; m < missing; ++m) {
          const int label = order[i + m];
          FieldRead& read = layout.reads[label];
          read.positional = true;
          read.found = true;
          const size_t take = only_address ? free.size() : 1;
          layout.used[label] = true;
          for (size_t t = 0; t < take; ++t) {
            const size_t li = free[m + t];
            const Line& line = layout.lines[li];
            const size_t start = t == 0 ? PositionalValueStart(line, label) : 0;
            Piece piece{li, start, line.text.size()};
            // A label merged into the value ("LAKI-LAKI Gol. Darah : A") still ends it.
            const LabelHit inner = FindLabelInsideValue(line, label, start, layout.used, &piece.end);
            read.pieces.push_back(piece);
            layout.owner[li] = label;
            ReadLabels(layout, li, inner);
          }
        }
      }
    }
    i = j;
  }
}

// A NIK whose label could not be read: the first free line above the name (or
// among the first five) whose value — after a colon near the start, or after
// a first word that is not a number (the garbled label) — is mostly digits
// and holds at least 12 of them.
void FindNikWithoutLabel(CardLayout& layout) {
  FieldRead& nik = layout.reads[kNik];
  if (nik.found) return;
  const FieldRead& name = layout.reads[kNama];
  const size_t limit = name.found ? name.pieces.front().line : std::min<size_t>(layout.lines.size(), 5);
  for (size_t li = 0; li < limit; ++li) {
    if (layout.owner[li] != kFree) continue;
    const Line& line = layout.lines[li];
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
      nik.found = true;
      nik.positional = true;
      nik.pieces.push_back({li, start, line.text.size()});
      layout.owner[li] = kNik;
      break;
    }
  }
}

// Which line holds which field, pass by pass: each pass only takes lines the
// earlier ones left free, so the surest evidence (header words, then printed
// labels) wins over guesses from position.
CardLayout LayOutCard(const std::vector<OcrLine>& input) {
  CardLayout layout;
  layout.lines = PrepareLines(input);
  layout.owner.assign(layout.lines.size(), kFree);
  FindHeader(layout);
  ReadLabelledLines(layout);
  AttachUnlabelledLines(layout);
  PlaceMissingLabelsByPosition(layout);
  FindNikWithoutLabel(layout);
  return layout;
}

// A label actually read: evidence that the image is a KTP. Placements by
// position prove nothing.
bool LabelRead(const FieldRead& r) { return r.found && !r.positional; }

// How many printed labels (and the PROVINSI header) were actually read.
int CountLabelsFound(const CardLayout& layout) {
  int labels_found = 0;
  for (const FieldRead& r : layout.reads) labels_found += LabelRead(r);
  if (layout.province.found()) ++labels_found;
  return labels_found;
}

// Of those, the labels no other Indonesian card prints (see ParsedCard).
int CountKtpOnlyLabelsFound(const CardLayout& layout) {
  int found = 0;
  for (int label : {kGolDarah, kRtRw, kKelDesa, kKecamatan, kAgama, kStatus, kKewarganegaraan}) {
    found += LabelRead(layout.reads[label]);
  }
  return found;
}

// ---------------------------------------------------------------------------
// Per field: clean, repair, snap, score

// confidence_field: how sure the label match was. A placement by position
// gets a fixed low value, a read label its similarity to the printed one.
float LabelConfidence(const FieldRead& read) {
  if (read.positional) return kPositionalLabelConfidence;
  return Clamp100(100.0 - read.label_distance * 100.0);
}

Traced TracedValue(const CardLayout& layout, int label) {
  return Trace(layout.lines, layout.reads[label].pieces);
}

// The cleaned value of `label` with its raw text, evidence and label
// confidence: where every field's extraction starts.
FieldOut BasicField(const CardLayout& layout, int label) {
  return Basic(layout.lines, TracedValue(layout, label), LabelConfidence(layout.reads[label]));
}

// NIK: Tesseract reads some of its digits as letters (O, I, B, ...), so
// confusable letters are mapped back; a number too long sheds words at either
// end that held no real digit (a trailing "l" of background noise is no part
// of it). Repairs and a length other than 16 lower the confidence, but the
// digits are returned anyway (best effort). Empty value when no NIK was found.
FieldOut ExtractNik(const CardLayout& layout) {
  FieldOut nik_out;
  if (!layout.reads[kNik].found) return nik_out;
  const Traced t = TracedValue(layout, kNik);
  nik_out = Basic(layout.lines, t, LabelConfidence(layout.reads[kNik]));
  // Per word: the digits it yields, their symbols' confidences (a letter read
  // for a digit counts half), and whether it held a real digit.
  std::vector<std::string> parts;
  std::vector<std::vector<float>> part_confidence;
  std::vector<std::vector<SymbolSpan>> part_span;
  std::vector<bool> genuine;
  std::string digits;
  std::vector<float> confidence;
  std::vector<SymbolSpan> span;
  bool real = false;
  for (size_t i = 0; i <= t.text.size(); ++i) {
    if (i == t.text.size() || t.text[i] == ' ') {
      if (!digits.empty()) {
        parts.push_back(std::move(digits));
        part_confidence.push_back(std::move(confidence));
        part_span.push_back(std::move(span));
        genuine.push_back(real);
      }
      digits.clear();
      confidence.clear();
      span.clear();
      real = false;
      continue;
    }
    const char c = t.text[i];
    const char d = DigitForConfusable(c);
    if (d == '\0') continue;
    real = real || IsDigit(c);
    digits.push_back(d);
    const auto [li, pos] = t.origin[i];
    const std::vector<float>& line_confidence = layout.lines[li].char_confidence;
    const float symbol = pos < line_confidence.size() ? line_confidence[pos] : 0.0F;
    confidence.push_back(IsDigit(c) ? symbol : symbol / 2);
    const std::vector<SymbolSpan>& line_span = layout.lines[li].char_span;
    span.push_back(pos < line_span.size() ? line_span[pos] : SymbolSpan{});
  }
  size_t b = 0, e = parts.size();
  const auto joined = [&](size_t from, size_t to) {
    std::string s;
    for (size_t i = from; i < to; ++i) s += parts[i];
    return s;
  };
  std::string nik = joined(b, e);
  while (nik.size() > 16 && b < e && !genuine[e - 1]) nik = joined(b, --e);
  while (nik.size() > 16 && b < e && !genuine[b]) nik = joined(++b, e);
  for (size_t i = b; i < e; ++i) {
    nik_out.digit_confidence.insert(nik_out.digit_confidence.end(), part_confidence[i].begin(),
                                    part_confidence[i].end());
    nik_out.digit_span.insert(nik_out.digit_span.end(), part_span[i].begin(), part_span[i].end());
  }
  int repairs = 0;
  for (char c : t.text) repairs += (!IsDigit(c) && DigitForConfusable(c) != '\0');
  double factor = 1;
  if (repairs > 0) factor *= 0.9;
  if (nik.size() != 16) factor *= 0.3;
  nik_out.value = nik;
  nik_out.factor = factor;
  return nik_out;
}

// Digits Tesseract confuses with each other on the card's bold NIK face,
// commonest first.
std::string_view ConfusableDigits(char d) {
  switch (d) {
    case '0': return "869";
    case '1': return "74";
    case '2': return "7";
    case '3': return "859";
    case '4': return "1";
    case '5': return "6389";
    case '6': return "850";
    case '7': return "12";
    case '8': return "3609";
    case '9': return "805";
    default: return "";
  }
}

// One reading of the NIK, what it cost to get there from the digits read, and
// the confidence of each of its digits.
struct NikCandidate {
  std::string digits;
  double cost = 0;
  std::vector<float> confidence;
  std::vector<bool> crowded;  // see CrowdedDigits
  bool vote_only = false;     // reached from a vote's digits only (see ResolveNik)
  bool confirmed = false;     // reached from the first pass and from a vote
  bool inserted = false;      // a digit the reading lost, put back (see NikCandidates)
};

// A digit is weak when Tesseract was clearly less sure of it than of the NIK's
// other digits: a substitution there is cheap, and may touch the date digits
// even when they read as a date. Relative, because its confidence on the large
// bold NIK digits is low even when they are all right.
constexpr float kWeakDigit = 0.75F;  // of the median digit's confidence

float MedianOf(std::vector<float> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Digits Tesseract squeezed in between their neighbours: narrower than 0.7 of
// the NIK's median digit and overlapping a neighbour by a quarter of their own
// width. One glyph read as two symbols (a bold "8" read as "38", the extra
// "3" sitting across the 8's left half) leaves such a digit; on a printed NIK
// the digits never overlap. All false when the extents are not known.
//
// A "3" is an 8's right half: a narrow "8" squeezed in before or after a "3"
// is the same glyph read twice ("83" for an 8, its left loop first), and the
// glyph is the 8, so the "3" is the stray one.
std::vector<bool> CrowdedDigits(const std::vector<SymbolSpan>& spans, const std::string& read) {
  const size_t digits = read.size();
  std::vector<bool> crowded(digits, false);
  if (spans.size() != digits || digits < 3) return crowded;
  std::vector<float> widths;
  for (const SymbolSpan& s : spans) {
    if (s.x1 <= s.x0) return crowded;
    widths.push_back(static_cast<float>(s.x1 - s.x0));
  }
  const float median = MedianOf(widths);
  for (size_t i = 0; i < digits; ++i) {
    const int width = spans[i].x1 - spans[i].x0;
    const int left = i > 0 ? spans[i - 1].x1 - spans[i].x0 : 0;
    const int right = i + 1 < digits ? spans[i].x1 - spans[i + 1].x0 : 0;
    crowded[i] = width < 0.7F * median && std::max(left, right) >= 0.25 * width;
  }
  for (size_t i = 0; i < digits; ++i) {
    if (!crowded[i] || read[i] != '8') continue;
    // The "3" it touches (overlapping, or within a tenth of a digit).
    const int touch = static_cast<int>(0.1F * median);
    const bool three_after = i + 1 < digits && read[i + 1] == '3' && !crowded[i + 1] &&
                             spans[i + 1].x0 - spans[i].x1 <= touch;
    const bool three_before = i > 0 && read[i - 1] == '3' && !crowded[i - 1] &&
                              spans[i].x0 - spans[i - 1].x1 <= touch;
    if (!three_after && !three_before) continue;
    crowded[i] = false;
    crowded[three_after ? i + 1 : i - 1] = true;
  }
  return crowded;
}

// Every reading within the edit budget: the digits as read (when 16), one
// dropped digit for 17 (a crowded digit is free to drop, and then every other
// drop costs one more; else one at either end, e.g. the colon after "NIK" read
// as 1, is the cheapest), two for 18, each with at most one confusable-digit
// substitution, cheaper where Tesseract was less sure of the symbol; for 15,
// one digit put back in the region or the date, and nothing else.
// Substitutions go where the structure can check them: the region digits
// (0–5) always; the date digits (6–11) when they are no date as read, or when
// the symbol is weak (a confident date that disagrees with the printed one
// could be the printed one misread); the serial never.
constexpr double kInsertCost = 1.5;

std::vector<NikCandidate> NikCandidates(const std::string& read, const std::vector<float>& confidence,
                                        const std::vector<SymbolSpan>& spans) {
  std::vector<float> conf = confidence;
  conf.resize(read.size(), 100);
  const float median = std::max(MedianOf(conf), 1.0F);
  // Relative strength per digit, 0–1 (1 = as sure as the NIK's median digit).
  for (float& c : conf) c = std::min(c / median, 1.0F);
  const std::vector<bool> crowded = CrowdedDigits(spans, read);
  const bool any_crowded = std::find(crowded.begin(), crowded.end(), true) != crowded.end();
  const auto drop = [any_crowded](const NikCandidate& from, size_t i) {
    NikCandidate c = from;
    c.digits.erase(i, 1);
    c.confidence.erase(c.confidence.begin() + static_cast<std::ptrdiff_t>(i));
    c.crowded.erase(c.crowded.begin() + static_cast<std::ptrdiff_t>(i));
    const bool at_end = i == 0 || i == from.digits.size() - 1;
    if (from.crowded[i]) return c;
    c.cost += (at_end ? 0.5 : 1.5) - (from.confidence[i] < kWeakDigit ? 0.3 : 0.0) +
              (any_crowded ? 1.0 : 0.0);
    return c;
  };
  const NikCandidate as_read{read, 0, conf, crowded};
  std::vector<NikCandidate> bases;
  if (read.size() == 16) {
    bases.push_back(as_read);
  } else if (read.size() == 17) {
    for (size_t i = 0; i < read.size(); ++i) bases.push_back(drop(as_read, i));
  } else if (read.size() == 18) {
    for (size_t i = 0; i < read.size(); ++i) {
      const NikCandidate one = drop(as_read, i);
      for (size_t j = i; j < one.digits.size(); ++j) bases.push_back(drop(one, j));
    }
  } else if (read.size() == 15) {
    // One digit lost (run into its neighbour, or taken into the label): put
    // back any digit where the structure can check it, in the region or the
    // date; a lost serial digit cannot be told and stays lost. A digit put
    // before its own double goes after it instead (the same reading), so one
    // put at the date's end before its last digit is a serial digit: left.
    for (size_t i = 0; i < 12; ++i) {
      for (char d = '0'; d <= '9'; ++d) {
        if (d == read[i]) continue;
        NikCandidate c = as_read;
        c.digits.insert(c.digits.begin() + static_cast<std::ptrdiff_t>(i), d);
        c.confidence.insert(c.confidence.begin() + static_cast<std::ptrdiff_t>(i), 1.0F);
        c.crowded.insert(c.crowded.begin() + static_cast<std::ptrdiff_t>(i), false);
        c.cost = kInsertCost;
        c.inserted = true;
        bases.push_back(std::move(c));
      }
    }
  }
  std::vector<NikCandidate> out;
  out.reserve(bases.size() * 40);
  for (const NikCandidate& base : bases) {
    out.push_back(base);
    if (base.inserted) continue;  // one edit: the insertion
    const std::optional<NikParts> parts = SplitNik(base.digits);
    const bool date_ok = parts && NikDateIsValid(*parts);
    for (size_t i = 0; i < 12 && i < base.digits.size(); ++i) {
      if (i >= 6 && date_ok && base.confidence[i] >= kWeakDigit) continue;
      const std::string_view alternatives = ConfusableDigits(base.digits[i]);
      for (size_t k = 0; k < alternatives.size(); ++k) {
        NikCandidate c = base;
        c.digits[i] = alternatives[k];
        c.cost += 1.0 + 1.5 * base.confidence[i] + 0.1 * static_cast<double>(k);
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

// What the card's structure says for a reading: an existing district and a
// birth date equal to the printed one carry most; the printed sex and region
// names confirm or contradict.
double NikSupport(const NikScore& s) {
  double v = 0;
  if (s.district_exists) v += 4;
  if (s.date_valid) v += 1;
  if (s.date_agrees) v += 4;
  if (s.date_disagrees) v -= 1;
  if (s.sex_agrees) v += 1;
  if (s.sex_disagrees) v -= 2;
  v += 2.0 * s.regions_agreeing - 1.0 * s.regions_disagreeing;
  return v;
}

// The NIK as a constrained search (identity::ScoreNik): among the readings
// within the edit budget, the one the rest of the card supports best. The
// digits as read win ties; a corrected reading must be supported (district and
// birth date) and unambiguous. Never a value that is not 16 digits: when no
// reading can be trusted, the value is emptied (the digits stay in raw_text)
// and the identity checks say `unreadable_nik`.
//
// Votes (further readings of the NIK) add their own readings, each a little
// dearer than the first pass's; a reading both the first pass and a vote
// reach costs less. Returns whether the NIK was settled: 16 digits as read
// (or with only the colon's stray 1 dropped) that the card vouches for (see
// ParsedCard::nik_settled).
constexpr double kVoteCost = 0.5;
// See ResolveNik: how much cheaper the best reading must be than one that
// differs from it only in the serial.
constexpr double kSerialMargin = 1.5;
constexpr double kAgreementBonus = 1.0;

bool ResolveNik(FieldOut& nik, const NikEvidence& evidence, const RegionDirectory& regions,
                const std::vector<NikVote>& votes) {
  if (nik.value.empty() && votes.empty()) return false;
  std::vector<NikCandidate> candidates;
  if (!nik.value.empty()) candidates = NikCandidates(nik.value, nik.digit_confidence, nik.digit_span);
  if (!votes.empty()) {
    // Cheapest cost per reading, from the first pass and from the votes.
    std::map<std::string, double> first, voted;
    for (const NikCandidate& c : candidates) {
      auto [it, added] = first.emplace(c.digits, c.cost);
      if (!added) it->second = std::min(it->second, c.cost);
    }
    std::vector<NikCandidate> extra;
    for (const NikVote& vote : votes) {
      for (NikCandidate& c : NikCandidates(vote.digits, vote.confidence, {})) {
        c.cost += kVoteCost;
        auto [it, added] = voted.emplace(c.digits, c.cost);
        if (!added) it->second = std::min(it->second, c.cost);
        extra.push_back(std::move(c));
      }
    }
    candidates.insert(candidates.end(), std::make_move_iterator(extra.begin()),
                      std::make_move_iterator(extra.end()));
    for (NikCandidate& c : candidates) {
      const auto f = first.find(c.digits), v = voted.find(c.digits);
      if (f != first.end() && v != voted.end()) c.cost = std::min(f->second, v->second) - kAgreementBonus;
      c.vote_only = f == first.end();
      c.confirmed = f != first.end() && v != voted.end();
    }
  }
  const NikCandidate* best = nullptr;
  double best_value = 0;
  double runner_up = -1e9;
  NikScore best_score;
  std::optional<NikScore> as_read_score;  // the digits as read, when 16
  std::vector<double> values(candidates.size(), -1e9);
  for (size_t k = 0; k < candidates.size(); ++k) {
    const NikCandidate& c = candidates[k];
    const std::optional<NikParts> parts = SplitNik(c.digits);
    if (!parts) continue;
    const NikScore score = ScoreNik(*parts, evidence, regions);
    if (c.digits == nik.value) as_read_score = score;
    const double value = values[k] = NikSupport(score) - c.cost;
    if (best == nullptr || value > best_value) {
      if (best != nullptr && best->digits != c.digits) runner_up = best_value;
      best = &c;
      best_value = value;
      best_score = score;
    } else if (c.digits != best->digits && value > runner_up) {
      runner_up = value;
    }
  }
  const bool as_read = best != nullptr && best->digits == nik.value;
  // A printed birth date one digit off the NIK's is a misread on one side:
  // two readings of the NIK that agree, and printed region names that all
  // name its region, say it is the printed date's.
  const bool printed_date_misread = best != nullptr && best->confirmed && best_score.date_one_digit_off &&
                               best_score.regions_agreeing >= 2 && best_score.regions_disagreeing == 0 &&
                               !best_score.sex_disagrees;
  bool supported = best != nullptr && best_score.district_exists && best_score.date_valid &&
                   (best_score.date_agrees || (!evidence.birth_date && best_score.regions_agreeing >= 2) ||
                    printed_date_misread);
  // A reading the first pass never reached stands on the vote alone: the
  // printed region names must name its region too (a second pass misreads
  // the district digits as readily as the first). So does a digit put back:
  // ten guesses at it, one of which may well make some district.
  if (best != nullptr && (best->vote_only || best->inserted)) {
    supported = supported && best_score.date_agrees && best_score.regions_agreeing >= 2 &&
                best_score.regions_disagreeing == 0;
  }
  const bool clear = best_value - runner_up >= 1.0;
  // The best value among the readings `rival` picks out.
  const auto best_rival = [&](auto rival) {
    double v = -1e9;
    for (size_t k = 0; k < candidates.size(); ++k) {
      if (rival(candidates[k].digits)) v = std::max(v, values[k]);
    }
    return v;
  };
  // A reading the card cannot tell from the best one: the same region, date
  // and sex digits, another serial (which nothing on the card checks; a
  // stray digit dropped at the end rather than inside it, say). Only the
  // edit costs part them, and a prior is no evidence: the best must be
  // cheaper by more than the end-versus-inside drop (1.0), i.e. a crowded
  // glyph, a doubted digit or a second reading that agrees.
  const bool serial_clear =
      best == nullptr || best_value - best_rival([&](const std::string& d) {
                           return d != best->digits && d.compare(0, 12, best->digits, 0, 12) == 0;
                         }) >= kSerialMargin;
  // Only the region digits corrected, every printed region name contradicting
  // them as read and naming the corrected region: the other ten digits are as
  // read, so the birth date (agreeing or not) cannot choose between the two,
  // and the region names do. The region must be clear of every other region
  // reached.
  bool region_fix = false;
  if (best != nullptr && !as_read && !best->vote_only && nik.value.size() == 16 && as_read_score &&
      nik.value.compare(6, std::string::npos, best->digits, 6, std::string::npos) == 0 &&
      as_read_score->regions_agreeing == 0 && as_read_score->regions_disagreeing >= 2 &&
      best_score.district_exists && best_score.date_valid && best_score.regions_agreeing >= 2 &&
      best_score.regions_disagreeing == 0 && !best_score.sex_disagrees) {
    region_fix = best_value - best_rival([&](const std::string& d) {
                   return d.compare(0, 6, best->digits, 0, 6) != 0;
                 }) >= 1.0;
  }
  // 16 digits kept as read (nothing reads better, or no correction is clear)
  // are still checked for what no NIK can be: a DDMMYY that is no date (month
  // 00, day 35) is never a real card's, so the value goes; a district missing
  // from the table may be a retired code on an old card, so it stays, less
  // trusted.
  const auto keep_as_read = [&](const NikScore& score) {
    if (!score.date_valid) return false;
    if (!score.district_exists) nik.factor *= 0.5;
    return true;
  };
  if (as_read) {
    // 16 digits as read, and nothing reads better.
    if (keep_as_read(best_score)) return best_score.district_exists && best_score.date_agrees;
  } else if (best != nullptr && ((supported && clear && serial_clear) || region_fix)) {
    // Only the colon after "NIK" dropped (read as a leading digit), and the
    // card vouches for the rest: the first pass's digits as they stand, as
    // settled as 16 read that way (a vote differing in the serial, which
    // nothing checks, could only make it ambiguous).
    const bool colon_dropped = !best->vote_only && nik.value.size() == 17 &&
                               nik.value.compare(1, std::string::npos, best->digits) == 0;
    nik.value = best->digits;
    nik.factor = 0.85;
    return colon_dropped && best_score.district_exists && best_score.date_agrees;
  } else if (nik.value.size() == 16 && (best == nullptr || !clear || !serial_clear)) {
    // Ambiguous: keep what was read, as read, if a card could carry it.
    if (as_read_score && keep_as_read(*as_read_score)) return false;
  }
  nik.value.clear();
  nik.factor = 0;
  return false;
}

// Balinese names start with "I" (men) or "NI" (women) and a birth-order or
// caste name ("I WAYAN", "NI LUH"); Tesseract often loses the narrow space
// after the one- or two-letter prefix ("IWAYAN", "NILUH"). Put it back.
std::string SplitBalinesePrefix(const std::string& name) {
  static const char* const kSecond[] = {"WAYAN", "MADE",  "NYOMAN", "KETUT", "PUTU", "GEDE",
                                        "GUSTI", "KOMANG", "NENGAH", "KADEK", "LUH",  "AYU"};
  std::string out;
  for (absl::string_view token : absl::StrSplit(name, ' ')) {
    std::string t(token);
    for (const char* prefix : {"NI", "I"}) {
      const std::string p = prefix;
      if (t.size() <= p.size() || t.compare(0, p.size(), p) != 0) continue;
      bool split = false;
      for (const char* second : kSecond) split = split || t.substr(p.size()) == second;
      if (split) {
        t = p + " " + t.substr(p.size());
        break;
      }
    }
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

// Names hold no digits: any digit read is a misread letter.
void EmitName(const CardLayout& layout, v1::KtpCard& card) {
  if (!layout.reads[kNama].found) return;
  FieldOut f = BasicField(layout, kNama);
  f.value = SplitBalinesePrefix(DigitsToLetters(f.value));
  if (!f.value.empty()) Emit(f, card.mutable_name());
}

// The birth date, held back until it has been checked against the NIK.
struct BirthDate {
  FieldOut out;                       // empty value: no date was read
  std::optional<absl::CivilDay> day;  // set when it is a real calendar day
};

// "PLACE, DD-MM-YYYY", split where the date starts. The place (emitted here)
// loses a KAB./KOTA prefix and snaps to a regency/city name when close; the
// date is parsed and handed back.
BirthDate ExtractBirth(const CardLayout& layout, const RegionDirectory& regions, v1::KtpCard& card) {
  BirthDate birth;
  if (!layout.reads[kTtl].found) return birth;
  const float label_confidence = LabelConfidence(layout.reads[kTtl]);
  const Traced t = TrimSpaces(TracedValue(layout, kTtl));
  const size_t ds = DateStart(t.text);
  const Traced place = Sub(t, 0, ds == std::string::npos ? t.text.size() : ds);
  FieldOut p = Basic(layout.lines, place, label_confidence);
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
    FieldOut f = Basic(layout.lines, Sub(t, ds, t.text.size()), label_confidence);
    int repairs = 0;
    birth.day = ParseDate(f.raw, &repairs);
    if (birth.day) {
      f.value = FormatDate(*birth.day);
      f.date = birth.day;
      if (repairs > 0) f.factor *= 0.9;
    } else {
      f.factor *= 0.5;
    }
    birth.out = f;
  }
  return birth;
}

// Sex, snapped to its two values; held back until checked against the NIK.
FieldOut ExtractSex(const CardLayout& layout) {
  FieldOut sex;
  if (!layout.reads[kJenisKelamin].found) return sex;
  sex = BasicField(layout, kJenisKelamin);
  if (!sex.value.empty()) SnapToVocabulary(&sex, SexVocabulary(), 0.4);
  return sex;
}

// The blood type the card prints (A, B, AB, O, or "-" for unknown) in what
// was read, digit misreads (0, 8, 4) undone; "" when it is none of them.
std::string NormaliseBloodType(const std::string& text) {
  std::string letters;
  bool dash = false;
  for (char c : text) {
    const char u = Upper(c);
    if (u == '0') letters.push_back('O');
    else if (u == '8') letters.push_back('B');
    else if (u == '4') letters.push_back('A');
    else if (u == 'A' || u == 'B' || u == 'O') letters.push_back(u);
    else if (u == '-') dash = true;
    else if (IsAlnum(u)) letters.push_back('?');
  }
  if (letters == "A" || letters == "B" || letters == "AB" || letters == "O") return letters;
  if (letters == "BA") return "AB";
  if (letters == "BB") return "B";  // "B8": the B's bowls read once more as an 8
  if (letters.empty() && dash) return "-";
  return "";
}

// Blood type (on the sex line or its own): a recognised value as the card
// prints it; anything else as read, barely trusted.
void EmitBloodType(const CardLayout& layout, v1::KtpCard& card) {
  if (!layout.reads[kGolDarah].found) return;
  const Traced t = TrimSpaces(TracedValue(layout, kGolDarah));
  FieldOut f = Basic(layout.lines, t, LabelConfidence(layout.reads[kGolDarah]));
  const std::string value = NormaliseBloodType(t.text);
  if (!value.empty()) {
    if (value != CleanText(t.text) && value != "-") f.factor *= 0.9;
    f.value = value;
    if (f.raw.empty()) f.raw = t.text;
    if (!f.evidence.any) f.evidence = EvidenceOf(layout.lines, t);
    Emit(f, card.mutable_blood_type());
  } else if (!f.value.empty()) {
    f.factor *= 0.3;
    Emit(f, card.mutable_blood_type());
  } else {
    // The label read and nothing after it: the card's "-" (blood type not
    // known), a short thin stroke Tesseract drops, rather than a letter lost
    // whole. Trusted little.
    f.value = "-";
    f.factor *= 0.5;
    Emit(f, card.mutable_blood_type());
  }
}

// Street abbreviations (Jalan, Gang, Kampung, Kompleks, Desa, Dusun, Blok,
// Kavling, Lingkungan, Nomor) end in a full stop, which Tesseract reads as a comma on some
// faces ("KP, BATU"); an address holds no colon either ("PERUM:BUMI ASRI").
// A card printed in title case ("Jln. Mawar") has its lower-case l read as an
// i: "JIN." is "JLN.".
// Spacing is left as read: cards print "NO. 10" and "NO.10" alike, so a space
// Tesseract dropped cannot be told from one never printed.
//
// A stop read twice ("KOMP.,", a comma under the stop) is one stop. A house
// number after "NO." whose first digit was read as a letter ("NO. S1") gets
// the digit back: a house number starts with a digit (a letter suffix, "12A",
// is left alone).
void RepairHouseNumber(std::string& t, size_t from) {
  if (t.size() < from + 2 || IsDigit(t[from]) || DigitForConfusable(t[from]) == '\0') return;
  for (size_t i = from + 1; i < t.size(); ++i) {
    if (!IsDigit(t[i])) return;
  }
  t[from] = DigitForConfusable(t[from]);
}

// An abbreviation's letters as Tesseract confuses them in the card's bold
// capitals: the thin strokes L, I, 1 and U ("JUN." for "JLN.", "LI" run
// together as "UNGK."), G and 6 ("6G.").
std::string FoldAbbreviation(std::string_view stem) {
  std::string out;
  for (size_t i = 0; i < stem.size(); ++i) {
    char c = stem[i];
    if (c == 'L' && i + 1 < stem.size() && stem[i + 1] == 'I') ++i;  // "LI" read as one "U"
    if (c == 'L' || c == 'I' || c == '1' || c == '|' || c == '!') c = 'U';
    if (c == '6') c = 'G';
    out.push_back(c);
  }
  return out;
}

// The street abbreviation a stem read before a stop is ("JUN" in "JUN.",
// "6G", "UNGK": its letters misread), or "" when none. The stop is what says
// it is an abbreviation: "JUN" alone may be a word.
std::string AbbreviationFor(std::string_view stem) {
  if (stem.size() < 2 || stem.size() > 5) return "";
  for (const char* abbreviation : kStreetAbbreviations) {
    if (stem == abbreviation) return abbreviation;
  }
  const std::string folded = FoldAbbreviation(stem);
  for (const char* abbreviation : kStreetAbbreviations) {
    if (FoldAbbreviation(abbreviation) == folded) return abbreviation;
  }
  return "";
}

std::string NormaliseAddressPunctuation(const std::string& address) {
  std::string spaced = address;
  for (char& c : spaced) c = (c == ':' || c == ';') ? ' ' : c;
  std::vector<std::string> tokens = absl::StrSplit(spaced, ' ', absl::SkipEmpty());
  // The label's colon read as a 1 before the first word: on its own
  // ("1 LINGK.") or glued to it ("1JL.").
  const auto is_abbreviation = [](const std::string& t) {
    const size_t stop = t.find_first_of(".,");
    return stop != std::string::npos && stop + 1 == t.size() &&
           !AbbreviationFor(std::string_view(t).substr(0, stop)).empty();
  };
  if (tokens.size() >= 2 && (tokens[0] == "1" || tokens[0] == "I" || tokens[0] == "|") && is_abbreviation(tokens[1])) {
    tokens.erase(tokens.begin());
  } else if (!tokens.empty() && tokens[0].size() >= 3 && tokens[0][0] == '1' && is_abbreviation(tokens[0].substr(1))) {
    tokens[0].erase(0, 1);
  }
  std::string out;
  bool after_no = false;
  bool after_blok = false;
  for (std::string& t : tokens) {
    // A title-case "Jl." / "Jln." reads as "JI." / "JIN.": no address word
    // is spelled so. Other misread letters of an abbreviation with its stop
    // likewise.
    if (t.size() >= 3 && (t.back() == '.' || t.back() == ',')) {
      const std::string fixed = AbbreviationFor(std::string_view(t).substr(0, t.size() - 1));
      if (!fixed.empty()) t = fixed + t.back();
    }
    // A block is a letter and a number ("BLOK A5"): letters after the first
    // read where its digits are printed ("AS") are those digits.
    if (after_blok && t.size() >= 2 && t.size() <= 3 && t[0] >= 'A' && t[0] <= 'Z') {
      // Not 'A' (blocks "AA" exist) nor 'T' (a 7 or a 1: "AT" is not telling).
      bool digits_misread = true;
      for (size_t i = 1; i < t.size(); ++i) {
        digits_misread = digits_misread && t[i] != 'A' && t[i] != 'T' && DigitForConfusable(t[i]) != '\0';
      }
      if (digits_misread) {
        for (size_t i = 1; i < t.size(); ++i) t[i] = DigitForConfusable(t[i]);
      }
    }
    after_blok = t == "BLOK";
    for (const char* abbreviation : kStreetAbbreviations) {
      const absl::string_view a = abbreviation;
      if (t.size() > a.size() && absl::StartsWith(t, a) && (t[a.size()] == ',' || t[a.size()] == '.')) {
        t[a.size()] = '.';
        if (t.size() > a.size() + 1 && t[a.size() + 1] == ',') t.erase(a.size() + 1, 1);
        break;
      }
    }
    if (after_no) RepairHouseNumber(t, 0);
    if (absl::StartsWith(t, "NO.")) RepairHouseNumber(t, 3);
    after_no = t == "NO." || t == "NO";
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

void EmitAddress(const CardLayout& layout, v1::KtpCard& card) {
  if (!layout.reads[kAlamat].found) return;
  FieldOut f = BasicField(layout, kAlamat);
  f.value = NormaliseAddressPunctuation(f.value);
  if (!f.value.empty()) Emit(f, card.mutable_address());
}

// "NNN/NNN" from what was read: two digit groups (confusable letters
// repaired, counted in *repairs), each padded to three digits; six digits
// without a separator split in the middle, seven whose middle one is a 1 or 7
// too (the slash read as a digit: "0201004"), eight with the colon read as a
// leading 1 as well ("10201004"). "" when it is not two groups of
// at most three digits.
std::string NormaliseRtRw(const std::string& raw, int* repairs) {
  std::vector<std::string> groups;
  std::string cur;
  for (char c : raw) {
    const char d = DigitForConfusable(c);
    if (d != '\0' && c != '|' && c != '!') {
      *repairs += !IsDigit(c);
      cur.push_back(d);
    } else if (!cur.empty()) {
      groups.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) groups.push_back(std::move(cur));
  // The label's colon read as a 1, glued to the RT ("1018/007") or on its
  // own ("1. 014/011"), or the slash read as "/1" before the RW
  // ("002/1013"): an RT or RW has at most three digits, so a leading 1
  // beyond them is the colon or the slash. So is a trailing 1 on the RT, the
  // slash read as "1/" ("0081/013").
  if (groups.size() == 2) {
    for (std::string& g : groups) *repairs += DropGluedOne(g, 3) ? 1 : 0;
    if (groups[0].size() == 4 && groups[0].back() == '1') {
      groups[0].pop_back();
      ++*repairs;
    }
    // The slash's foot read as a 9 before the RW ("003/9003").
    if (groups[1].size() == 4 && groups[1][0] == '9') {
      groups[1].erase(0, 1);
      ++*repairs;
    }
  } else if (groups.size() == 3 && groups[0] == "1") {
    ++*repairs;
    groups.erase(groups.begin());
  }
  if (groups.size() == 1 && groups[0].size() == 6) groups = {groups[0].substr(0, 3), groups[0].substr(3)};
  // Both at once ("10111014"): eight digits cannot be two groups of three
  // any other way.
  if (groups.size() == 1 && groups[0].size() == 8 && groups[0][0] == '1' &&
      (groups[0][4] == '1' || groups[0][4] == '7')) {
    ++*repairs;
    groups[0].erase(0, 1);
  }
  if (groups.size() == 1 && groups[0].size() == 7 && (groups[0][3] == '1' || groups[0][3] == '7')) {
    ++*repairs;
    groups = {groups[0].substr(0, 3), groups[0].substr(4)};
  }
  // The colon's 1 and six digits, the slash lost ("1016011"; the middle
  // digit no 1 or 7 that could be the slash).
  if (groups.size() == 1 && groups[0].size() == 7 && groups[0][0] == '1') {
    ++*repairs;
    groups = {groups[0].substr(1, 3), groups[0].substr(4)};
  }
  if (groups.size() != 2 || groups[0].size() > 3 || groups[1].size() > 3) return "";
  const auto pad = [](const std::string& g) { return std::string(3 - g.size(), '0') + g; };
  return pad(groups[0]) + "/" + pad(groups[1]);
}

// RT/RW: normalised when it has the printed form; else kept as read, less
// trusted.
void EmitRtRw(const CardLayout& layout, v1::KtpCard& card) {
  if (!layout.reads[kRtRw].found) return;
  FieldOut f = BasicField(layout, kRtRw);
  int repairs = 0;
  const std::string value = NormaliseRtRw(f.raw, &repairs);
  if (!value.empty()) {
    f.value = value;
    if (repairs > 0) f.factor *= 0.9;
  } else {
    f.factor *= 0.5;
  }
  if (!f.value.empty()) Emit(f, card.mutable_rt_rw());
}

// Religion, marital status, nationality: closed vocabularies, so a value
// close to a known one is that one.
void EmitClosedVocabularies(const CardLayout& layout, v1::KtpCard& card) {
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
    if (!layout.reads[c.label].found) continue;
    FieldOut f = BasicField(layout, c.label);
    if (f.value.empty()) continue;
    SnapToVocabulary(&f, c.vocabulary, c.max_distance);
    Emit(f, (card.*c.field)());
  }
}

// Occupation: open-ended in practice, so snapped only when close to a known
// one, else kept as read (at full trust: an unlisted job is no misread).
void EmitOccupation(const CardLayout& layout, v1::KtpCard& card) {
  if (!layout.reads[kPekerjaan].found) return;
  FieldOut f = BasicField(layout, kPekerjaan);
  if (f.value.empty()) return;
  const VocabularyMatch m = NearestInVocabulary(f.value, OccupationVocabulary());
  if (!m.value.empty() && m.distance <= 0.25) {
    if (m.value != f.value) f.factor *= 0.9;
    f.value = std::string(m.value);
  }
  Emit(f, card.mutable_occupation());
}

// Valid until: SEUMUR HIDUP (for life) or a date.
void EmitValidUntil(const CardLayout& layout, v1::KtpCard& card) {
  if (!layout.reads[kBerlaku].found) return;
  FieldOut f = BasicField(layout, kBerlaku);
  if (f.value.empty()) return;
  int repairs = 0;
  if (KeyDistance(f.value, "SEUMUR HIDUP") <= 0.35) {
    if (f.value != "SEUMUR HIDUP") f.factor *= 0.9;
    f.value = "SEUMUR HIDUP";
  } else if (const std::optional<absl::CivilDay> day = ParseDate(f.value, &repairs)) {
    f.value = FormatDate(*day);
    f.date = day;
    if (repairs > 0) f.factor *= 0.9;
  } else {
    f.factor *= 0.5;
  }
  Emit(f, card.mutable_valid_until());
}

// A card valid until a date (not for life) is valid until its holder's
// birthday: the validity's day and month are the birth date's. A validity
// read one digit off them ("28-03-2019" on a card born 23-03) is mended from
// the birth date, once the NIK has vouched for that (its DDMMYY equal to it);
// the year stays as read. More than one digit off is left as read: that is
// no misread of one glyph.
void MendValidUntilFromBirthday(v1::KtpCard& card) {
  if (!card.has_valid_until() || !card.birth_date().has_date_value()) return;
  const auto& b = card.birth_date().date_value();
  const absl::CivilDay birth(b.year(), b.month(), b.day());
  const std::optional<NikParts> nik = SplitNik(card.nik().value());
  if (!nik || !NikDateAgrees(*nik, birth)) return;
  const std::vector<std::string> groups = DateDigitGroups(card.valid_until().value());
  if (groups.size() != 3 || groups[0].size() != 2 || groups[1].size() != 2 || groups[2].size() != 4) return;
  if (DigitsDiffering(groups[0] + groups[1], TwoDigits(birth.day()) + TwoDigits(birth.month())) != 1) return;
  const std::optional<absl::CivilDay> day = CalendarDay(birth.day(), birth.month(), ToInt(groups[2]));
  if (!day) return;
  v1::KtpField* f = card.mutable_valid_until();
  f->set_value(FormatDate(*day));
  f->mutable_date_value()->set_year(static_cast<int32_t>(day->year()));
  f->mutable_date_value()->set_month(day->month());
  f->mutable_date_value()->set_day(day->day());
  f->set_confidence(static_cast<float>(f->confidence() * 0.85));
}

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

// The NIK's own structure (identity/identity_validation) against what was
// read elsewhere on the card.
NikAgreement CheckNik(const std::string& nik, const absl::CivilDay* birth, const std::string& sex) {
  NikAgreement a;
  const std::optional<NikParts> parts = SplitNik(nik);
  if (!parts) return a;
  if (birth != nullptr) {
    a.date_checked = true;
    a.date = NikDateAgrees(*parts, *birth);
  }
  const v1::Sex printed = SexOf(sex);
  if (printed != v1::SEX_UNSPECIFIED && parts->day_valid()) {
    a.sex_checked = true;
    a.sex = (printed == v1::SEX_FEMALE) == parts->female();
  }
  return a;
}

// NIK, birth date and sex, once checked against each other: the NIK encodes
// the birth date (DD, +40 for women; MM; YY) and so the sex. Disagreement
// means one of them was misread; we cannot tell which, so both are trusted
// less. Agreement, with a district that exists, lifts the NIK's confidence.
void EmitNikBirthDateAndSex(FieldOut nik, BirthDate birth, FieldOut sex, const RegionDirectory& regions,
                            std::optional<absl::CivilDay> today, v1::KtpCard& card) {
  const NikAgreement agreement = CheckNik(nik.value, birth.day ? &*birth.day : nullptr, sex.value);
  if (!agreement.date) {
    nik.factor *= 0.8;
    birth.out.factor *= 0.8;
  }
  if (!agreement.sex) {
    nik.factor *= 0.9;
    sex.factor *= 0.9;
  }
  // An untrusted NIK is still reported (empty value, raw text kept) so the
  // identity checks can say `unreadable_nik`.
  if (!nik.value.empty() || !nik.raw.empty()) Emit(nik, card.mutable_nik());
  // Tesseract's per-character confidence on the large bold NIK digits is low
  // even when they are right. A NIK whose district exists and whose date and
  // sex agree with what was read independently elsewhere on the card is very
  // unlikely to be misread: say so in its confidence.
  const bool district_exists = regions.Find(RegionDirectory::DistrictCodeOfNik(nik.value)) != nullptr;
  if (agreement.Corroborated() && nik.factor >= 0.8 && district_exists) {
    card.mutable_nik()->set_confidence(
        std::max(card.nik().confidence(), static_cast<float>(90.0 * nik.factor)));
  }
  // A NIK the card vouches for (taken, its district existing, the printed
  // sex agreeing) completes a birth date read in part whose digits all agree
  // with it, and settles one read whole that it contradicts in a digit or
  // two: its digits were voted over reads and searched under its constraints
  // (district, date, sex), the date read once; on the tuning sets every such
  // contradiction was the date misread. Either is trusted less than a date
  // read whole, and done after the cross-check above, so the date does not
  // corroborate the NIK it came from.
  const bool vouched = !nik.value.empty() && nik.factor >= 0.8 && district_exists && agreement.sex;
  if ((!birth.day || !agreement.date) && !birth.out.raw.empty() && vouched) {
    if (const std::optional<NikParts> parts = SplitNik(nik.value)) {
      std::optional<absl::CivilDay> day;
      if (!birth.day) day = CompleteDateFromNik(birth.out.raw, *parts, today);
      if (!day) day = MendDateFromNik(birth.out.raw, *parts);
      if (day) {
        birth.out.value = FormatDate(*day);
        birth.out.date = day;
        birth.out.factor = 0.8;
      }
    }
  }
  if (!birth.out.value.empty()) Emit(birth.out, card.mutable_birth_date());
  if (!sex.value.empty()) Emit(sex, card.mutable_sex());
}

// The regions a NIK names (its first six digits: province, regency/city,
// district), when that district exists.
struct NikRegions {
  const Region* province = nullptr;
  const Region* city = nullptr;
  const Region* district = nullptr;
};

NikRegions RegionsOfNik(const std::string& nik, const RegionDirectory& regions) {
  NikRegions r;
  const std::string district_code = RegionDirectory::DistrictCodeOfNik(nik);
  r.district = district_code.empty() ? nullptr : regions.Find(district_code);
  if (r.district == nullptr) return r;
  r.city = regions.Find(district_code.substr(0, 5));
  r.province = regions.Find(district_code.substr(0, 2));
  return r;
}

// A header line's region name (after PROVINSI / KABUPATEN / KOTA), digits
// read as letters; its label confidence is how well the prefix matched.
FieldOut HeaderField(const CardLayout& layout, const HeaderLine& header) {
  const auto li = static_cast<size_t>(header.line);
  FieldOut f = Basic(layout.lines, Trace(layout.lines, {{li, header.value, layout.lines[li].text.size()}}),
                     Clamp100(100.0 - header.distance * 100.0));
  f.value = DigitsToLetters(f.value);
  return f;
}

// The four region fields, top down: each snaps to the NIK's region when the
// text agrees, else to a region below the one read above it (or any of its
// level); never to a value that was not read. Villages are only ever looked
// for within one district: the full list is 83k names.
void EmitRegions(const CardLayout& layout, const std::string& nik, const RegionDirectory& regions,
                 v1::KtpCard& card) {
  const NikRegions from_nik = RegionsOfNik(nik, regions);
  const Region* province = nullptr;
  if (layout.province.found()) {
    FieldOut f = HeaderField(layout, layout.province);
    if (!f.value.empty()) {
      province = SnapRegion(&f, from_nik.province, &regions.Level(1), 0.25);
      Emit(f, card.mutable_province());
    }
  }
  const Region* city = nullptr;
  if (layout.city.found()) {
    FieldOut f = HeaderField(layout, layout.city);
    if (!f.value.empty()) {
      const auto& candidates = province ? regions.Children(province->code) : regions.Level(2);
      city = SnapRegion(&f, from_nik.city, &candidates, 0.25);
      Emit(f, card.mutable_city_regency());
    }
  }
  const Region* district = nullptr;
  if (layout.reads[kKecamatan].found) {
    FieldOut f = BasicField(layout, kKecamatan);
    f.value = DigitsToLetters(f.value);
    if (!f.value.empty()) {
      const Region* parent = city ? city : from_nik.city;
      district = SnapRegion(&f, from_nik.district, parent ? &regions.Children(parent->code) : nullptr, 0.3);
      Emit(f, card.mutable_district());
    }
  }
  if (layout.reads[kKelDesa].found) {
    FieldOut f = BasicField(layout, kKelDesa);
    f.value = DigitsToLetters(f.value);
    if (!f.value.empty()) {
      const Region* parent = district ? district : from_nik.district;
      if (parent) SnapRegion(&f, nullptr, &regions.Children(parent->code), 0.35);
      Emit(f, card.mutable_village());
    }
  }
}

// What the card says besides the NIK, for ResolveNik: the printed birth
// date and sex, and the region names as read (before any snapping to the NIK).
NikEvidence NikEvidenceOf(const CardLayout& layout, const BirthDate& birth, const FieldOut& sex) {
  NikEvidence e;
  e.birth_date = birth.day;
  e.sex = SexOf(sex.value);
  if (layout.province.found()) e.province = HeaderField(layout, layout.province).value;
  if (layout.city.found()) e.city_regency = HeaderField(layout, layout.city).value;
  if (layout.reads[kKecamatan].found) e.district = DigitsToLetters(BasicField(layout, kKecamatan).value);
  return e;
}

}  // namespace

ParsedCard ParseKtpText(const std::vector<OcrLine>& input, const RegionDirectory& regions,
                        const std::vector<NikVote>& nik_votes, std::optional<absl::CivilDay> today) {
  const CardLayout layout = LayOutCard(input);
  ParsedCard out;
  out.labels_found = CountLabelsFound(layout);
  out.ktp_only_labels_found = CountKtpOnlyLabelsFound(layout);
  v1::KtpCard& card = out.card;
  // NIK, birth date and sex vouch for each other: they are emitted together,
  // after the cross-check; the regions then snap against the NIK's district.
  FieldOut nik = ExtractNik(layout);
  EmitName(layout, card);
  BirthDate birth = ExtractBirth(layout, regions, card);
  FieldOut sex = ExtractSex(layout);
  EmitBloodType(layout, card);
  EmitAddress(layout, card);
  EmitRtRw(layout, card);
  EmitClosedVocabularies(layout, card);
  EmitOccupation(layout, card);
  EmitValidUntil(layout, card);
  if (nik.evidence.any) out.nik_box = nik.evidence.box;
  out.nik_settled = ResolveNik(nik, NikEvidenceOf(layout, birth, sex), regions, nik_votes);
  const std::string nik_digits = nik.value;
  EmitNikBirthDateAndSex(std::move(nik), std::move(birth), std::move(sex), regions, today, card);
  MendValidUntilFromBirthday(card);
  EmitRegions(layout, nik_digits, regions, card);
  return out;
}

}  // namespace ktp::reader
