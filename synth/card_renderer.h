// Cairo drawing of clean documents: the KTP front exactly on the shared layout
// (reader/card_layout.h), and the non-KTP documents used as negatives.
// Images are 8-bit RGBA cv::Mats (R, G, B, A order); alpha marks the document's
// rounded outline so it can be composited onto a background.
#ifndef KTP_SYNTH_CARD_RENDERER_H_
#define KTP_SYNTH_CARD_RENDERER_H_

#include <opencv2/core.hpp>
#include <string>

#include "synth/identity.h"
#include "synth/random.h"

namespace ktp::synth {

// Whether `text` fits its slot at the nominal font size: "header" (a centred
// header line), "value" (the value column, up to the text area's right edge),
// "issue" (the issue place/date under the photo). Thread-safe.
bool TextFits(const std::string& slot, const std::string& text);

// The clean card, layout::kCardWidth × kCardHeight. `rng` varies only the
// background pattern, the invented face and the signature.
cv::Mat RenderCard(const Identity& id, Rng& rng);

// A document that is not a KTP. `kind` receives "page", "card" or "scene".
// Scenes are meant to fill the whole frame (alpha is opaque everywhere).
cv::Mat RenderOtherDocument(Rng& rng, std::string* kind);

}  // namespace ktp::synth

#endif  // KTP_SYNTH_CARD_RENDERER_H_
