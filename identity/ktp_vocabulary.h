// The closed vocabularies printed on a KTP (sex, religion, marital status,
// nationality, blood type, occupation) and the OCR-tolerant string comparison
// the field parser snaps values with: a folded key (letters and digits only,
// lower case, common Tesseract confusions merged) and edit distance on it.
#ifndef KTP_IDENTITY_KTP_VOCABULARY_H_
#define KTP_IDENTITY_KTP_VOCABULARY_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ktp::identity {

// Appends the comparison key of `text` to `key`: only letters and digits,
// lower case, with glyphs Tesseract confuses folded together (l/1→i, 0→o,
// q→g, 5→s, 8→b, "rn"→m, "vv"→w). When `source_end` is given, it receives for
// every key character the index just past the text bytes it came from.
void AppendFoldedKey(std::string_view text, std::string* key, std::vector<size_t>* source_end = nullptr);
std::string FoldedKey(std::string_view text);

// Levenshtein distance (unit costs).
int EditDistance(std::string_view a, std::string_view b);
// EditDistance of the folded keys over the longer key's length: 0 identical,
// 1 nothing in common (also when either key is empty).
double KeyDistance(std::string_view a, std::string_view b);

struct VocabularyMatch {
  std::string_view value;  // empty when the vocabulary is empty
  double distance = 1.0;   // KeyDistance to `value`
};
// The entry nearest to `text` (first one on ties, so list the commoner first).
VocabularyMatch NearestInVocabulary(std::string_view text, const std::vector<std::string_view>& vocabulary);

const std::vector<std::string_view>& SexVocabulary();
const std::vector<std::string_view>& ReligionVocabulary();
const std::vector<std::string_view>& MaritalStatusVocabulary();
const std::vector<std::string_view>& NationalityVocabulary();
// The Dukcapil occupation list (the values printed under "Pekerjaan").
const std::vector<std::string_view>& OccupationVocabulary();

}  // namespace ktp::identity

#endif  // KTP_IDENTITY_KTP_VOCABULARY_H_
