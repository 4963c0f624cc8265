// Finds the card in a photo or scan and rectifies it: segments card vs
// background on a downscaled copy, takes the most card-like quadrilateral
// (rectangularity, ID-1 aspect ratio, size), orders its corners and maps it to
// the canonical layout::kCardWidth × kCardHeight frame. Cards cut by the image
// border get their hidden corners extrapolated from the visible sides, unless
// a whole card-shaped outline lies inside the cut one (then the cut one is the
// sheet or desk it lies on). A card photocopied on a sheet of paper is found
// on the sheet (whose outline is the one that stands out from the desk; an
// outline light blue inside is the card, not a sheet). When nothing card-like is found the
// whole image is taken as the card (scans and photos filled by the card). A
// card turned by 90° or 270° (its long sides upright) is found and ordered as
// if turned 90° clockwise; which of 90° / 270° (and 0° / 180° for a landscape
// card) it really is cannot be told from the outline: the caller decides from
// the content and calls Rotated180. Inside the rectified card, it also finds
// what moves from card to card: the colon column and the photo's left edge.
#ifndef KTP_READER_CARD_LOCATOR_H_
#define KTP_READER_CARD_LOCATOR_H_

#include <array>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "reader/ocr_text.h"

namespace ktp::reader {

struct CardLocation {
  // A card-like quadrilateral was found; false = the full image is used, or
  // (cropped) the bounding box of a card cut on two sides by the border.
  bool found = false;
  // Corners in original image pixels: top-left, top-right, bottom-right,
  // bottom-left as the card reads. May lie outside the image when cropped.
  std::array<cv::Point2f, 4> quad;
  // 3×3 CV_64F homography from canonical card pixels (kCardWidth × kCardHeight)
  // to original image pixels.
  cv::Mat card_to_image;
  // Angle of the card's top edge against the horizontal, degrees, clockwise
  // positive, in (-180, 180].
  double angle_deg = 0;
  // The angle in whole quarter turns, clockwise (0 upright, 1 = 90°, 2 = 180°,
  // 3 = 270°), and what is left of it: angle_deg = 90 × quarter_turns + tilt_deg
  // (mod 360), tilt_deg in (-45, 45].
  int quarter_turns = 0;
  double tilt_deg = 0;
  // Part of the card lies outside the image: a corner beyond the border or a
  // side along it. Also set without an outline (found == false) when a card
  // cut on two sides (a corner, or two opposite sides) was seen.
  bool cropped = false;
  // No outline, read from a band across the frame (a part of the desk lit or
  // shaded apart, running along three borders) that the card lies in; not
  // claimed cropped. found and cropped are false.
  bool in_band = false;
  // Card area / image area (1 for the full-image fallback).
  double area_fraction = 1;
  // Long side / short side of the quad (mean of opposite sides).
  double aspect = 0;
};

// Locates the card in an 8-bit BGR image. Never fails: see CardLocation::found.
CardLocation LocateCard(const cv::Mat& bgr);

// The same card read the other way up: corners reordered by half a turn,
// homography and angles recomputed.
CardLocation Rotated180(const CardLocation& location);

// Warps the located card to `size` (the canonical frame scaled; aspect kept).
cv::Mat RectifyCard(const cv::Mat& bgr, const CardLocation& location, cv::Size size);

// Maps a point from canonical card pixels (scaled by `scale`) to original pixels.
cv::Point2f CardToImage(const CardLocation& location, cv::Point2f card_point, double scale = 1.0);

// Inside the rectified card (canonical size, BGR): where the photo starts, so
// that it is kept out of the text handed to OCR. Real cards put its left edge
// anywhere from ~0.69 to ~0.76 of the width.
struct PhotoEdge {
  double text_right = 0;  // text ends here, just left of the photo (fraction of the width)
  // The photo's left edge (fraction of the width) when one was found.
  std::optional<double> photo_left;
};
// Finds the photo per card; when none is found, text_right is layout::kTextArea.x1.
PhotoEdge FindPhotoEdge(const cv::Mat& card_bgr);

// On OCR lines of the rectified card (canonical pixels): turns the glyph
// Tesseract read in place of a label's colon ("Nama 1 YUDI", "Alamat 2 JL.")
// back into ":", at this card's colon column as measured from the colons read
// on it (thin strokes only when too few colons were read to measure it). A
// "|" or "!" opening a value of several words becomes the letter I.
void FixColonColumn(std::vector<OcrLine>& lines);

// The issue place and date are printed under the photo, centred on it; a long
// place name reaches left of the photo's edge, beside the last rows, and
// Tesseract reads it onto their values ("SEUMUR HIDUP PEMATANGSIANTAR"). On a
// card whose photo was found, a line's words from a gap of ~2 em on, starting
// near the photo, are dropped unless they hold a colon or the Gol. Darah label;
// with no photo found, from a gap of ~6 em on in the card's right half.
void DropIssuePlaceBesideValues(std::vector<OcrLine>& lines, const PhotoEdge& photo);

}  // namespace ktp::reader

#endif  // KTP_READER_CARD_LOCATOR_H_
