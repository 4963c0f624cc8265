// The street abbreviations a KTP address prints with a stop ("JL. MAWAR",
// "GG. MELATI", "NO. 12"): one list for the field parser (which repairs a
// stop misread as a comma or a letter) and the glyph check (which restores a
// stop Tesseract dropped, from the dot on the baseline).
#ifndef KTP_READER_STREET_ABBREVIATIONS_H_
#define KTP_READER_STREET_ABBREVIATIONS_H_

namespace ktp::reader {

inline constexpr const char *kStreetAbbreviations[] = {
    "JL", "JLN", "GG", "NO", "KP", "KOMP", "DS", "DSN", "BLK", "KAV", "LINGK"};

} // namespace ktp::reader

#endif // KTP_READER_STREET_ABBREVIATIONS_H_
