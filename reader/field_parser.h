// Turns the OCR'd lines of a rectified KTP into the 17 typed fields: finds
// the printed labels tolerantly (OCR errors, missing colons), repairs digit
// confusions in the NIK, snaps closed vocabularies (religion, sex, blood type,
// marital status, nationality, occupation) and region names (against the
// NIK's district in RegionDirectory), splits place and date of birth, and
// keeps what was read as raw text. Pure text logic: no Tesseract, no pixels.
#ifndef KTP_READER_FIELD_PARSER_H_
#define KTP_READER_FIELD_PARSER_H_

#include <optional>
#include <string>
#include <vector>

#include "ktp/v1/ktp_ocr.pb.h"
#include "absl/time/civil_time.h"
#include "reader/ocr_text.h"
#include "identity/region_directory.h"

namespace ktp::reader {

using identity::Region;
using identity::RegionDirectory;

// Another reading of the NIK's digits (a digits-only OCR pass over its line):
// its digits and their symbols' confidences (0–100).
struct NikVote {
  std::string digits;
  std::vector<float> confidence;
};

struct ParsedCard {
  // Every field found gets value, confidence (0–100), confidence_field (how
  // well its label matched, 0–100), raw_text (the text after the label, as
  // read) and one polygon (its box, in the lines' pixel space); birth_date and
  // valid_until also get date_value when they are valid dates. Fields not
  // found are left unset. The caller drops what the request did not ask for.
  v1::KtpCard card;
  // How many of the 14 printed labels plus the PROVINSI header were found:
  // evidence that the image is a KTP at all.
  int labels_found = 0;
  // How many of those only a KTP prints (Gol. Darah, RT/RW, Kel/Desa,
  // Kecamatan, Agama, Status Perkawinan, Kewarganegaraan): a student or
  // membership card has a Nama, Tempat/Tgl Lahir, Alamat and Berlaku too.
  int ktp_only_labels_found = 0;
  // The NIK's 16 digits were taken as read (or with only the colon, read as
  // a leading 1, dropped) and the card vouches for them (an existing
  // district, the printed birth date): a further reading of them would
  // change nothing.
  bool nik_settled = false;
  // Where the NIK's digits were read (the lines' pixel space), when they were.
  std::optional<PixelBox> nik_box;
};

// `lines` top to bottom, as OCR'd from the card (header included).
// `nik_votes`: further readings of the NIK, which join its constrained search
// (a reading two passes agree on costs less; the first pass's digits as read
// still win every tie). `today` (in Indonesia): with it, a birth date whose
// year was not read, or read only as "20", is completed from the NIK (the
// century as ktp.v1.DecodedNik chooses it); without it, only a year whose
// digits read begin with a 1 ("1", "19", "198") is.
ParsedCard ParseKtpText(const std::vector<OcrLine>& lines, const RegionDirectory& regions,
                        const std::vector<NikVote>& nik_votes = {},
                        std::optional<absl::CivilDay> today = std::nullopt);

}  // namespace ktp::reader

#endif  // KTP_READER_FIELD_PARSER_H_
