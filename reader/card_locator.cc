// Card detection and rectification. See card_locator.h.
//
// Several cheap segmentations of a downscaled copy are tried (brightness,
// saturation, hue as blue against yellow, distance from the background colour
// seen on the image border, closed edges); each external contour is reduced to a polygon whose sides not
// lying on the image border are intersected into four corners, and the most
// card-like result wins. Synthetic and real photos differ in which mask works,
// so no single one is trusted. A photocopy's outline is its sheet's: when the
// best (or only) outline is paper-shaped, the card is looked for on the sheet.
//
// Inside the rectified card: the photo's left edge (a column projection) and
// the colon column (from the colons Tesseract read), per card.
#include "reader/card_locator.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "absl/strings/match.h"
#include "reader/card_colour.h"
#include "reader/card_layout.h"

namespace ktp::reader {
namespace {

constexpr int kWorkSize = 800;           // longest side of the working copy
constexpr double kMinAreaFraction = 0.08;
constexpr double kMaxAreaFraction = 0.985;
constexpr double kMinFill = 0.86;        // contour area / quad area (inside the image)
// ID-1 is 1.585; perspective and cut-off extrapolation wander ±0.1. A
// portrait photo box (≈ 1.27 the other way) must not pass.
constexpr double kMinAspect = 1.38, kMaxAspect = 1.85;
// Portrait shapes are cards turned by a quarter only when close to ID-1, so
// an A4 page (1.41) or a portrait photo (≈ 1.27) is never read sideways. A
// located outline standing upright: at least this elongated, and up to
// kMaxAspect like a landscape one (perspective stretches a card turned by a
// quarter as much as an upright one: 1.74 seen).
constexpr double kPortraitMinAspect = 1.45;
// A portrait image taken whole as a card filling the frame: |log(aspect /
// 1.585)| below this (1.45–1.73; a 9:16 phone photo, 1.78, is not a card).
constexpr double kPortraitCardTolerance = 0.09;
// A card photographed at a slant shows opposite sides of different lengths,
// but a hand-held photo that is still readable stays well within this ratio;
// beyond it the "quad" is a desk region or shadow whose border-cut corners
// were extrapolated far outside the picture.
constexpr double kMaxOppositeSideRatio = 1.8;
// A quad corner this close (share of the image's long side) to one of the
// image's corners is not the card's (see Consider).
constexpr double kImageCornerTolerance = 0.01;
// A sheet of paper: long / short side up to this (A4 1.41, letter 1.29).
// Longer sheets (folio/F4, 1.53) are not told from a card photographed at a
// slant, whose own photo box would then be taken for the card.
constexpr double kMaxSheetAspect = 1.45;
// On a sheet (its bounding box) a card may be small: one on an A4 page covers
// 7 % of it. It must be clearly smaller than the sheet and of the ID-1 shape
// (|log(aspect / 1.585)| below the tolerance: 1.37–1.84).
constexpr double kMinCardOnSheet = 0.04;
constexpr double kMaxCardOnSheet = 0.7;
constexpr double kCardOnSheetAspectTolerance = 0.15;
// A whole outline at most this share of a cut one around it is the card on it
// (see Locate).
constexpr double kMaxCardInCutOutline = 0.6;
// ... and at least this share of it inside the cut one (not all: a patch of
// light running off the frame may end across the card).
constexpr double kCardInCutOutlineShare = 0.85;
// ... or larger than that share but scoring at least this share of the cut
// one's score (already cut by a fifth for being cut): the same card.
constexpr double kSameCardMinScoreShare = 0.85;
// A sheet this saturated in the e-KTP's light blue is no paper (see LocateOnSheet).
constexpr int kMinCardColourSaturation = 30;
// The score of an outline from the colour (Lab b*) mask, against the others'
// (see LocateCard).
constexpr double kChromaMaskWeight = 0.9;
// ... computed with this share of the pixels at either end clipped (see
// ClippedToPercentiles): a card is at least kMinAreaFraction of the image.
constexpr double kChromaClipShare = 0.05;
// ... and used only when the clipped range spans this many b* units (a card
// on a desk: ≥ 11 on ktp-diag; over-exposed photos 2–3). Its outline is
// weighed down further: it is for the cards no other mask finds, and on a
// dark, noisy photo it may wander off a corner the others agree on.
constexpr int kChromaMinRange = 6;
constexpr double kClippedChromaMaskWeight = 0.8;

struct Line {
  cv::Point2f p;  // a point on the line
  cv::Point2f d;  // unit direction
};

double Len(cv::Point2f v) { return std::hypot(v.x, v.y); }

Line Through(cv::Point2f a, cv::Point2f b) {
  cv::Point2f d = b - a;
  const double n = Len(d);
  return {a, n > 0 ? d * static_cast<float>(1.0 / n) : cv::Point2f(1, 0)};
}

std::optional<cv::Point2f> Intersect(const Line& a, const Line& b) {
  const double den = a.d.x * b.d.y - a.d.y * b.d.x;
  if (std::abs(den) < 0.2) return std::nullopt;  // (nearly) parallel: no corner
  const cv::Point2f w = b.p - a.p;
  const double t = (w.x * b.d.y - w.y * b.d.x) / den;
  return a.p + a.d * static_cast<float>(t);
}

// The image border an edge runs along, both ends within `tol` of it: 0 left,
// 1 top, 2 right, 3 bottom; -1 for none. An edge from one corner of the
// image to the next runs along the border between them.
int BorderAlong(cv::Point2f a, cv::Point2f b, cv::Size size, float tol) {
  const float right = size.width - 1 - tol, bottom = size.height - 1 - tol;
  if (a.x <= tol && b.x <= tol) return 0;
  if (a.y <= tol && b.y <= tol) return 1;
  if (a.x >= right && b.x >= right) return 2;
  if (a.y >= bottom && b.y >= bottom) return 3;
  return -1;
}

bool NearBorder(cv::Point2f p, cv::Size size, float tol, int* which) {
  if (p.x <= tol) { *which = 0; return true; }
  if (p.y <= tol) { *which = 1; return true; }
  if (p.x >= size.width - 1 - tol) { *which = 2; return true; }
  if (p.y >= size.height - 1 - tol) { *which = 3; return true; }
  return false;
}

// Both ends on the same image border: an edge made by the border, not the
// card, for QuadFromPolygon. Unlike BorderAlong it does not take an edge
// from one image corner to the next (each end is placed on its other
// border), which stays a side of the outline. Taking it as border changed
// which outlines are placed and, measured on the tuning sets, only lost one
// (ktp-diag 3838 hard-0081, a blurred copy on white): kept as it was.
bool OnBorder(cv::Point2f a, cv::Point2f b, cv::Size size, float tol) {
  int wa = -1, wb = -1;
  if (!NearBorder(a, size, tol, &wa) || !NearBorder(b, size, tol, &wb)) return false;
  if (wa == wb) return true;
  // A corner point can be on two borders; check both against each other.
  auto on = [&](cv::Point2f p, int w) {
    switch (w) {
      case 0: return p.x <= tol;
      case 1: return p.y <= tol;
      case 2: return p.x >= size.width - 1 - tol;
      default: return p.y >= size.height - 1 - tol;
    }
  };
  return (on(a, wb) && on(b, wb)) || (on(a, wa) && on(b, wa));
}

// Within kImageCornerTolerance of the image's size of one of its four corners.
bool InImageCorner(cv::Point2f p, cv::Size size) {
  const float tol = static_cast<float>(kImageCornerTolerance * std::max(size.width, size.height));
  const bool on_x = std::abs(p.x) <= tol || std::abs(p.x - size.width) <= tol;
  const bool on_y = std::abs(p.y) <= tol || std::abs(p.y - size.height) <= tol;
  return on_x && on_y;
}

double PolyArea(const std::vector<cv::Point2f>& pts) { return std::abs(cv::contourArea(pts)); }

// Orders four corners as the card reads: TL, TR, BR, BL, with the top side
// one of the two long sides: the upper one when they lie within ±45° of the
// horizontal, the right one (a card turned 90° clockwise) when they stand upright.
std::array<cv::Point2f, 4> OrderCorners(std::array<cv::Point2f, 4> q) {
  cv::Point2f c(0, 0);
  for (const auto& p : q) c += p * 0.25f;
  std::sort(q.begin(), q.end(), [&](cv::Point2f a, cv::Point2f b) {
    return std::atan2(a.y - c.y, a.x - c.x) < std::atan2(b.y - c.y, b.x - c.x);
  });
  // atan2 ascending with y down is clockwise on screen: TL → TR → BR → BL.
  const double e0 = Len(q[1] - q[0]) + Len(q[3] - q[2]);
  const double e1 = Len(q[2] - q[1]) + Len(q[0] - q[3]);
  int start = 0;
  // The long sides are (a, a+1) and (a+2, a+3).
  const int a = e1 > e0 ? 1 : 0;
  const cv::Point2f along = q[(a + 1) % 4] - q[a];
  if (std::abs(along.y) > std::abs(along.x)) {
    // Upright long sides: the right one is the top (clockwise order runs down it).
    start = (q[a].x + q[(a + 1) % 4].x > q[(a + 2) % 4].x + q[(a + 3) % 4].x) ? a : (a + 2) % 4;
  } else {
    // The upper of the two long sides is the top.
    start = (q[a].y + q[(a + 1) % 4].y < q[(a + 2) % 4].y + q[(a + 3) % 4].y) ? a : (a + 2) % 4;
  }
  std::array<cv::Point2f, 4> out;
  for (int i = 0; i < 4; ++i) out[i] = q[(start + i) % 4];
  return out;
}

// The four sides of an ordered quad (TL, TR, BR, BL).
struct QuadSides {
  double top, bottom, left, right;
  explicit QuadSides(const std::array<cv::Point2f, 4>& q)
      : top(Len(q[1] - q[0])), bottom(Len(q[2] - q[3])), left(Len(q[3] - q[0])), right(Len(q[2] - q[1])) {}
  double Aspect() const {
    const double w = 0.5 * (top + bottom), h = 0.5 * (left + right);
    if (w <= 0 || h <= 0) return 0;
    return std::max(w, h) / std::min(w, h);
  }
  // The larger of the two ratios between opposite sides (1 for a rectangle).
  double Slant() const {
    return std::max(std::max(top, bottom) / std::min(top, bottom), std::max(left, right) / std::min(left, right));
  }
};

// A card cut by the border on two sides (a corner, or two opposite sides)
// shows at most two of its own sides: no quadrilateral can be placed, but the
// image is still of a card cut off. Such a region is convex (the desk around a
// card cut at a corner is L-shaped), large, runs along the border for a good
// part of its outline and has at least two straight sides of its own. Along
// three borders it is a band of the frame the card lies in (see
// Partial::cut); along all four, the frame.
constexpr double kPartialMinArea = 0.15;
constexpr double kPartialMinConvexity = 0.92;  // contour area / hull area
constexpr double kPartialMinBorderShare = 0.12;  // of the hull's perimeter
constexpr double kPartialMinSide = 0.12;  // a side of its own, share of the perimeter
constexpr double kPartialMinBorderRun = 0.05;  // a run along a border that counts, share of the perimeter

struct Candidate {
  std::array<cv::Point2f, 4> quad;  // working-copy pixels, ordered
  bool cropped = false;  // cut by the frame (see CutByFrame)
  double area_fraction = 0;
  double fill = 0;
  double aspect = 0;
  double score = -1;
};

// The card's sides from a polygon: edges on the image border are dropped,
// nearly collinear neighbours merged. Four sides → their corners; three → the
// fourth side is placed from the card's aspect ratio.
std::optional<std::array<cv::Point2f, 4>> QuadFromPolygon(const std::vector<cv::Point>& poly,
                                                          cv::Size size, bool* cut) {
  const int n = static_cast<int>(poly.size());
  if (n < 3) return std::nullopt;
  const float tol = 2.5f;
  const double perimeter = cv::arcLength(poly, true);
  struct Side { cv::Point2f a, b; };
  std::vector<Side> edges;  // in polygon order, with border edges as gaps
  std::vector<bool> border;
  double border_len = 0;
  for (int i = 0; i < n; ++i) {
    cv::Point2f a = poly[i], b = poly[(i + 1) % n];
    const bool on = OnBorder(a, b, size, tol);
    if (on) border_len += Len(b - a);
    edges.push_back({a, b});
    border.push_back(on);
  }
  *cut = border_len > 0.02 * perimeter;
  // Start after a border edge or at a direction change, so no side wraps around.
  auto dir_change = [&](int i) {
    const int j = (i + n - 1) % n;
    if (border[i] != border[j]) return true;
    Line li = Through(edges[i].a, edges[i].b), lj = Through(edges[j].a, edges[j].b);
    return std::abs(li.d.x * lj.d.x + li.d.y * lj.d.y) < 0.978;  // > ~12°
  };
  // Just after a border edge when there is one: the sides then run from one
  // end of the hidden part round to the other (what the 3-side case needs).
  int start = 0;
  while (start < n && !border[(start + n - 1) % n]) ++start;
  if (start == n) {
    start = 0;
    while (start < n && !dir_change(start)) ++start;
  }
  if (start == n) return std::nullopt;
  std::vector<Side> sides;
  for (int k = 0; k < n; ++k) {
    const int i = (start + k) % n;
    if (border[i]) continue;
    if (!sides.empty() && !dir_change(i) && !border[(i + n - 1) % n]) {
      sides.back().b = edges[i].b;  // merge with the previous side
    } else {
      sides.push_back(edges[i]);
    }
  }
  // Drop slivers: sides shorter than 4% of the perimeter are approximation noise.
  sides.erase(std::remove_if(sides.begin(), sides.end(),
                             [&](const Side& s) { return Len(s.b - s.a) < 0.04 * perimeter; }),
              sides.end());
  std::vector<Line> lines;
  for (const Side& s : sides) lines.push_back(Through(s.a, s.b));
  std::array<cv::Point2f, 4> q;
  if (lines.size() == 4) {
    for (int i = 0; i < 4; ++i) {
      auto c = Intersect(lines[i], lines[(i + 1) % 4]);
      if (!c) return std::nullopt;
      q[(i + 1) % 4] = *c;
    }
    return q;
  }
  if (lines.size() == 3 && *cut) {
    // Sides A, B, C in order (A ∥ C); the missing D is parallel to B.
    const Line& A = lines[0];
    const Line& B = lines[1];
    const Line& C = lines[2];
    auto ab = Intersect(A, B), bc = Intersect(B, C);
    if (!ab || !bc) return std::nullopt;
    const double b_len = Len(*bc - *ab);
    const double seen = std::max(Len(sides[0].b - sides[0].a), Len(sides[2].b - sides[2].a));
    // B is the short side when A or C is visibly longer than the card's short side could be.
    const double other = seen > 1.05 * b_len / layout::kAspect ? b_len * layout::kAspect
                                                               : b_len / layout::kAspect;
    // Normal of B pointing towards the visible part of the card.
    cv::Point2f nrm(-B.d.y, B.d.x);
    const cv::Point2f towards = 0.5f * (sides[0].a + sides[2].b) - 0.5f * (*ab + *bc);
    if (nrm.dot(towards) < 0) nrm = -nrm;
    const Line D{B.p + nrm * static_cast<float>(other), B.d};
    auto cd = Intersect(C, D), da = Intersect(D, A);
    if (!cd || !da) return std::nullopt;
    return std::array<cv::Point2f, 4>{*ab, *bc, *cd, *da};
  }
  return std::nullopt;
}

// See kPartialMinArea.
bool PartialCard(const std::vector<cv::Point>& hull, double area, cv::Size size, bool* cut) {
  const double img_area = static_cast<double>(size.area());
  const double hull_area = cv::contourArea(hull);
  if (area < kPartialMinArea * img_area || hull_area <= 0 || area / hull_area < kPartialMinConvexity) return false;
  const double perimeter = cv::arcLength(hull, true);
  std::vector<cv::Point> poly;
  cv::approxPolyDP(hull, poly, 0.02 * perimeter, true);
  const int n = static_cast<int>(poly.size());
  double border = 0;
  int own_sides = 0;
  unsigned borders_run_along = 0;  // bit per image border (left, top, right, bottom)
  for (int i = 0; i < n; ++i) {
    const cv::Point2f a = poly[i], b = poly[(i + 1) % n];
    const double len = Len(b - a);
    const int along = BorderAlong(a, b, size, 2.5f);
    if (along >= 0) {
      border += len;
      if (len >= kPartialMinBorderRun * perimeter) borders_run_along |= 1u << along;
    } else if (len >= kPartialMinSide * perimeter) {
      ++own_sides;
    }
  }
  if (border < kPartialMinBorderShare * perimeter) return false;
  // Along three borders it is a band of the frame (a desk lit or shaded
  // apart) with the card somewhere in it, not a card cut: a card the frame
  // cuts shows two of its own sides, so it runs along two borders. The band
  // narrows where the card is (its one side of its own): read from there.
  const int runs = __builtin_popcount(borders_run_along);
  *cut = runs <= 2;
  return own_sides >= (*cut ? 2 : 1) && runs <= 3;
}

// The card is cut off by the frame (a quad in working-copy pixels): its
// outline had border edges (`cut`), a corner lies beyond the image, or a
// corner or side lies on a border (within ~0.6 % of the image): a thin strip
// or corner of the card is cut off there, as a whole card keeps a margin. A
// corner in the image's own corner does not count: there a washed-out desk
// merged with the card pulls the outline's corner, and a card really cut
// there runs along both borders.
bool CutByFrame(const std::array<cv::Point2f, 4>& q, cv::Size size, bool cut) {
  if (cut) return true;
  const float tol = 3.0f;
  const float along = std::max(tol, 0.006f * std::max(size.width, size.height));
  const float right = static_cast<float>(size.width - 1), bottom = static_cast<float>(size.height - 1);
  for (int i = 0; i < 4; ++i) {
    const cv::Point2f a = q[i], b = q[(i + 1) % 4];
    if (a.x < -tol || a.y < -tol || a.x > right + tol || a.y > bottom + tol) return true;
    const bool on_x = a.x <= along || a.x >= right - along;
    const bool on_y = a.y <= along || a.y >= bottom - along;
    if (on_x != on_y) return true;
    if ((a.x <= along && b.x <= along) || (a.y <= along && b.y <= along) ||
        (a.x >= right - along && b.x >= right - along) || (a.y >= bottom - along && b.y >= bottom - along)) {
      return true;
    }
  }
  return false;
}

// The largest card cut on two sides seen (see PartialCard), working-copy pixels.
struct Partial {
  double area = 0;
  cv::Rect box;
  bool cut = false;  // along two borders (a band along more is read, not claimed cut)
};

// The largest sheet seen: a paper-shaped quad (long / short side up to
// kMaxSheetAspect), working-copy pixels; a photocopied card is printed on one.
struct Sheet {
  double area = 0;
  std::array<cv::Point2f, 4> quad;
};

// Two convex quads cover the same region: each is at least 90 % inside the other.
bool SameRegion(const std::array<cv::Point2f, 4>& a, const std::array<cv::Point2f, 4>& b) {
  const std::vector<cv::Point2f> va(a.begin(), a.end()), vb(b.begin(), b.end());
  std::vector<cv::Point2f> common;
  const double shared = cv::intersectConvexConvex(va, vb, common, true);
  return shared >= 0.9 * PolyArea(va) && shared >= 0.9 * PolyArea(vb);
}

// `inner` lies within `outer` (at least `share` of its area).
bool Encloses(const std::array<cv::Point2f, 4>& outer, const std::array<cv::Point2f, 4>& inner, double share) {
  const std::vector<cv::Point2f> vo(outer.begin(), outer.end()), vi(inner.begin(), inner.end());
  std::vector<cv::Point2f> common;
  return cv::intersectConvexConvex(vo, vi, common, true) >= share * PolyArea(vi);
}

// What the masks found so far.
struct Search {
  double min_area = kMinAreaFraction;  // of the image
  Candidate best;
  Candidate best_whole;  // the best outline the frame does not cut
  Partial partial;
  Sheet sheet;
};

void Consider(const std::vector<cv::Point>& contour, cv::Size size, Search* found, double weight) {
  Candidate* best = &found->best;
  const double img_area = static_cast<double>(size.area());
  const double area = cv::contourArea(contour);
  if (area < found->min_area * img_area || area > kMaxAreaFraction * img_area) return;
  std::vector<cv::Point> hull;
  cv::convexHull(contour, hull);
  bool card_cut = false;
  if (area > found->partial.area && PartialCard(hull, area, size, &card_cut)) {
    found->partial = {area, cv::boundingRect(hull), card_cut};
  }
  const double perimeter = cv::arcLength(hull, true);
  for (double eps : {0.015, 0.025, 0.04}) {
    std::vector<cv::Point> poly;
    cv::approxPolyDP(hull, poly, eps * perimeter, true);
    bool cut = false;
    auto quad = QuadFromPolygon(poly, size, &cut);
    if (!quad) continue;
    Candidate c;
    c.quad = OrderCorners(*quad);
    c.cropped = CutByFrame(c.quad, size, cut);
    const QuadSides sides(c.quad);
    c.aspect = sides.Aspect();
    // Fill: how much of the quad (the part inside the image) the contour covers.
    std::vector<cv::Point2f> qv(c.quad.begin(), c.quad.end()), frame{
        {0, 0}, {float(size.width), 0}, {float(size.width), float(size.height)}, {0, float(size.height)}};
    if (!cv::isContourConvex(qv)) continue;
    std::vector<cv::Point2f> inside;
    const double in_area = cv::intersectConvexConvex(qv, frame, inside, true);
    if (in_area <= 0) continue;
    c.fill = area / in_area;
    c.area_fraction = PolyArea(qv) / img_area;
    if (c.fill < kMinFill || c.fill > 1.08) continue;
    const bool sheet_shaped = c.aspect <= kMaxSheetAspect;
    if (!sheet_shaped && (c.aspect < kMinAspect || c.aspect > kMaxAspect)) continue;
    if (sides.Slant() > kMaxOppositeSideRatio) continue;
    // Cut-off cards extrapolate corners: keep that sane.
    if (in_area < 0.5 * PolyArea(qv)) continue;
    if (sheet_shaped && !cut && area > found->sheet.area) found->sheet = {area, c.quad};
    if (c.aspect < kMinAspect) continue;
    // Long sides upright: a card turned by 90° or 270° (ordered as 90°), if
    // it has the card's proportions (not a page or a portrait photo).
    const cv::Point2f top = c.quad[1] - c.quad[0];
    if (std::abs(top.y) > std::abs(top.x) && c.aspect < kPortraitMinAspect) continue;
    // Corners in the image's own corners are the frame's when two are, or
    // when another corner had to be extrapolated beyond the image: a pale
    // desk merged with the card filled the frame's corner (a card cut there
    // runs along both borders and its corner lies beyond the image). One
    // corner alone may be the card's, photographed close to the frame.
    const int in_frame_corners = static_cast<int>(
        std::count_if(c.quad.begin(), c.quad.end(), [&](cv::Point2f p) { return InImageCorner(p, size); }));
    const bool beyond = std::any_of(c.quad.begin(), c.quad.end(), [&](cv::Point2f p) {
      return p.x < -1 || p.y < -1 || p.x > size.width + 1 || p.y > size.height + 1;
    });
    if (in_frame_corners >= 2 || (in_frame_corners == 1 && beyond)) continue;
    const double aspect_err = std::abs(std::log(c.aspect / layout::kAspect));
    // Prefer whole cards with the right shape: a cut-off outline is guesswork
    // (or a desk region the card merged with, run on to the frame).
    c.score = std::min(c.area_fraction, 1.0) * std::min(c.fill, 1.0) * (1.0 - 2.0 * aspect_err) *
              (c.cropped ? 0.8 : 1.0) * weight;
    if (c.score > best->score) *best = c;
    if (!c.cropped && c.score > found->best_whole.score) found->best_whole = c;
    return;
  }
}

void ConsiderMask(const cv::Mat& mask, Search* found, double weight = 1.0) {
  cv::Mat m;
  const cv::Mat k = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 5));
  cv::morphologyEx(mask, m, cv::MORPH_OPEN, k);
  cv::morphologyEx(m, m, cv::MORPH_CLOSE, k);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(m, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  std::sort(contours.begin(), contours.end(), [](const auto& a, const auto& b) {
    return cv::contourArea(a) > cv::contourArea(b);
  });
  for (size_t i = 0; i < contours.size() && i < 3; ++i) Consider(contours[i], mask.size(), found, weight);
}

// An 8-bit channel with its lowest and highest `share` of pixels clipped to
// the values at those percentiles; empty when less than `min_range` lies
// between them (nothing to split but noise).
cv::Mat ClippedToPercentiles(const cv::Mat& channel, double share, int min_range) {
  int hist[256] = {0};
  for (int y = 0; y < channel.rows; ++y) {
    const uint8_t* row = channel.ptr<uint8_t>(y);
    for (int x = 0; x < channel.cols; ++x) ++hist[row[x]];
  }
  const double cut = share * static_cast<double>(channel.total());
  int lo = 0, hi = 255;
  for (double below = hist[0]; below < cut && lo < 255;) below += hist[++lo];
  for (double above = hist[255]; above < cut && hi > 0;) above += hist[--hi];
  if (hi - lo < min_range) return cv::Mat();
  cv::Mat clipped;
  cv::max(channel, lo, clipped);
  cv::min(clipped, hi, clipped);
  return clipped;
}

void OtsuBoth(const cv::Mat& channel, Search* found, double weight = 1.0) {
  cv::Mat mask;
  cv::threshold(channel, mask, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  ConsiderMask(mask, found, weight);
  cv::bitwise_not(mask, mask);
  ConsiderMask(mask, found, weight);
}

// The median of `v` (not empty; the upper one of an even count).
template <typename T>
double Median(std::vector<T> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return static_cast<double>(v[v.size() / 2]);
}

// The per-channel median of `samples` (not empty).
cv::Vec3b MedianColour(const std::vector<cv::Vec3b>& samples) {
  cv::Vec3b med;
  std::vector<uint8_t> v(samples.size());
  for (int c = 0; c < 3; ++c) {
    for (size_t i = 0; i < samples.size(); ++i) v[i] = samples[i][c];
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    med[c] = v[v.size() / 2];
  }
  return med;
}

// The full-image fallback for an image that is (nearly) all card. A portrait
// image with the card's proportions is a card filling the frame turned by a
// quarter (ordered as 90° clockwise, like a located upright card).
CardLocation FullImage(const cv::Mat& bgr) {
  CardLocation loc;
  const float w = static_cast<float>(bgr.cols), h = static_cast<float>(bgr.rows);
  loc.found = false;
  loc.quad = {cv::Point2f(0, 0), cv::Point2f(w, 0), cv::Point2f(w, h), cv::Point2f(0, h)};
  loc.area_fraction = 1;
  loc.aspect = h > 0 && w > 0 ? std::max(w, h) / std::min(w, h) : 0;
  if (h > w && loc.aspect > 0 && std::abs(std::log(loc.aspect / layout::kAspect)) < kPortraitCardTolerance) {
    loc.quad = {cv::Point2f(w, 0), cv::Point2f(w, h), cv::Point2f(0, h), cv::Point2f(0, 0)};
  }
  return loc;
}

// Homography and angles from the ordered quad.
void FinishLocation(CardLocation& loc) {
  const cv::Point2f canon[4] = {{0, 0},
                                {float(layout::kCardWidth), 0},
                                {float(layout::kCardWidth), float(layout::kCardHeight)},
                                {0, float(layout::kCardHeight)}};
  loc.card_to_image = cv::getPerspectiveTransform(canon, loc.quad.data());
  loc.angle_deg = std::atan2(loc.quad[1].y - loc.quad[0].y, loc.quad[1].x - loc.quad[0].x) * 180.0 / CV_PI;
  const double turns = std::round(loc.angle_deg / 90.0);  // -2 … 2
  loc.tilt_deg = loc.angle_deg - 90.0 * turns;
  loc.quarter_turns = (static_cast<int>(turns) + 4) % 4;
}

CardLocation LocateOnSheet(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& sheet);

// LocateCard, in a photo or scan; or, with `sheet`, in a sheet LocateOnSheet
// cut out of one.
CardLocation Locate(const cv::Mat& bgr, bool sheet) {
  CardLocation loc = FullImage(bgr);
  if (bgr.empty() || bgr.type() != CV_8UC3 || bgr.cols < 16 || bgr.rows < 16) {
    loc.card_to_image = cv::Mat::eye(3, 3, CV_64F);
    return loc;
  }
  const double scale = std::min(1.0, static_cast<double>(kWorkSize) / std::max(bgr.cols, bgr.rows));
  cv::Mat small;
  if (scale < 1.0) {
    cv::resize(bgr, small, cv::Size(), scale, scale, cv::INTER_AREA);
  } else {
    small = bgr;
  }
  cv::GaussianBlur(small, small, cv::Size(5, 5), 0);

  Search found;
  if (sheet) found.min_area = kMinCardOnSheet;
  const Candidate& best = found.best;
  const Partial& partial = found.partial;  // a card cut on two sides (see PartialCard)
  cv::Mat grey, hsv;
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  OtsuBoth(grey, &found);
  // Colour tells a card from a desk, not a copy from its sheet: both are
  // paper and toner, and splitting a sheet by its faint tints outlines noise.
  if (!sheet) {
    cv::cvtColor(small, hsv, cv::COLOR_BGR2HSV);
    std::vector<cv::Mat> ch;
    cv::split(hsv, ch);
    OtsuBoth(ch[1], &found);
    // Blue against yellow (Lab b*): the e-KTP's light blue stands out from a
    // pale grey, beige or pink desk that neither brightness nor saturation
    // separates from it, soft shadows included. Weighed down: JPEG keeps
    // colour at half resolution, so its outline is a few pixels less exact
    // than the others', and it wins only where it is clearly the better card.
    // The card's photo (a red or blue backdrop) lies far out on this axis and
    // may draw Otsu's split to itself: the split is tried again with the
    // extremes clipped. An image of one colour (over-exposed, grey on grey)
    // has nothing to split there but noise.
    cv::Mat lab;
    cv::cvtColor(small, lab, cv::COLOR_BGR2Lab);
    cv::Mat b;
    cv::extractChannel(lab, b, 2);
    OtsuBoth(b, &found, kChromaMaskWeight);
    const cv::Mat clipped = ClippedToPercentiles(b, kChromaClipShare, kChromaMinRange);
    if (!clipped.empty()) OtsuBoth(clipped, &found, kClippedChromaMaskWeight);
  }
  {
    // Distance from the background colour, estimated on the image border.
    std::vector<cv::Vec3b> border;
    for (int x = 0; x < small.cols; x += 2) {
      border.push_back(small.at<cv::Vec3b>(0, x));
      border.push_back(small.at<cv::Vec3b>(small.rows - 1, x));
    }
    for (int y = 0; y < small.rows; y += 2) {
      border.push_back(small.at<cv::Vec3b>(y, 0));
      border.push_back(small.at<cv::Vec3b>(y, small.cols - 1));
    }
    const cv::Vec3b med = MedianColour(border);
    cv::Mat diff;
    cv::absdiff(small, cv::Scalar(med[0], med[1], med[2]), diff);
    cv::Mat dist;
    cv::transform(diff, dist, cv::Matx13f(1.f / 3, 1.f / 3, 1.f / 3));
    cv::Mat mask;
    cv::threshold(dist, mask, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    ConsiderMask(mask, &found);
  }
  {
    cv::Mat edges;
    cv::Canny(grey, edges, 30, 90);
    cv::dilate(edges, edges, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(edges, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    cv::Mat filled = cv::Mat::zeros(edges.size(), CV_8U);
    cv::drawContours(filled, contours, -1, cv::Scalar(255), cv::FILLED);
    ConsiderMask(filled, &found);
  }

  // A photocopied card is printed on a sheet: the sheet's outline is what
  // stands out from the desk, the card's is inside it. Unless a card-shaped
  // outline of its own was found, the card is looked for on the sheet.
  if (!sheet && found.sheet.area > 0 && (best.score <= 0 || SameRegion(found.sheet.quad, best.quad))) {
    std::array<cv::Point2f, 4> corners;
    for (int i = 0; i < 4; ++i) corners[i] = found.sheet.quad[i] * static_cast<float>(1.0 / scale);
    CardLocation on_sheet = LocateOnSheet(bgr, corners);
    if (on_sheet.found) return on_sheet;
  }

  // A cut outline around a whole card-shaped one is the sheet or the desk
  // the card lies on, running off the frame (a scanned copy's page), or a
  // patch of light merged with the part of the card it falls on (so the card
  // may reach past it): the whole outline inside it is the card. So is one
  // nearly as large that scores about as well: the same card, the cut
  // outline's corners placed past it by a stretch of desk run on to the frame.
  const Candidate& whole = found.best_whole;
  const Candidate& card = best.cropped && whole.score > 0 &&
                                  Encloses(best.quad, whole.quad, kCardInCutOutlineShare) &&
                                  (whole.area_fraction <= kMaxCardInCutOutline * best.area_fraction ||
                                   whole.score >= kSameCardMinScoreShare * best.score)
                              ? whole
                              : best;
  if (card.score > 0) {
    loc.found = true;
    const float inv = static_cast<float>(1.0 / scale);
    for (int i = 0; i < 4; ++i) loc.quad[i] = card.quad[i] * inv;
    loc.aspect = card.aspect;
    loc.area_fraction = card.area_fraction;
    loc.cropped = card.cropped;
  } else if (partial.area > 0) {
    // No outline, but a card cut on two sides: it is read from the part in
    // the picture (its bounding box) rather than with the desk around it. A
    // band across the frame is read the same way, without claiming a cut.
    const float inv = static_cast<float>(1.0 / scale);
    const cv::Rect& b = partial.box;
    loc.quad = {cv::Point2f(b.x, b.y) * inv, cv::Point2f(b.x + b.width, b.y) * inv,
                cv::Point2f(b.x + b.width, b.y + b.height) * inv, cv::Point2f(b.x, b.y + b.height) * inv};
    loc.aspect = static_cast<double>(std::max(b.width, b.height)) / std::max(1, std::min(b.width, b.height));
    loc.area_fraction = static_cast<double>(b.area()) / small.total();
    loc.cropped = partial.cut;
    loc.in_band = !partial.cut;
  }
  FinishLocation(loc);
  return loc;
}

// The card printed on a sheet (its corners in `bgr` pixels): the sheet is cut
// out, what lies beyond its outline painted over in the sheet's own colour,
// and the card looked for on it as on a desk. Not found unless a whole,
// ID-1-shaped outline clearly smaller than the sheet is there.
CardLocation LocateOnSheet(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& sheet) {
  CardLocation none;
  std::vector<cv::Point> poly;
  for (const cv::Point2f& p : sheet) poly.emplace_back(cvRound(p.x), cvRound(p.y));
  const cv::Rect box = cv::boundingRect(poly) & cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (box.width < 32 || box.height < 32) return none;
  cv::Mat crop = bgr(box).clone();
  cv::Mat inside = cv::Mat::zeros(crop.size(), CV_8U);
  for (cv::Point& p : poly) p -= box.tl();
  cv::fillConvexPoly(inside, poly, cv::Scalar(255));
  // The sheet's colour: the median of what lies on it (its paper, mostly).
  std::vector<cv::Vec3b> on_sheet;
  for (int y = 0; y < crop.rows; y += 4) {
    for (int x = 0; x < crop.cols; x += 4) {
      if (inside.at<uint8_t>(y, x)) on_sheet.push_back(crop.at<cv::Vec3b>(y, x));
    }
  }
  if (on_sheet.empty()) return none;
  const cv::Vec3b paper = MedianColour(on_sheet);
  // Paper is white or grey, or faintly tinted (a cast copy's ≤ 26). An
  // outline the e-KTP's light blue inside, and in colour, is the card itself
  // measured a little short of its proportions (perspective): what lies on
  // it is its photo, not a card.
  cv::Mat paper_hsv;
  cv::cvtColor(cv::Mat(1, 1, CV_8UC3, cv::Scalar(paper[0], paper[1], paper[2])), paper_hsv, cv::COLOR_BGR2HSV);
  const cv::Vec3b hsv = paper_hsv.at<cv::Vec3b>(0, 0);
  if (hsv[1] >= kMinCardColourSaturation && IsLightBlue(hsv[0], hsv[1])) return none;
  crop.setTo(cv::Scalar(paper[0], paper[1], paper[2]), ~inside);
  CardLocation card = Locate(crop, /*sheet=*/true);
  if (!card.found || card.cropped || card.area_fraction > kMaxCardOnSheet ||
      std::abs(std::log(card.aspect / layout::kAspect)) > kCardOnSheetAspectTolerance) {
    return none;
  }
  for (cv::Point2f& p : card.quad) p += cv::Point2f(box.tl());
  card.area_fraction *= static_cast<double>(box.area()) / (static_cast<double>(bgr.cols) * bgr.rows);
  FinishLocation(card);
  return card;
}

}  // namespace

CardLocation LocateCard(const cv::Mat& bgr) { return Locate(bgr, /*sheet=*/false); }

CardLocation Rotated180(const CardLocation& location) {
  CardLocation loc = location;
  for (int i = 0; i < 4; ++i) loc.quad[i] = location.quad[(i + 2) % 4];
  FinishLocation(loc);
  return loc;
}

cv::Mat RectifyCard(const cv::Mat& bgr, const CardLocation& location, cv::Size size) {
  if (bgr.empty() || size.width <= 0 || size.height <= 0) return cv::Mat();
  const double s = static_cast<double>(size.width) / layout::kCardWidth;
  cv::Mat h = location.card_to_image.empty() ? cv::Mat::eye(3, 3, CV_64F) : location.card_to_image;
  const cv::Mat unscale = (cv::Mat_<double>(3, 3) << 1 / s, 0, 0, 0, 1 / s, 0, 0, 0, 1);
  cv::Mat out;
  // card_to_image maps destination → source, hence WARP_INVERSE_MAP.
  cv::warpPerspective(bgr, out, h * unscale, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                      cv::BORDER_REPLICATE);
  return out;
}

cv::Point2f CardToImage(const CardLocation& location, cv::Point2f p, double scale) {
  const cv::Mat& h = location.card_to_image;
  if (h.empty()) return p;
  const double x = p.x / scale, y = p.y / scale;
  const double X = h.at<double>(0, 0) * x + h.at<double>(0, 1) * y + h.at<double>(0, 2);
  const double Y = h.at<double>(1, 0) * x + h.at<double>(1, 1) * y + h.at<double>(1, 2);
  const double W = h.at<double>(2, 0) * x + h.at<double>(2, 1) * y + h.at<double>(2, 2);
  if (std::abs(W) < 1e-12) return p;
  return cv::Point2f(static_cast<float>(X / W), static_cast<float>(Y / W));
}


namespace {

// Where the label/value colons sit when the card's own colons cannot be found
// (fractions of the card width; the layout puts them at kColonX ≈ 0.265,
// values start at kValueX = 0.285).
constexpr double kColonColumn[2] = {0.240, 0.279};
// Where a card's colon column may be (fractions of the width): real cards
// put it anywhere from ~0.23 to ~0.30.
constexpr double kColonSearch[2] = {0.15, 0.40};
// A narrow glyph this close to the measured colon column (fraction of the
// width) is the colon; the value starts at least ~1.2 % of the width after
// it, so the first letter of a value ("I WAYAN") stays a letter.
constexpr double kColonTolerance = 0.007;
// The most the colon column may lean (x per row, ~2°): more is no residual
// tilt but colons that are not a column.
constexpr double kMaxColonLean = 0.035;
// A colon's dots glued to the next letter: the first glyph of the word no
// wider than this (fraction of the width; an L or E is ~0.007).
constexpr double kGluedColonWidth = 0.008;
// The issue place under the photo, centred on it, reaches this far left of
// the photo's edge (fraction of the width) when the name is long ...
constexpr double kIssuePlaceReach = 0.15;
// ... and is this far (fraction of the width, ~2 em) from the value it would
// be read onto; a value's own words are a word space apart.
constexpr double kIssuePlaceGap = 0.04;
// With no photo found: words right of the middle after a gap of ~6 em.
constexpr double kIssuePlaceNoPhotoFrom = 0.45;
constexpr double kIssuePlaceNoPhotoGap = 0.12;
// Colons read as colons needed before the measured column is trusted.
constexpr int kMinColonSamples = 3;
// ... else colons and colon-like glyphs agreeing on one column.
constexpr int kMinColonVotes = 5;
// Glyphs a colon is read as (bytes; UTF-8 guillemets and dashes included).
constexpr std::string_view kColonLookalikes = "1Il|!i:;.";
constexpr std::string_view kColonLookalikesMeasured =
    "1Il|!i:;.,2Zz=~-'\"`\xC2\xBB\xAB\xE2\x80\x94\x93\x98\x99";
// The photo's left edge: searched for in this x range, over this band of
// rows (fractions of the card), where every layout has photo and no header.
constexpr double kPhotoSearchX[2] = {0.60, 0.86};
constexpr double kPhotoBandY[2] = {0.31, 0.55};
// A column is photo when at least this share of the band's pixels is dark or
// strongly coloured (text columns are mostly paper), for this many columns
// in a row (fraction of the width).
constexpr double kPhotoColumnShare = 0.5;
constexpr double kPhotoRun = 0.008;
// ... and the run is the edge of a block at least this wide (fraction of
// the width; photos are ~0.19–0.24) whose columns are photo on average by
// this share (low: a light face or shirt can fill much of a photo).
constexpr double kPhotoBlock = 0.10;
constexpr double kPhotoBlockShare = 0.35;
// Text stops this far left of the photo (fraction of the width).
constexpr double kPhotoMargin = 0.006;

bool IsColon(const std::string& t) { return t == ":" || t == ";"; }

// A colon read glued to a glyph (":I", ":5"): the colon was seen, and what
// follows it is a real glyph.
bool StartsWithColon(const std::string& t) { return t.size() > 1 && (t.front() == ':' || t.front() == ';'); }

// A colon read glued to the label before it ("Nama:").
bool EndsWithColon(const std::string& t) { return t.size() > 1 && (t.back() == ':' || t.back() == ';'); }

// A box this narrow (fraction of the width; a digit or capital is ~3x wider
// at the card's scale) holds a colon's dots or a stroke, whatever Tesseract
// named it ("5", "5.", ",").
constexpr double kColonWidth = 0.004;

bool ColonNarrow(const OcrWord& w) {
  return w.box.w <= kColonWidth * layout::kCardWidth && !w.text.empty() && w.text.size() <= 2;
}

// This card's colon column (x in canonical card pixels): the median of the
// colons Tesseract did read as colons — alone, or glued to the label before
// them ("Nama:") or to the value after them (":YUDI") — one per line, in the
// range a colon column can be in. Negative when too few were read.
struct ColonColumn {
  double x = -1;      // at row y0; negative: not measured
  double y0 = 0;
  double slope = 0;   // x per row: a card left a little tilted by the rectification
  bool measured() const { return x >= 0; }
  double At(double y) const { return x + slope * (y - y0); }
};

// The column through colons read at (x, y): their median, leaning with them
// when the card is left tilted (a photo's residual perspective moves the
// column ~1 % of the width from the NIK to the last row, more than the
// tolerance). The lean is the median of the pairwise slopes (robust to a
// stray colon), kept only within a couple of degrees and when it brings the
// colons closer to the column than the upright median does.
ColonColumn FitColonColumn(const std::vector<std::pair<double, double>>& at) {
  ColonColumn c;
  std::vector<double> xs, ys;
  for (const auto& [x, y] : at) {
    xs.push_back(x);
    ys.push_back(y);
  }
  c.x = Median(xs);
  c.y0 = Median(ys);
  const double min_dy = 0.1 * layout::kCardHeight;
  std::vector<double> slopes;
  for (size_t i = 0; i < at.size(); ++i) {
    for (size_t j = i + 1; j < at.size(); ++j) {
      const double dy = at[j].second - at[i].second;
      if (std::abs(dy) >= min_dy) slopes.push_back((at[j].first - at[i].first) / dy);
    }
  }
  if (at.size() < 4 || slopes.empty()) return c;
  const double slope = std::clamp(Median(slopes), -kMaxColonLean, kMaxColonLean);
  std::vector<double> shifted;
  for (const auto& [x, y] : at) shifted.push_back(x - slope * (y - c.y0));
  const double x = Median(shifted);
  std::vector<double> upright, leaning;
  for (const auto& [px, py] : at) {
    upright.push_back(std::abs(px - c.x));
    leaning.push_back(std::abs(px - (x + slope * (py - c.y0))));
  }
  if (Median(leaning) < Median(upright)) {
    c.x = x;
    c.slope = slope;
  }
  return c;
}

ColonColumn MeasureColonColumn(const std::vector<OcrLine>& lines) {
  const double lo = kColonSearch[0] * layout::kCardWidth, hi = kColonSearch[1] * layout::kCardWidth;
  // Half a colon's width: where its centre sits in a glued word.
  const double half_colon = 0.003 * layout::kCardWidth;
  std::vector<double> xs;
  std::vector<std::pair<double, double>> read_at;
  for (const OcrLine& line : lines) {
    for (const OcrWord& w : line.words) {
      const std::string& t = w.text;
      if (t.empty() || t.find_first_of(":;") == std::string::npos) continue;
      double x;
      if (IsColon(t)) {
        x = w.box.x + w.box.w / 2.0;
      } else if (EndsWithColon(t)) {
        x = w.box.x + w.box.w - half_colon;
      } else if (StartsWithColon(t)) {
        x = w.box.x + half_colon;
      } else {
        continue;
      }
      if (x < lo || x > hi) continue;
      xs.push_back(x);
      read_at.emplace_back(x, w.box.y + w.box.h / 2.0);
      break;  // the first colon of a line is the label's
    }
  }
  if (static_cast<int>(xs.size()) >= kMinColonSamples) return FitColonColumn(read_at);
  // Too few colons read as colons (a blurred or JPEG-smeared card reads most
  // of them as "1"): the thin glyphs that sit where a colon does — after the
  // label, alone, a value's width of space before the next word — vote too,
  // and the column is where most votes agree. A name prefix "I" is followed
  // by an ordinary word space, so it does not vote.
  const double narrow = 0.015 * layout::kCardWidth, value_gap = 0.012 * layout::kCardWidth;
  for (const OcrLine& line : lines) {
    if (std::any_of(line.words.begin(), line.words.end(), [](const OcrWord& w) { return IsColon(w.text); })) {
      continue;  // voted above
    }
    for (size_t i = 1; i + 1 < line.words.size(); ++i) {
      const OcrWord& w = line.words[i];
      const double x = w.box.x + w.box.w / 2.0;
      if (x < lo || x > hi) continue;
      if (IsColon(w.text) || w.text.empty() || w.text.size() > 2 || w.box.w > narrow ||
          (w.text.find_first_not_of(kColonLookalikes) != std::string::npos && !ColonNarrow(w)) ||
          line.words[i + 1].box.x - (w.box.x + w.box.w) < value_gap) {
        continue;
      }
      xs.push_back(x);
      break;
    }
  }
  // The largest cluster (within the tolerance of one sample), if it is most.
  const double tolerance = kColonTolerance * layout::kCardWidth;
  std::vector<double> best;
  for (double centre : xs) {
    std::vector<double> near;
    for (double x : xs) {
      if (std::abs(x - centre) <= tolerance) near.push_back(x);
    }
    if (near.size() > best.size()) best = std::move(near);
  }
  ColonColumn votes;
  if (static_cast<int>(best.size()) < kMinColonVotes || 2 * best.size() < xs.size()) return votes;
  votes.x = Median(best);
  return votes;
}

}  // namespace

// The photo, found as the first run of columns right of the values that are
// mostly dark or strongly coloured over the photo's rows (the backdrop is a
// solid red or blue block; text there is sparse) and stay so for a photo's
// width.
PhotoEdge FindPhotoEdge(const cv::Mat& card_bgr) {
  PhotoEdge none;
  none.text_right = layout::kTextArea.x1;
  if (card_bgr.empty() || card_bgr.type() != CV_8UC3) return none;
  const int cols = card_bgr.cols, rows = card_bgr.rows;
  const int x0 = static_cast<int>(kPhotoSearchX[0] * cols);
  const int x1 = static_cast<int>(kPhotoSearchX[1] * cols);
  const int y0 = static_cast<int>(kPhotoBandY[0] * rows);
  const int y1 = static_cast<int>(kPhotoBandY[1] * rows);
  if (x1 <= x0 || y1 <= y0) return none;
  cv::Mat hsv;
  cv::cvtColor(card_bgr(cv::Rect(0, y0, x1, y1 - y0)), hsv, cv::COLOR_BGR2HSV);
  // Paper: the median brightness and saturation left of the search range
  // (mostly background between the sparse text).
  std::vector<uchar> v_left, s_left;
  for (int y = 0; y < hsv.rows; y += 2) {
    const cv::Vec3b* row = hsv.ptr<cv::Vec3b>(y);
    for (int x = 0; x < x0; x += 3) {
      s_left.push_back(row[x][1]);
      v_left.push_back(row[x][2]);
    }
  }
  const double dark_v = 0.70 * Median(std::move(v_left));
  const double vivid_s = std::max(115.0, Median(std::move(s_left)) + 60.0);
  // Darker than paper (any backdrop, a copy's grey) or more colourful.
  auto is_photo = [&](int y, int x) {
    const cv::Vec3b& p = hsv.at<cv::Vec3b>(y, x);
    return p[2] < dark_v || p[1] > vivid_s;
  };
  std::vector<double> share(x1, 0.0);
  for (int x = x0; x < x1; ++x) {
    int n = 0;
    for (int y = 0; y < hsv.rows; ++y) n += is_photo(y, x) ? 1 : 0;
    share[x] = static_cast<double>(n) / hsv.rows;
  }
  const int run = std::max(3, static_cast<int>(kPhotoRun * cols));
  const int block = static_cast<int>(kPhotoBlock * cols);
  int in_run = 0;
  for (int x = x0; x < x1; ++x) {
    in_run = share[x] >= kPhotoColumnShare ? in_run + 1 : 0;
    if (in_run < run) continue;
    const int edge = x - run + 1;
    // A photo is wide: a dark word or a seal is not.
    double sum = 0;
    const int end = std::min(x1, edge + block);
    for (int bx = edge; bx < end; ++bx) sum += share[bx];
    if (end - edge < block / 2 || sum / (end - edge) < kPhotoBlockShare) continue;
    PhotoEdge found;
    found.photo_left = static_cast<double>(edge) / cols;
    found.text_right = *found.photo_left - kPhotoMargin;
    return found;
  }
  return none;
}

// Tesseract often reads the colon between label and value as "1", "I", "I."
// or "|" ("Nama 1 YUDI"). On a line with no colon at the colon column, the
// narrow glyph nearest to the column (this card's, measured from the colons
// read elsewhere on it; a fixed window when too few were) is the colon,
// whatever it was read as. Only that one: a value may start with "I".
// A colon read glued to the value's first glyph as one word ("LELIS" for
// ": ELIS", "«|" for ": I"): the word's first glyph sits on the column, is
// narrow and colon-like, and the next one already lies where values start.
// Split off as its own ":" word. Needs the per-symbol extents; only on a line
// with no colon read.
void SplitGluedColon(OcrLine& line, double at, std::string_view misreads) {
  const double tolerance = kColonTolerance * layout::kCardWidth;
  if (std::any_of(line.words.begin(), line.words.end(), [](const OcrWord& w) {
        return w.text.find_first_of(":;") != std::string::npos;
      })) {
    return;
  }
  for (size_t i = 1; i < line.words.size(); ++i) {
    OcrWord& w = line.words[i];
    if (w.text.size() < 2 || w.symbol_span.size() != w.text.size()) continue;
    size_t k = 1;  // bytes of the first glyph
    while (k < w.text.size() && w.symbol_span[k].x0 == w.symbol_span[0].x0 &&
           w.symbol_span[k].x1 == w.symbol_span[0].x1) {
      ++k;
    }
    if (k == w.text.size()) continue;
    const SymbolSpan first = w.symbol_span[0], next = w.symbol_span[k];
    const double first_centre = (first.x0 + first.x1) / 2.0, next_centre = (next.x0 + next.x1) / 2.0;
    if (std::abs(first_centre - at) > tolerance / 2 || first.x1 - first.x0 > kGluedColonWidth * layout::kCardWidth ||
        next_centre <= at + tolerance) {
      continue;
    }
    const std::string glyph = w.text.substr(0, k);
    if (glyph != "L" && glyph.find_first_not_of(misreads) != std::string::npos) continue;
    OcrWord colon;
    colon.text = ":";
    colon.confidence = w.confidence;
    colon.box = {first.x0, w.box.y, std::max(1, first.x1 - first.x0), w.box.h};
    w.text.erase(0, k);
    if (!w.symbol_confidence.empty()) w.symbol_confidence.erase(w.symbol_confidence.begin(), w.symbol_confidence.begin() + k);
    w.symbol_span.erase(w.symbol_span.begin(), w.symbol_span.begin() + k);
    w.box.w = w.box.x + w.box.w - next.x0;
    w.box.x = next.x0;
    line.words.insert(line.words.begin() + i, colon);
    return;
  }
}

void FixColonColumn(std::vector<OcrLine>& lines) {
  const ColonColumn measured = MeasureColonColumn(lines);
  // What a colon is misread as. With the column measured (±0.7 % of the width,
  // well left of where any value starts) a wider set is safe: other faces'
  // colons come back as "2", "Z", "2." or "»—"; on the fallback window only
  // the thin strokes.
  const std::string_view misreads = measured.measured() ? kColonLookalikesMeasured : kColonLookalikes;
  for (OcrLine& line : lines) {
    if (line.words.empty()) continue;
    double lo = kColonColumn[0] * layout::kCardWidth, hi = kColonColumn[1] * layout::kCardWidth;
    if (measured.measured()) {
      const double at = measured.At(line.words[0].box.y + line.words[0].box.h / 2.0);
      lo = at - kColonTolerance * layout::kCardWidth;
      hi = at + kColonTolerance * layout::kCardWidth;
    }
    const double centre_of_window = (lo + hi) / 2;
    bool changed = false;
    if (measured.measured()) {
      const size_t words = line.words.size();
      SplitGluedColon(line, centre_of_window, misreads);
      changed = line.words.size() != words;
    }
    // The line's colon: one read as a colon in the column, else the misread
    // glyph nearest the column's centre.
    std::optional<size_t> colon, best;
    // A colon glued to its label ("NAMA:", a card that prints no colon
    // column) is the line's colon: nothing in the column is.
    for (size_t i = 0; i + 1 < line.words.size() && i < 4; ++i) {
      if (EndsWithColon(line.words[i].text)) {
        colon = i;
        break;
      }
    }
    for (size_t i = 0; i < line.words.size() && !colon; ++i) {
      const OcrWord& w = line.words[i];
      const double centre = w.box.x + w.box.w / 2.0;
      if (centre < lo || centre > hi || w.box.w > 0.025 * layout::kCardWidth) continue;
      if (w.text.empty() || w.text.size() > (measured.measured() ? 5U : 2U)) continue;
      if (StartsWithColon(w.text)) {
        colon = i;  // read, and glued to the value's first glyph: nothing to mend
        continue;
      }
      if (w.text.find_first_not_of(misreads) != std::string::npos && !(measured.measured() && ColonNarrow(w))) {
        continue;
      }
      if (IsColon(w.text)) colon = i;
      if (!best || std::abs(centre - centre_of_window) <
                       std::abs(line.words[*best].box.x + line.words[*best].box.w / 2.0 -
                                centre_of_window)) {
        best = i;
      }
    }
    if (!colon && best) {
      colon = best;
      changed = line.words[*best].text != ":";
      line.words[*best].text = ":";
    }
    // A vertical stroke opening a value of several words is the letter I
    // ("Nama : | PUTU" is I PUTU, a Balinese name); the parser would drop it
    // as punctuation.
    if (colon && *colon + 2 < line.words.size()) {
      std::string& first = line.words[*colon + 1].text;
      if (first == "|" || first == "!") {
        first = "I";
        changed = true;
      }
    }
    if (changed) RejoinWords(line);
  }
}

void DropIssuePlaceBesideValues(std::vector<OcrLine>& lines, const PhotoEdge& photo) {
  // Without the photo (none found, or the card not found in the frame) only
  // a wide gap in the card's right half says where the values end.
  const double reach =
      (photo.photo_left ? *photo.photo_left - kIssuePlaceReach : kIssuePlaceNoPhotoFrom) * layout::kCardWidth;
  const double gap = (photo.photo_left ? kIssuePlaceGap : kIssuePlaceNoPhotoGap) * layout::kCardWidth;
  const auto holds_label = [](const std::vector<OcrWord>& words, size_t from) {
    for (size_t i = from; i < words.size(); ++i) {
      const std::string& t = words[i].text;
      if (t.find_first_of(":;") != std::string::npos) return true;
      // Gol. Darah, its own column
      if (absl::StartsWithIgnoreCase(t, "GOL") || absl::StartsWithIgnoreCase(t, "DAR")) return true;
    }
    return false;
  };
  for (OcrLine& line : lines) {
    for (size_t i = 1; i < line.words.size(); ++i) {
      const PixelBox& before = line.words[i - 1].box;
      const PixelBox& here = line.words[i].box;
      if (here.x < reach || here.x - (before.x + before.w) < gap || holds_label(line.words, i)) continue;
      line.words.erase(line.words.begin() + static_cast<std::ptrdiff_t>(i), line.words.end());
      RejoinWords(line);
      break;
    }
  }
}

}  // namespace ktp::reader
