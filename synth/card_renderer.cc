// Cairo drawing of the clean KTP front on a per-card geometry and of non-KTP
// documents (see card_renderer.h). Fonts come from fontconfig: each card's
// typeface is part of its geometry (Liberation Sans, Arial's metrics, on most).
#include "synth/card_renderer.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "reader/card_layout.h"

namespace ktp::synth {
namespace {

namespace layout = ktp::reader::layout;

constexpr double kW = layout::kCardWidth;
constexpr double kH = layout::kCardHeight;
constexpr char kFont[] = "Liberation Sans";  // non-KTP documents and the nominal card
constexpr double kPi = 3.14159265358979323846;

// Nominal sizes in pixels (font em size = the layout's text height).
constexpr double kHeaderSize = layout::kHeaderTextHeight * kH;
constexpr double kNikSize = layout::kNikTextHeight * kH;
constexpr double kRowSize = layout::kRowTextHeight * kH;
constexpr double kIssueSize = layout::kRowTextHeight * kH * 0.85;
// Horizontal room per slot.
constexpr double kHeaderMaxWidth = 0.94 * kW;
constexpr double kValueMaxWidth = (layout::kTextArea.x1 - layout::kValueX) * kW - 4;
constexpr double kIssueMaxWidth = (layout::kPhoto.x1 - layout::kPhoto.x0) * kW + 10;

struct CairoDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoDeleter>;

void SetFont(cairo_t* cr, const std::string& font, double size, bool bold) {
  cairo_select_font_face(cr, font.c_str(), CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double TextWidth(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, text.c_str(), &e);
  return e.x_advance;
}

double CapHeight(cairo_t* cr) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, "H", &e);
  return -e.y_bearing;
}

double MeasureWidth(const std::string& font, const std::string& text, double size, bool bold) {
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 4, 4));
  CairoPtr cr(cairo_create(surface.get()));
  SetFont(cr.get(), font, size, bold);
  return TextWidth(cr.get(), text);
}

enum class Align { kLeft, kCenter };

// Draws `text` with its capitals vertically centred on y. Text wider than
// max_width is condensed horizontally (a safety net: generation avoids it).
void DrawText(cairo_t* cr, const std::string& font, const std::string& text, double x, double y,
              double size, bool bold, Align align = Align::kLeft, double max_width = 1e9) {
  SetFont(cr, font, size, bold);
  const double width = TextWidth(cr, text);
  const double squeeze = width > max_width ? max_width / width : 1.0;
  const double drawn = width * squeeze;
  const double left = align == Align::kCenter ? x - drawn / 2 : x;
  cairo_save(cr);
  cairo_translate(cr, left, y + CapHeight(cr) / 2);
  cairo_scale(cr, squeeze, 1.0);
  cairo_move_to(cr, 0, 0);
  cairo_show_text(cr, text.c_str());
  cairo_restore(cr);
}

void RoundedRect(cairo_t* cr, double x, double y, double w, double h, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -kPi / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, kPi / 2);
  cairo_arc(cr, x + r, y + h - r, r, kPi / 2, kPi);
  cairo_arc(cr, x + r, y + r, r, kPi, 3 * kPi / 2);
  cairo_close_path(cr);
}

// Cairo ARGB32 (premultiplied, native-endian BGRA bytes) → RGBA Mat.
cv::Mat ToRgba(cairo_surface_t* surface) {
  cairo_surface_flush(surface);
  const int w = cairo_image_surface_get_width(surface);
  const int h = cairo_image_surface_get_height(surface);
  cv::Mat bgra(h, w, CV_8UC4, cairo_image_surface_get_data(surface),
               static_cast<size_t>(cairo_image_surface_get_stride(surface)));
  cv::Mat rgba(h, w, CV_8UC4);
  for (int y = 0; y < h; ++y) {
    const cv::Vec4b* src = bgra.ptr<cv::Vec4b>(y);
    cv::Vec4b* dst = rgba.ptr<cv::Vec4b>(y);
    for (int x = 0; x < w; ++x) {
      const int a = src[x][3];
      auto un = [a](int c) { return static_cast<uchar>(a == 0 ? 0 : std::min(255, c * 255 / a)); };
      dst[x] = cv::Vec4b(un(src[x][2]), un(src[x][1]), un(src[x][0]), static_cast<uchar>(a));
    }
  }
  return rgba;
}

// Faint guilloche: families of sine waves and a rosette, light enough that
// text stays readable.
void DrawGuilloche(cairo_t* cr, Rng& rng, double w, double h, double r, double g, double b) {
  cairo_set_line_width(cr, 1.0);
  const double phase = rng.Real(0, 2 * kPi);
  const double period = rng.Real(90, 160);
  for (int i = 0; i < 28; ++i) {
    cairo_set_source_rgba(cr, r, g, b, 0.10);
    const double base = h * (i + 0.5) / 28.0;
    const double amp = 6 + 4 * std::sin(i * 0.7);
    for (double x = 0; x <= w; x += 4) {
      const double y = base + amp * std::sin(x / period * 2 * kPi + phase + i * 0.35);
      if (x == 0)
        cairo_move_to(cr, x, y);
      else
        cairo_line_to(cr, x, y);
    }
    cairo_stroke(cr);
  }
  const double cx = w * rng.Real(0.35, 0.55), cy = h * rng.Real(0.45, 0.65);
  cairo_set_source_rgba(cr, r, g, b, 0.08);
  for (int k = 0; k < 36; ++k) {
    const double a = k * kPi / 18;
    cairo_save(cr);
    cairo_translate(cr, cx, cy);
    cairo_rotate(cr, a);
    cairo_scale(cr, 1.0, 0.35);
    cairo_arc(cr, h * 0.16, 0, h * 0.16, 0, 2 * kPi);
    cairo_restore(cr);
    cairo_stroke(cr);
  }
}

// An invented, obviously schematic face: coloured backdrop, shoulders, head.
void DrawPhoto(cairo_t* cr, const CardGeometry& g, Rng& rng) {
  const double x0 = g.photo_x0 * kW, y0 = g.photo_y0 * kH, w = (g.photo_x1 - g.photo_x0) * kW,
               h = (g.photo_y1 - g.photo_y0) * kH;
  if (rng.Chance(0.5)) {
    cairo_set_source_rgb(cr, rng.Real(0.75, 0.85), rng.Real(0.10, 0.18), rng.Real(0.12, 0.2));
  } else {
    cairo_set_source_rgb(cr, rng.Real(0.15, 0.25), rng.Real(0.3, 0.42), rng.Real(0.7, 0.82));
  }
  cairo_rectangle(cr, x0, y0, w, h);
  cairo_fill(cr);
  cairo_save(cr);
  cairo_rectangle(cr, x0, y0, w, h);
  cairo_clip(cr);
  const double cx = x0 + w * rng.Real(0.46, 0.54);
  // Shoulders (shirt).
  const double shade = rng.Real(0.05, 0.35);
  cairo_set_source_rgb(cr, shade, shade, shade + rng.Real(0, 0.1));
  cairo_save(cr);
  cairo_translate(cr, cx, y0 + h * 1.02);
  cairo_scale(cr, w * rng.Real(0.46, 0.55), h * 0.33);
  cairo_arc(cr, 0, 0, 1, 0, 2 * kPi);
  cairo_restore(cr);
  cairo_fill(cr);
  // Neck and head in a flat tone.
  const double skin = rng.Real(0.0, 1.0);
  cairo_set_source_rgb(cr, 0.85 - 0.35 * skin, 0.68 - 0.30 * skin, 0.52 - 0.28 * skin);
  cairo_rectangle(cr, cx - w * 0.08, y0 + h * 0.55, w * 0.16, h * 0.18);
  cairo_fill(cr);
  const double hy = y0 + h * rng.Real(0.40, 0.44);
  cairo_save(cr);
  cairo_translate(cr, cx, hy);
  cairo_scale(cr, w * rng.Real(0.20, 0.24), h * rng.Real(0.20, 0.23));
  cairo_arc(cr, 0, 0, 1, 0, 2 * kPi);
  cairo_restore(cr);
  cairo_fill(cr);
  // Hair (or a headscarf) as a darker cap.
  const double hair = rng.Real(0.05, 0.2);
  cairo_set_source_rgb(cr, hair, hair * 0.9, hair * 0.8);
  cairo_save(cr);
  cairo_translate(cr, cx, hy - h * 0.05);
  cairo_scale(cr, w * 0.25, h * 0.19);
  cairo_arc(cr, 0, 0, 1, kPi, 2 * kPi);
  cairo_restore(cr);
  cairo_fill(cr);
  cairo_restore(cr);
}

// A random Bezier scribble inside the signature rectangle.
void DrawSignature(cairo_t* cr, const CardGeometry& g, Rng& rng) {
  const double x0 = g.sign_x0 * kW, y0 = g.sign_y0 * kH, w = (g.sign_x1 - g.sign_x0) * kW,
               h = (g.sign_y1 - g.sign_y0) * kH;
  auto px = [&](double f) { return x0 + w * (0.08 + 0.84 * f); };
  auto py = [&](double f) { return y0 + h * (0.12 + 0.76 * f); };
  cairo_set_source_rgb(cr, 0.05, 0.05, rng.Real(0.1, 0.35));
  cairo_set_line_width(cr, rng.Real(1.6, 2.6));
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  double x = 0.05, y = rng.Real(0.3, 0.8);
  cairo_move_to(cr, px(x), py(y));
  const int strokes = rng.Int(3, 6);
  for (int i = 0; i < strokes; ++i) {
    const double nx = std::min(1.0, x + rng.Real(0.12, 0.3));
    const double ny = rng.Real(0.1, 0.9);
    cairo_curve_to(cr, px(x + rng.Real(-0.1, 0.3)), py(rng.Real(0, 1)),
                   px(nx + rng.Real(-0.3, 0.1)), py(rng.Real(0, 1)), px(nx), py(ny));
    x = nx;
  }
  cairo_stroke(cr);
  if (rng.Chance(0.6)) {  // an underline flourish
    cairo_move_to(cr, px(rng.Real(0, 0.2)), py(rng.Real(0.8, 0.95)));
    cairo_curve_to(cr, px(0.4), py(1.0), px(0.6), py(0.7), px(rng.Real(0.8, 1.0)), py(0.85));
    cairo_stroke(cr);
  }
}

}  // namespace

CardGeometry NominalGeometry() {
  CardGeometry g;
  g.label_x = layout::kLabelX;
  g.indented_label_x = layout::kIndentedLabelX;
  g.colon_x = layout::kColonX;
  g.value_x = layout::kValueX;
  g.value_right = layout::kTextArea.x1;
  g.blood_label_x = layout::kBloodLabelX;
  g.nik_y = layout::kNikY;
  g.nik_size = 1;
  g.first_row_y = layout::kFirstRowY;
  g.row_pitch = layout::kRowPitch;
  g.photo_x0 = layout::kPhoto.x0;
  g.photo_y0 = layout::kPhoto.y0;
  g.photo_x1 = layout::kPhoto.x1;
  g.photo_y1 = layout::kPhoto.y1;
  g.issue_place_y = layout::kIssuePlaceY;
  g.issue_date_y = layout::kIssueDateY;
  g.sign_x0 = layout::kSignature.x0;
  g.sign_y0 = layout::kSignature.y0;
  g.sign_x1 = layout::kSignature.x1;
  g.sign_y1 = layout::kSignature.y1;
  return g;
}

namespace {

// Sans faces of other printers than Arial's metrics: a condensed one, a
// humanist one, a narrower one. Liberation Sans is three of the eight
// entries: the common face stays the most frequent one.
const std::vector<std::string>& Typefaces() {
  static const std::vector<std::string>* faces = new std::vector<std::string>{
      "Liberation Sans", "Liberation Sans", "Liberation Sans", "Liberation Sans Narrow",
      "Roboto",          "Roboto Condensed", "Open Sans",      "Carlito"};
  return *faces;
}

// The widest label's width in `font`, as a fraction of the card's width.
double LongestLabel(const std::string& font) {
  return std::max({MeasureWidth(font, "Status Perkawinan", kRowSize, false),
                   MeasureWidth(font, "Kewarganegaraan", kRowSize, false),
                   MeasureWidth(font, "Tempat/Tgl Lahir", kRowSize, false)}) /
         kW;
}

}  // namespace

CardGeometry DrawGeometry(Rng& rng) {
  CardGeometry g;
  g.label_x = rng.Real(0.022, 0.050);
  g.indented_label_x = rng.Chance(0.2) ? g.label_x : g.label_x + rng.Real(0.025, 0.045);
  g.colon_x = std::max(rng.Real(0.225, 0.295), g.label_x + LongestLabel(kFont) + 0.008);
  g.value_x = g.colon_x + rng.Real(0.012, 0.030);
  g.blood_label_x = g.value_x + rng.Real(0.175, 0.215);
  g.row_pitch = rng.Real(0.046, 0.056);
  // Twelve rows from the first one; the last stays on the card.
  g.first_row_y = rng.Real(0.300, std::max(0.300, std::min(0.350, 0.950 - 11 * g.row_pitch)));
  g.nik_y = std::max(0.205, g.first_row_y - rng.Real(0.080, 0.100));
  // Photo: ~3:4 portrait box right of the values.
  const double photo_w = rng.Real(0.190, 0.235);
  g.photo_x0 = rng.Real(0.685, std::min(0.760, 0.965 - photo_w));
  g.photo_x1 = g.photo_x0 + photo_w;
  g.photo_y0 = rng.Real(0.195, 0.260);
  const double photo_h = std::min(0.46, photo_w * kW * rng.Real(1.22, 1.38) / kH);
  g.photo_y1 = g.photo_y0 + photo_h;
  g.value_right = g.photo_x0 - rng.Real(0.015, 0.030);
  g.nik_size = rng.Real(0.95, 1.15);
  // Issue place and date under the photo, the signature under them.
  g.issue_place_y = g.photo_y1 + rng.Real(0.040, 0.050);
  g.issue_date_y = g.issue_place_y + rng.Real(0.045, 0.055);
  const double sign_w = photo_w * rng.Real(0.85, 0.95);
  const double centre = (g.photo_x0 + g.photo_x1) / 2;
  g.sign_x0 = centre - sign_w / 2;
  g.sign_x1 = centre + sign_w / 2;
  g.sign_y0 = g.issue_date_y + 0.030;
  g.sign_y1 = std::max(g.sign_y0 + 0.06, std::min(0.955, g.sign_y0 + 0.155));
  // Drawn last so the placements above stay what they were for a seed.
  g.font = rng.Pick(Typefaces());
  // The colon stays clear of the longest label in this face too.
  const double shift = std::max(0.0, g.label_x + LongestLabel(g.font) + 0.008 - g.colon_x);
  g.colon_x += shift;
  g.value_x += shift;
  g.blood_label_x += shift;
  return g;
}

namespace {

// Room for a value on `g`: never more than the nominal column, so every value
// drawn for any geometry also fits the nominal one.
double ValueMaxWidth(const CardGeometry& g) {
  return std::min(kValueMaxWidth, (g.value_right - g.value_x) * kW - 4);
}

double IssueMaxWidth(const CardGeometry& g) {
  return std::min(kIssueMaxWidth, (g.photo_x1 - g.photo_x0) * kW + 10);
}

}  // namespace

namespace {

bool FitsIn(const CardGeometry& g, const std::string& font, const std::string& slot,
            const std::string& text) {
  if (slot == "header") return MeasureWidth(font, text, kHeaderSize, true) <= kHeaderMaxWidth;
  if (slot == "issue") return MeasureWidth(font, text, kIssueSize, false) <= IssueMaxWidth(g);
  return MeasureWidth(font, text, kRowSize, false) <= ValueMaxWidth(g);
}

}  // namespace

bool TextFitsOn(const CardGeometry& g, const std::string& slot, const std::string& text) {
  // In the card's own face, and in the nominal face on the nominal layout
  // (so every value also passes TextFits).
  return FitsIn(g, g.font, slot, text) && (g.font == kFont || TextFits(slot, text));
}

absl::Status TypefacesInstalled() {
  for (const std::string& face : Typefaces()) {
    if (absl::Status s = TypefaceInstalled(face); !s.ok()) return s;
  }
  return TypefaceInstalled(kFont);
}

absl::Status TypefaceInstalled(const std::string& face) {
  FcPattern* pattern = FcNameParse(reinterpret_cast<const FcChar8*>(face.c_str()));
  if (pattern == nullptr) return absl::InternalError("fontconfig cannot parse a family name");
  FcConfigSubstitute(nullptr, pattern, FcMatchPattern);
  FcDefaultSubstitute(pattern);
  FcResult result = FcResultNoMatch;
  FcPattern* match = FcFontMatch(nullptr, pattern, &result);
  std::string family;
  FcChar8* name = nullptr;
  if (match != nullptr && FcPatternGetString(match, FC_FAMILY, 0, &name) == FcResultMatch) {
    family = reinterpret_cast<const char*>(name);
  }
  if (match != nullptr) FcPatternDestroy(match);
  FcPatternDestroy(pattern);
  if (family != face) {
    return absl::FailedPreconditionError(absl::StrCat(
        "typeface \"", face, "\" is not installed (fontconfig offers \"", family,
        "\" instead); scripts/install-deps.sh installs ktp-synth's fonts"));
  }
  return absl::OkStatus();
}

bool TextFits(const std::string& slot, const std::string& text) {
  static const CardGeometry* nominal = new CardGeometry(NominalGeometry());
  return FitsIn(*nominal, kFont, slot, text);
}

cv::Mat RenderCard(const Identity& id, Rng& rng) { return RenderCard(id, NominalGeometry(), rng); }

cv::Mat RenderCard(const Identity& id, const CardGeometry& g, Rng& rng) {
  SurfacePtr surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, layout::kCardWidth, layout::kCardHeight));
  CairoPtr owner(cairo_create(surface.get()));
  cairo_t* cr = owner.get();

  // Light blue card with rounded corners and a gentle diagonal gradient.
  RoundedRect(cr, 0, 0, kW, kH, 0.035 * kH);
  cairo_clip(cr);
  cairo_pattern_t* grad = cairo_pattern_create_linear(0, 0, kW, kH);
  cairo_pattern_add_color_stop_rgb(grad, 0, 0.80, 0.90, 0.97);
  cairo_pattern_add_color_stop_rgb(grad, rng.Real(0.4, 0.6), 0.72, 0.86, 0.96);
  cairo_pattern_add_color_stop_rgb(grad, 1, 0.78, 0.88, 0.95);
  cairo_set_source(cr, grad);
  cairo_paint(cr);
  cairo_pattern_destroy(grad);
  DrawGuilloche(cr, rng, kW, kH, 0.25, 0.45, 0.70);

  cairo_set_source_rgb(cr, 0, 0, 0);
  // Header.
  DrawText(cr, g.font, "PROVINSI " + id.province, kW / 2, layout::kHeaderLine1Y * kH, kHeaderSize, true,
           Align::kCenter, kHeaderMaxWidth);
  DrawText(cr, g.font, absl::StrCat(id.is_city ? "KOTA " : "KABUPATEN ", id.city_regency), kW / 2,
           layout::kHeaderLine2Y * kH, kHeaderSize, true, Align::kCenter, kHeaderMaxWidth);
  // NIK.
  const double value_max = ValueMaxWidth(g);
  const double nik_size = kNikSize * g.nik_size;
  DrawText(cr, g.font, "NIK", g.label_x * kW, g.nik_y * kH, nik_size, true);
  DrawText(cr, g.font, ":", g.colon_x * kW, g.nik_y * kH, nik_size, true);
  DrawText(cr, g.font, id.nik, g.value_x * kW, g.nik_y * kH, nik_size, true, Align::kLeft,
           (g.value_right - g.value_x) * kW - 4);

  struct Row {
    const char* label;
    bool indented;
    std::string value;
  };
  const std::vector<Row> rows = {
      {"Nama", false, id.name},
      {"Tempat/Tgl Lahir", false, absl::StrCat(id.birth_place, ", ", id.birth_date)},
      {"Jenis Kelamin", false, id.sex},
      {"Alamat", false, id.address},
      {"RT/RW", true, id.rt_rw},
      {"Kel/Desa", true, id.village},
      {"Kecamatan", true, id.district},
      {"Agama", false, id.religion},
      {"Status Perkawinan", false, id.marital_status},
      {"Pekerjaan", false, id.occupation},
      {"Kewarganegaraan", false, id.nationality},
      {"Berlaku Hingga", false, id.valid_until},
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const double y = (g.first_row_y + g.row_pitch * static_cast<double>(i)) * kH;
    const double lx = (rows[i].indented ? g.indented_label_x : g.label_x) * kW;
    DrawText(cr, g.font, rows[i].label, lx, y, kRowSize, false);
    DrawText(cr, g.font, ":", g.colon_x * kW, y, kRowSize, false);
    const double max_w = i == 2 ? (g.blood_label_x - g.value_x) * kW - 8 : value_max;
    DrawText(cr, g.font, rows[i].value, g.value_x * kW, y, kRowSize, false, Align::kLeft, max_w);
    if (i == 2) {
      DrawText(cr, g.font, "Gol. Darah : " + id.blood_type, g.blood_label_x * kW, y, kRowSize, false);
    }
  }

  DrawPhoto(cr, g, rng);
  cairo_set_source_rgb(cr, 0, 0, 0);
  const double issue_x = (g.photo_x0 + g.photo_x1) / 2 * kW;
  DrawText(cr, g.font, id.issue_place, issue_x, g.issue_place_y * kH, kIssueSize, false, Align::kCenter,
           IssueMaxWidth(g));
  DrawText(cr, g.font, id.issue_date, issue_x, g.issue_date_y * kH, kIssueSize, false, Align::kCenter,
           IssueMaxWidth(g));
  DrawSignature(cr, g, rng);
  return ToRgba(surface.get());
}

namespace {

const std::vector<std::string>& FillerWords() {
  static const std::vector<std::string>* v = new std::vector<std::string>{
      "dengan",       "ini",       "kami",       "menyampaikan", "bahwa",    "kegiatan",
      "rapat",        "anggota",   "akan",       "dilaksanakan", "pada",     "hari",
      "tanggal",      "tempat",    "acara",      "laporan",      "keuangan", "tahun",
      "program",      "kerja",     "mohon",      "hadir",        "tepat",    "waktu",
      "atas",         "perhatian", "diucapkan",  "terima",       "kasih",    "sekolah",
      "perpustakaan", "buku",      "peminjaman", "pengembalian", "denda",    "jadwal",
      "pelatihan",    "warga",     "lingkungan"};
  return *v;
}

std::string Sentence(Rng& rng, int words) {
  std::string s;
  for (int i = 0; i < words; ++i) {
    std::string w = rng.Pick(FillerWords());
    if (i == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
    absl::StrAppend(&s, i ? " " : "", w);
  }
  return s + ".";
}

cv::Mat RenderPage(Rng& rng) {
  const int w = 900, h = 1200;
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h));
  CairoPtr owner(cairo_create(surface.get()));
  cairo_t* cr = owner.get();
  const double tint = rng.Real(0.93, 1.0);
  cairo_set_source_rgb(cr, tint, tint, tint * rng.Real(0.96, 1.0));
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
  DrawText(cr, kFont, rng.Chance(0.5) ? "SURAT PEMBERITAHUAN" : "LAPORAN KEGIATAN", w / 2.0, 90, 34, true,
           Align::kCenter, w - 120);
  double y = 170;
  SetFont(cr, kFont, 22, false);
  while (y < h - 80) {
    std::string line;
    // Greedy word wrap to the page's text width.
    for (int para = rng.Int(3, 7); para > 0 && y < h - 80; --para) {
      std::string text = Sentence(rng, rng.Int(30, 60));
      line.clear();
      size_t pos = 0;
      while (pos < text.size()) {
        size_t next = text.find(' ', pos);
        if (next == std::string::npos) next = text.size();
        std::string word = text.substr(pos, next - pos);
        std::string cand = line.empty() ? word : line + " " + word;
        if (TextWidth(cr, cand) > w - 160 && !line.empty()) {
          DrawText(cr, kFont, line, 80, y, 22, false);
          y += 34;
          line = word;
        } else {
          line = cand;
        }
        pos = next + 1;
        if (y >= h - 80) break;
      }
      if (!line.empty() && y < h - 80) {
        DrawText(cr, kFont, line, 80, y, 22, false);
        y += 34;
      }
      y += 22;
    }
  }
  return ToRgba(surface.get());
}

cv::Mat RenderOtherCard(Rng& rng) {
  const int w = layout::kCardWidth, h = layout::kCardHeight;
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h));
  CairoPtr owner(cairo_create(surface.get()));
  cairo_t* cr = owner.get();
  RoundedRect(cr, 0, 0, w, h, 0.04 * h);
  cairo_clip(cr);
  // Anything but light blue: cream, green, pink, orange, grey.
  static const double kColours[][3] = {{0.98, 0.95, 0.80},
                                       {0.78, 0.92, 0.78},
                                       {0.97, 0.82, 0.88},
                                       {0.99, 0.85, 0.65},
                                       {0.88, 0.88, 0.88}};
  const auto& c = kColours[rng.Int(0, 4)];
  cairo_set_source_rgb(cr, c[0], c[1], c[2]);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, c[0] * 0.5, c[1] * 0.5, c[2] * 0.5);
  cairo_rectangle(cr, 0, 0, w, h * 0.17);
  cairo_fill(cr);
  static const std::vector<std::string> kTitles = {"KARTU PERPUSTAKAAN", "KARTU ANGGOTA KOPERASI",
                                                   "KARTU PELAJAR", "MEMBER CARD",
                                                   "KARTU ANGGOTA KLUB"};
  cairo_set_source_rgb(cr, 1, 1, 1);
  DrawText(cr, kFont, rng.Pick(kTitles), w / 2.0, h * 0.085, 40, true, Align::kCenter, w - 60);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  const std::vector<std::string> labels = {"Nama", "No. Anggota", "Alamat", "Berlaku"};
  for (size_t i = 0; i < labels.size(); ++i) {
    const double y = h * (0.32 + 0.12 * static_cast<double>(i));
    DrawText(cr, kFont, labels[i], 40, y, 28, false);
    std::string value;
    if (i == 0) value = Sentence(rng, 2);
    if (i == 1) value = absl::StrFormat("%08d", rng.Int(0, 99999999));
    if (i == 2) value = Sentence(rng, 3);
    if (i == 3) value = absl::StrFormat("%02d/%04d", rng.Int(1, 12), rng.Int(2024, 2030));
    DrawText(cr, kFont, ": " + value, 260, y, 28, false, Align::kLeft, w * 0.62 - 260);
  }
  if (rng.Chance(0.7)) {  // a grey photo placeholder
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.65);
    cairo_rectangle(cr, w * 0.74, h * 0.26, w * 0.21, h * 0.5);
    cairo_fill(cr);
  }
  return ToRgba(surface.get());
}

cv::Mat RenderScene(Rng& rng) {
  const int w = rng.Int(1000, 1400), h = rng.Int(750, 1000);
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h));
  CairoPtr owner(cairo_create(surface.get()));
  cairo_t* cr = owner.get();
  cairo_pattern_t* grad = cairo_pattern_create_linear(0, 0, rng.Real(0, w), h);
  cairo_pattern_add_color_stop_rgb(grad, 0, rng.Unit(), rng.Unit(), rng.Unit());
  cairo_pattern_add_color_stop_rgb(grad, 1, rng.Unit(), rng.Unit(), rng.Unit());
  cairo_set_source(cr, grad);
  cairo_paint(cr);
  cairo_pattern_destroy(grad);
  for (int i = rng.Int(8, 25); i > 0; --i) {
    cairo_set_source_rgba(cr, rng.Unit(), rng.Unit(), rng.Unit(), rng.Real(0.4, 1.0));
    const double x = rng.Real(0, w), y = rng.Real(0, h), s = rng.Real(30, 300);
    switch (rng.Int(0, 2)) {
      case 0:
        cairo_arc(cr, x, y, s / 2, 0, 2 * kPi);
        cairo_fill(cr);
        break;
      case 1:
        cairo_rectangle(cr, x, y, s, s * rng.Real(0.3, 1.5));
        cairo_fill(cr);
        break;
      default:
        cairo_set_line_width(cr, rng.Real(2, 20));
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, rng.Real(0, w), rng.Real(0, h));
        cairo_stroke(cr);
    }
  }
  cv::Mat rgba = ToRgba(surface.get());
  cv::GaussianBlur(rgba, rgba, cv::Size(0, 0), rng.Real(1.0, 4.0));
  return rgba;
}

}  // namespace

cv::Mat RenderOtherDocument(Rng& rng, std::string* kind) {
  switch (rng.Int(0, 2)) {
    case 0:
      *kind = "page";
      return RenderPage(rng);
    case 1:
      *kind = "card";
      return RenderOtherCard(rng);
    default:
      *kind = "scene";
      return RenderScene(rng);
  }
}

}  // namespace ktp::synth
