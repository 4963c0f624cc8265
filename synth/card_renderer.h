// Cairo drawing of clean documents: the KTP front on a per-card geometry drawn
// around the shared layout (reader/card_layout.h), and the non-KTP documents
// used as negatives.
// Images are 8-bit RGBA cv::Mats (R, G, B, A order); alpha marks the document's
// rounded outline so it can be composited onto a background.
#ifndef KTP_SYNTH_CARD_RENDERER_H_
#define KTP_SYNTH_CARD_RENDERER_H_

#include <opencv2/core.hpp>
#include <string>

#include "absl/status/status.h"

#include "synth/identity.h"
#include "synth/random.h"

namespace ktp::synth {

// Where one card puts its columns, rows and photo (fractions of the card's
// width / height, as in reader/card_layout.h). Real cards do not all follow
// one layout: the colon and value columns, the photo and the row pitch move
// by several per cent, so ktp-synth draws each card on its own geometry and
// the reader cannot get away with assuming the nominal one.
struct CardGeometry {
  double label_x = 0;
  double indented_label_x = 0;  // RT/RW, Kel/Desa, Kecamatan
  double colon_x = 0;
  double value_x = 0;
  double value_right = 0;  // values end before this (left of the photo)
  double blood_label_x = 0;
  double nik_y = 0;
  double nik_size = 1;  // the NIK's font size, × the layout's
  double first_row_y = 0;
  double row_pitch = 0;
  double photo_x0 = 0, photo_y0 = 0, photo_x1 = 0, photo_y1 = 0;
  double issue_place_y = 0;
  double issue_date_y = 0;
  double sign_x0 = 0, sign_y0 = 0, sign_x1 = 0, sign_y1 = 0;
  // The typeface (a fontconfig family). Cards are printed by many regional
  // offices: the reader must not depend on one face's glyph shapes.
  std::string font = "Liberation Sans";
};

// reader/card_layout.h exactly.
CardGeometry NominalGeometry();
// Whether fontconfig has every typeface DrawGeometry picks, under its own
// name: a missing face would be replaced by another one silently, and the
// corpus would no longer be what its seed says.
absl::Status TypefacesInstalled();
// The same for one family.
absl::Status TypefaceInstalled(const std::string& face);
// A plausible variation of the nominal layout: label column 2.2–5 %, colon
// column 22.5–29.5 %, value gap 1.2–3 %, photo left edge 68.5–76 % and width
// 19–23.5 %, row pitch 4.6–5.6 %, first row and NIK row moved to fit, NIK
// size ×0.95–1.15; the typeface Liberation Sans on ~3/8 of the cards, else
// Liberation Sans Narrow, Roboto, Roboto Condensed, Open Sans or Carlito.
CardGeometry DrawGeometry(Rng& rng);

// Whether `text` fits its slot at the nominal font size: "header" (a centred
// header line), "value" (the value column, up to the text area's right edge),
// "issue" (the issue place/date under the photo). Thread-safe.
bool TextFits(const std::string& slot, const std::string& text);
// The same on `g`: a value must also fit g's value column (never wider than
// the nominal one, so every value also passes TextFits).
bool TextFitsOn(const CardGeometry& g, const std::string& slot, const std::string& text);

// The clean card, layout::kCardWidth × kCardHeight, drawn on `g`. `rng`
// varies only the background pattern, the invented face and the signature.
cv::Mat RenderCard(const Identity& id, const CardGeometry& g, Rng& rng);
// On NominalGeometry().
cv::Mat RenderCard(const Identity& id, Rng& rng);

// A document that is not a KTP. `kind` receives "page", "card" or "scene".
// Scenes are meant to fill the whole frame (alpha is opaque everywhere).
cv::Mat RenderOtherDocument(Rng& rng, std::string* kind);

}  // namespace ktp::synth

#endif  // KTP_SYNTH_CARD_RENDERER_H_
