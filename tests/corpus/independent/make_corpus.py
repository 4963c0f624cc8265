#!/usr/bin/env python3
"""ktp-indie: an independent, held-out corpus of synthetic KTP-like images.

Written from scratch in Python (Pillow + NumPy from Debian) so that it shares
no code, fonts, layout numbers or degradation model with ktp-synth (synth/,
C++/cairo). Only the region table data/wilayah/*.tsv (data) and the field
formats of ktp.v1.KtpCard are common. Every identity is invented; no real
card, person or NIK is used. Each card carries a small "SPESIMEN - FIKTIF"
mark in its bottom-right corner.

    make_corpus.py --out DIR [--seed N] [--clean N] [--moderate N] [--hard N]
                   [--non-ktp N] [--flags N] [--per-level N]

writes DIR/manifest.json and one image per item. The same arguments always
give the same bytes (on the same Debian font and library versions).
See README.md beside this file for the levels and the manifest format.
"""

import argparse
import io
import json
import math
import os
import sys

try:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
except ImportError as e:  # pragma: no cover
    sys.stderr.write(
        "make_corpus.py needs python3-numpy and python3-pil (Debian): %s\n"
        "run scripts/install-deps.sh\n" % e)
    sys.exit(3)

GENERATOR = "ktp-indie 1"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_WILAYAH = os.path.normpath(os.path.join(HERE, "..", "..", "..", "data", "wilayah"))

FIELD_NAMES = [
    "nik", "name", "birth_place", "birth_date", "sex", "blood_type", "address", "rt_rw",
    "village", "district", "religion", "marital_status", "occupation", "nationality",
    "valid_until", "province", "city_regency",
]
QUALITY_NAMES = ["blurred", "bright", "copy", "cropped", "dark", "flash", "ktp", "rotated",
                 "taken_from_screen"]
DEFECTS = ["blurred", "dark", "bright", "rotated", "cropped", "copy", "flash"]

# ---------------------------------------------------------------------------
# Fonts: none of them is Liberation Sans (ktp-synth's face).
DJ = "/usr/share/fonts/truetype/dejavu/"
FF = "/usr/share/fonts/truetype/freefont/"
URW = "/usr/share/fonts/opentype/urw-base35/"
FONT_FAMILIES = {
    # name: (regular, bold, Debian package, weight)
    "dejavu-sans": (DJ + "DejaVuSans.ttf", DJ + "DejaVuSans-Bold.ttf", "fonts-dejavu-core", 3),
    "dejavu-sans-condensed": (DJ + "DejaVuSansCondensed.ttf", DJ + "DejaVuSansCondensed-Bold.ttf",
                              "fonts-dejavu-extra", 2),
    "freesans": (FF + "FreeSans.ttf", FF + "FreeSansBold.ttf", "fonts-freefont-ttf", 3),
    "nimbus-sans": (URW + "NimbusSans-Regular.otf", URW + "NimbusSans-Bold.otf",
                    "fonts-urw-base35", 3),
    "nimbus-sans-narrow": (URW + "NimbusSansNarrow-Regular.otf", URW + "NimbusSansNarrow-Bold.otf",
                           "fonts-urw-base35", 2),
}
# The NIK digits are often set in a different face from the rest of the card.
NIK_FACES = [(DJ + "DejaVuSansMono-Bold.ttf", "fonts-dejavu-core")]

_font_cache = {}


def font(path, size):
    key = (path, int(size))
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(path, int(size))
    return _font_cache[key]


def check_fonts():
    missing = []
    for reg, bold, pkg, _ in FONT_FAMILIES.values():
        for p in (reg, bold):
            if not os.path.exists(p):
                missing.append("%s (%s)" % (p, pkg))
    for p, pkg in NIK_FACES:
        if not os.path.exists(p):
            missing.append("%s (%s)" % (p, pkg))
    if missing:
        sys.stderr.write("make_corpus.py: missing fonts: %s\nrun scripts/install-deps.sh\n"
                         % ", ".join(missing))
        sys.exit(3)


# ---------------------------------------------------------------------------
def grid(h, w):
    """Row and column coordinates as broadcastable float32 arrays (h×1, 1×w)."""
    return (np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :])


def normal(r, sigma, shape):
    return r.g.standard_normal(shape, dtype=np.float32) * np.float32(sigma)


class Rng:
    """A seeded NumPy generator with the few helpers the renderer needs."""

    def __init__(self, *key):
        self.g = np.random.default_rng([int(k) & 0xFFFFFFFF for k in key])

    def u(self, a, b):
        return float(self.g.uniform(a, b))

    def i(self, a, b):  # inclusive
        return int(self.g.integers(a, b + 1))

    def chance(self, p):
        return float(self.g.random()) < p

    def pick(self, seq):
        return seq[int(self.g.integers(0, len(seq)))]

    def weighted(self, seq, weights):
        w = np.asarray(weights, dtype=float)
        return seq[int(self.g.choice(len(seq), p=w / w.sum()))]

    def sign(self):
        return 1 if self.chance(0.5) else -1

    def seed(self):
        return int(self.g.integers(0, 2**31 - 1))


# ---------------------------------------------------------------------------
# Regions (data/wilayah): names as printed on a card and returned by the API.
class Regions:
    def __init__(self, wilayah_dir):
        self.names = {}
        self.children = {}
        with open(os.path.join(wilayah_dir, "regions.tsv"), encoding="utf-8") as f:
            rows = [l.rstrip("\n").split("\t", 1) for l in f if l.strip()]
        with open(os.path.join(wilayah_dir, "villages.tsv"), encoding="utf-8") as f:
            rows += [l.rstrip("\n").split("\t", 1) for l in f if l.strip()]
        for code, name in rows:
            code = code.strip()
            level = code.count(".") + 1
            self.names[code] = (name.strip(), level)
            parent = code.rsplit(".", 1)[0] if "." in code else ""
            self.children.setdefault(parent, []).append(code)
        self.districts = [c for c, (n, lv) in self.names.items() if lv == 3 and len(c) == 8]
        self.regencies = [c for c, (n, lv) in self.names.items() if lv == 2]

    def ktp_name(self, code):
        name, level = self.names[code]
        up = name.upper()
        if level == 1 and up == "DAERAH KHUSUS IBUKOTA JAKARTA":
            return "DKI JAKARTA"
        if level == 1 and up == "DAERAH ISTIMEWA YOGYAKARTA":
            return "DI YOGYAKARTA"
        if level == 2:
            for prefix in ("KABUPATEN ADMINISTRASI ", "KOTA ADMINISTRASI ", "KABUPATEN ", "KOTA "):
                if up.startswith(prefix):
                    return up[len(prefix):]
        return up

    @staticmethod
    def plain(name):
        """Letters, spaces and a few marks only: a name whose expected value is unambiguous."""
        return all(c.isascii() and (c.isalpha() or c in " -'") for c in name) and len(name) >= 3

    def is_city(self, regency_code):
        return int(regency_code.split(".")[1]) >= 71


# ---------------------------------------------------------------------------
# Invented identities. Own word lists (not ktp-synth's).
MALE = ["ARYA", "BAGAS", "CAHYO", "DWI", "GALIH", "HARIS", "INDRA", "JAJANG", "KEVIN", "LANANG",
        "MARDI", "NANANG", "OKTO", "PANJI", "RAKA", "SIGIT", "TOMI", "UMAR", "VERY", "WISNU",
        "YOSEF", "ZAKI", "ALDI", "BENNY", "CHANDRA", "DARMAWAN", "EDWIN", "FERRY", "GUNTUR",
        "HERMAN", "IKHSAN", "JUNAEDI", "KOMARUDIN", "MARTINUS", "NOVAL", "PRAMONO", "RIYADI",
        "SUPARMAN", "TARNO", "WAWAN", "YOHANES", "ABDUL", "BONIFASIUS", "ROBERTUS", "I GEDE",
        "I NYOMAN", "SAMSUL", "MUCHLIS", "NURDIN", "ROHMAN"]
FEMALE = ["AMELIA", "BUNGA", "CITRA", "DESI", "EKA", "FEBRIANA", "GITA", "HERLINA", "IRMA",
          "JULIA", "KIKI", "LUSI", "MIRANDA", "NOVITA", "OKTAVIA", "PRISKA", "RESTU", "SUSI",
          "TRISNA", "ULFA", "VERONIKA", "WINDA", "YOHANA", "ZULAIKHA", "AGUSTINA", "BERLIAN",
          "CINDY", "DAMAYANTI", "ERNAWATI", "FITRIANI", "HALIMAH", "ISTIQOMAH", "JUMIATI",
          "KHADIJAH", "MARLINA", "NURHAYATI", "PAULINA", "ROSMAWATI", "SUMARNI", "THERESIA",
          "NI MADE", "NI KETUT", "SRIYATUN", "MUNAROH", "YULIANTI"]
SURNAMES = ["ADIPUTRA", "BATUBARA", "CAHYADI", "DAMANIK", "EFFENDY", "FAUZI", "GULTOM",
            "HALIM", "ISKANDAR", "JAYADI", "KARTASASMITA", "LIMBONG", "MAHENDRA", "NAINGGOLAN",
            "OKTAVIANUS", "PARDEDE", "RANGKUTI", "SUTRISNO", "TANJUNG", "UTOMO", "WIBOWO",
            "YULIANTO", "ZULKARNAEN", "SIAGIAN", "PURBA", "SINAGA", "MANULLANG", "RUMAGESAN",
            "WONDA", "MANDAGI", "TUMBELAKA", "PATTIRUHU", "SOPACUA", "RAHARJO", "SOEDIRDJO",
            "KUSNADI", "MULYONO", "SUHENDAR", "HIDAYATULLAH", "ABDULLAH"]
PREFIXES = ["M.", "MOH.", "H.", "HJ.", "R.", "I"]  # printed as on many real cards
STREETS = ["RAYA BOGOR", "KH. HASYIM ASHARI", "DR. SUTOMO", "CIKINI RAYA", "PEMUDA BARAT",
           "SULTAN AGUNG", "TRUNOJOYO", "PANGERAN ANTASARI", "WOLTER MONGINSIDI", "SAM RATULANGI",
           "TENGKU UMAR", "CUT NYAK DIEN", "YOS SUDARSO", "HASANUDDIN", "PATIMURA",
           "MAYJEN SUNGKONO", "KALIURANG", "MAGELANG", "MALIOBORO", "ASIA AFRIKA", "DAGO",
           "KEBON SIRIH", "PETA", "MANGGIS", "DURIAN", "SAWO KECIK", "BELIMBING", "SUKUN",
           "KAMBOJA", "TANJUNG DUREN", "PERINTIS KEMERDEKAAN", "LINTAS TIMUR"]
PLACES = ["SIDOREJO", "KARANGREJO", "MEKARJAYA", "SUKADAMAI", "PONDOK INDAH", "GRIYA PERMAI",
          "BUMI SERPONG", "TAMAN ASRI", "NUSA INDAH", "CITRA RAYA", "BOJONG", "CIJERUK",
          "TEGALSARI", "KEDUNGWUNI", "LEBAKSIU", "SUMBERSARI", "WONOKERTO", "MARGOMULYO",
          "BANJARSARI", "KALIWUNGU"]
OCCUPATIONS = [  # a subset of Dukcapil's list, roughly by frequency
    ("KARYAWAN SWASTA", 14), ("WIRASWASTA", 14), ("PELAJAR/MAHASISWA", 8),
    ("MENGURUS RUMAH TANGGA", 10), ("BELUM/TIDAK BEKERJA", 5), ("PETANI/PEKEBUN", 8),
    ("PEGAWAI NEGERI SIPIL", 4), ("BURUH HARIAN LEPAS", 5), ("PEDAGANG", 4), ("GURU", 3),
    ("PENSIUNAN", 3), ("NELAYAN/PERIKANAN", 2), ("SOPIR", 2), ("TENTARA NASIONAL INDONESIA", 1),
    ("KEPOLISIAN RI", 1), ("PERDAGANGAN", 2), ("KARYAWAN HONORER", 2), ("KARYAWAN BUMN", 1),
    ("BURUH TANI/PERKEBUNAN", 2), ("TUKANG JAHIT", 1), ("TUKANG LAS/PANDAI BESI", 1),
    ("TUKANG CUKUR", 1), ("MEKANIK", 1), ("PERAWAT", 1), ("BIDAN", 1), ("DOKTER", 1),
    ("DOSEN", 1), ("PERANGKAT DESA", 1), ("USTADZ/MUBALIGH", 1), ("JURU MASAK", 1),
    ("PENATA RIAS", 1), ("WARTAWAN", 1), ("APOTEKER", 1), ("KONSULTAN", 1),
    ("ANGGOTA DPRD KABUPATEN/KOTA", 1), ("LAINNYA", 1)]
RELIGIONS = [("ISLAM", 78), ("KRISTEN", 9), ("KATOLIK", 5), ("HINDU", 4), ("BUDDHA", 3),
             ("KONGHUCU", 1)]
BLOOD = [("O", 28), ("A", 20), ("B", 22), ("AB", 7), ("-", 23)]


def days_in(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]


def make_name(r, female):
    given = FEMALE if female else MALE
    n = r.weighted([1, 2, 3, 4], [0.12, 0.45, 0.35, 0.08])
    words = [r.pick(given)]
    while len(words) < n:
        w = r.pick(SURNAMES) if len(words) == n - 1 and r.chance(0.7) else r.pick(given)
        if w not in words:
            words.append(w)
    if r.chance(0.12):
        p = r.pick(["HJ.", "NY."] if female else ["M.", "MOH.", "H.", "R."])
        words.insert(0, p)
    return " ".join(words)


def make_address(r):
    k = r.weighted(range(7), [0.30, 0.12, 0.14, 0.12, 0.12, 0.10, 0.10])
    if k == 0:
        return "JL. %s NO. %d" % (r.pick(STREETS), r.i(1, 240))
    if k == 1:
        return "JL. %s NO. %d%s" % (r.pick(STREETS), r.i(1, 99), r.pick("ABCD"))
    if k == 2:
        return "DSN %s" % r.pick(PLACES)
    if k == 3:
        return "PERUM %s BLOK %s-%d" % (r.pick(PLACES), r.pick("ABCDEFGH"), r.i(1, 30))
    if k == 4:
        return "LINGK. %s" % r.pick(PLACES)
    if k == 5:
        return "JL. %s GG. %d NO. %d" % (r.pick(STREETS), r.i(1, 12), r.i(1, 80))
    return "KP. %s" % r.pick(PLACES)


def make_identity(r, regions):
    while True:
        dc = r.pick(regions.districts)
        prov, reg = dc[:2], dc[:5]
        if prov not in regions.names or reg not in regions.names:
            continue
        villages = [v for v in regions.children.get(dc, []) if Regions.plain(regions.names[v][0])]
        if not villages or not Regions.plain(regions.names[dc][0]):
            continue
        if not Regions.plain(regions.ktp_name(reg)) or not Regions.plain(regions.ktp_name(prov)):
            continue
        village = r.pick(villages)
        break
    idn = {
        "province": regions.ktp_name(prov),
        "city_regency": regions.ktp_name(reg),
        "district": regions.ktp_name(dc),
        "village": regions.ktp_name(village),
    }
    is_city = regions.is_city(reg)
    female = r.chance(0.5)
    by = r.i(1945, 2008)
    bm = r.i(1, 12)
    bd = r.i(1, days_in(by, bm))
    idn["birth_date"] = "%02d-%02d-%04d" % (bd, bm, by)
    idn["sex"] = "PEREMPUAN" if female else "LAKI-LAKI"
    if r.chance(0.6):
        idn["birth_place"] = idn["city_regency"]
    else:
        for _ in range(50):
            cand = regions.ktp_name(r.pick(regions.regencies))
            if Regions.plain(cand):
                break
        idn["birth_place"] = cand
    serial = r.i(1, 60) if r.chance(0.7) else r.i(61, 9999)
    idn["nik"] = dc.replace(".", "") + "%02d%02d%02d" % (bd + (40 if female else 0), bm, by % 100) \
        + "%04d" % serial
    idn["name"] = make_name(r, female)
    idn["address"] = make_address(r)
    idn["rt_rw"] = "%03d/%03d" % (r.i(1, 25), r.i(1, 18))
    idn["blood_type"] = r.weighted([b for b, _ in BLOOD], [w for _, w in BLOOD])
    idn["religion"] = r.weighted([b for b, _ in RELIGIONS], [w for _, w in RELIGIONS])
    age = 2026 - by
    if age < 21:
        idn["marital_status"] = "BELUM KAWIN" if r.chance(0.9) else "KAWIN"
    else:
        idn["marital_status"] = r.weighted(["KAWIN", "BELUM KAWIN", "CERAI HIDUP", "CERAI MATI"],
                                           [0.62, 0.22, 0.07, 0.09 if age > 50 else 0.02])
    if age < 23 and r.chance(0.55):
        idn["occupation"] = "PELAJAR/MAHASISWA"
    elif age > 58 and r.chance(0.35):
        idn["occupation"] = "PENSIUNAN"
    else:
        idn["occupation"] = r.weighted([o for o, _ in OCCUPATIONS], [w for _, w in OCCUPATIONS])
    idn["nationality"] = "WNI"
    iy = r.i(max(2011, by + 17), 2025)
    im = r.i(1, 12)
    extra = {"issue_date": "%02d-%02d-%04d" % (r.i(1, days_in(iy, im)), im, iy),
             "issue_place": idn["city_regency"], "is_city": is_city, "district_code": dc,
             "village_code": village}
    if r.chance(0.12):
        vy = iy + 5
        idn["valid_until"] = "%02d-%02d-%04d" % (min(bd, days_in(vy, bm)), bm, vy)
    else:
        idn["valid_until"] = "SEUMUR HIDUP"
    return idn, extra


# ---------------------------------------------------------------------------
# Card drawing (Pillow). Geometry is drawn per card from ranges around a
# real card's proportions; nothing is taken from reader/card_layout.h.
def title_case(s):
    out = []
    for w in s.split(" "):
        out.append("/".join(p[:1] + p[1:].lower() for p in w.split("/")))
    return " ".join(out)


def draw_text(d, x, y, text, f, fill, tracking=0.0):
    """Draws `text` with its baseline at y; returns the x where it ends."""
    if abs(tracking) < 0.05:
        d.text((x, y), text, font=f, fill=fill, anchor="ls")
        return x + f.getlength(text)
    for ch in text:
        d.text((x, y), ch, font=f, fill=fill, anchor="ls")
        x += f.getlength(ch) + tracking
    return x - tracking


def text_width(text, f, tracking=0.0):
    if abs(tracking) < 0.05:
        return f.getlength(text)
    return sum(f.getlength(c) for c in text) + tracking * (len(text) - 1)


def card_background(r, w, h):
    yy, xx = grid(h, w)
    top = np.array([r.u(200, 222), r.u(222, 236), r.u(236, 248)], np.float32)
    bottom = np.array([r.u(160, 190), r.u(198, 220), r.u(220, 240)], np.float32)
    # Diagonal gradient plus a pale pinkish band in the middle, like many cards.
    t = (0.75 * yy / h + 0.25 * xx / w)[..., None]
    img = top * (1 - t) + bottom * t
    band = np.exp(-((yy - h * r.u(0.45, 0.6)) / (h * 0.18)) ** 2)[..., None]
    img += band * np.array([r.u(0, 14), r.u(-4, 4), r.u(-10, 0)], np.float32)
    # Guilloche: families of thin sine curves.
    lines = np.zeros((h, w), np.float32)
    for _ in range(r.i(2, 4)):
        period = r.u(0.25, 0.6) * w
        amp = r.u(0.03, 0.09) * h
        phase = r.u(0, 2 * math.pi)
        spacing = r.u(0.012, 0.03) * h
        offs = (yy - amp * np.sin(2 * math.pi * xx / period + phase)) / spacing
        lines += np.clip(1.0 - np.abs(offs - np.round(offs)) * 7.0, 0, 1) * r.u(0.2, 0.45)
    img += lines[..., None] * np.array([r.sign() * 10, 6, 10], np.float32)
    # A faint rosette seal left of centre.
    cx, cy, rad = r.u(0.3, 0.5) * w, r.u(0.45, 0.65) * h, r.u(0.18, 0.26) * h
    rr = np.hypot(xx - cx, yy - cy)
    th = np.arctan2(yy - cy, xx - cx)
    k = r.i(9, 16)
    ros = np.clip(1 - np.abs(rr - rad * (1 + 0.12 * np.sin(k * th))) / 1.8, 0, 1)
    ros += np.clip(1 - np.abs(rr - 0.7 * rad * (1 + 0.15 * np.cos(k * th))) / 1.5, 0, 1)
    img -= ros[..., None] * np.array([14, 10, 4], np.float32)
    return img


def draw_photo(r, img, box):
    """A schematic portrait (no real face), clipped to `box` of `img`."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    bgc = r.pick([(200, 40, 40), (30, 80, 170), (190, 30, 45), (40, 100, 190)])
    ph = Image.new("RGB", (w, h), bgc)
    d = ImageDraw.Draw(ph)
    cx = w * r.u(0.45, 0.55)
    skin = r.pick([(110, 110, 110), (130, 125, 120), (95, 95, 100)])
    hw, hh = w * r.u(0.2, 0.26), h * r.u(0.19, 0.24)
    hy = h * r.u(0.32, 0.4)
    d.rounded_rectangle([cx - w * 0.42, hy + hh * 1.4, cx + w * 0.42, h * 1.2],
                        radius=int(w * 0.25), fill=r.pick([(40, 40, 45), (230, 230, 230),
                                                           (60, 70, 90)]))
    d.rectangle([cx - hw * 0.45, hy + hh * 0.7, cx + hw * 0.45, hy + hh * 1.6], fill=skin)
    d.ellipse([cx - hw, hy - hh, cx + hw, hy + hh], fill=skin)
    if r.chance(0.6):
        d.rectangle([0, 0, w - 1, h - 1], outline=(90, 90, 90), width=1)
    img.paste(ph, (x0, y0))


def draw_signature(r, d, cx, cy, w, h):
    pts = []
    x = cx - w / 2
    n = r.i(6, 11)
    for k in range(n * 6 + 1):
        t = k / (n * 6)
        pts.append((x + w * t + r.u(-2, 2), cy + h * 0.5 * math.sin(t * n * math.pi * r.u(0.8, 1.2))
                    * (1 - 0.5 * t) + r.u(-1.5, 1.5)))
    ink = r.pick([(20, 30, 90), (15, 15, 25), (30, 40, 120)])
    d.line(pts, fill=ink, width=r.i(1, 3), joint="curve")
    if r.chance(0.7):
        d.line([(cx - w * 0.45, cy + h * 0.35), (cx + w * 0.4, cy + h * 0.2)], fill=ink, width=2)


LABELS = ["Nama", "Tempat/Tgl Lahir", "Jenis Kelamin", "Alamat", "RT/RW", "Kel/Desa",
          "Kecamatan", "Agama", "Status Perkawinan", "Pekerjaan", "Kewarganegaraan",
          "Berlaku Hingga"]
INDENTED = {"RT/RW", "Kel/Desa", "Kecamatan"}


def render_card(r, idn, extra):
    """Returns (RGBA PIL image, render params) or None when a value does not fit."""
    W = r.i(980, 1090)
    aspect = (85.6 / 54.0) * r.u(0.93, 1.07)
    H = int(round(W / aspect))
    fam_names = list(FONT_FAMILIES)
    fam = r.weighted(fam_names, [FONT_FAMILIES[n][3] for n in fam_names])
    reg_path, bold_path = FONT_FAMILIES[fam][0], FONT_FAMILIES[fam][1]
    nik_path = NIK_FACES[0][0] if r.chance(0.25) else bold_path
    case = "title" if r.chance(0.15) else "upper"
    tracking = r.weighted([0.0, 0.6, 1.2, -0.4], [0.6, 0.2, 0.12, 0.08])

    # Proportions: each within ~±10 % of a nominal card.
    header_size = H * r.u(0.040, 0.050)
    h1_y = H * r.u(0.075, 0.095)
    h2_y = h1_y + header_size * r.u(1.2, 1.45)
    nik_size = H * r.u(0.048, 0.062)
    nik_y = h2_y + H * r.u(0.085, 0.11)
    row_size = H * r.u(0.031, 0.038)
    first_y = nik_y + H * r.u(0.075, 0.1)
    pitch = H * r.u(0.047, 0.057)
    pitch = min(pitch, (H * 0.955 - first_y) / 11.0)
    label_x = W * r.u(0.025, 0.05)
    indent = W * r.u(0.018, 0.035) if r.chance(0.7) else 0.0
    colon_x = W * r.u(0.235, 0.285)
    value_x = colon_x + W * r.u(0.011, 0.024)
    nik_value_x = colon_x + W * r.u(0.012, 0.03)
    photo_x0 = W * r.u(0.69, 0.755)
    photo_w = W * r.u(0.19, 0.235)
    photo_x0 = min(photo_x0, W * 0.975 - photo_w)
    photo_y0 = H * r.u(0.17, 0.3)
    photo_h = min(photo_w * r.u(1.22, 1.38), H * 0.70 - photo_y0)
    ink = tuple(int(v) for v in (r.u(5, 40), r.u(5, 35), r.u(10, 50)))

    regular = font(reg_path, row_size)
    bold = font(bold_path, header_size)
    # The colon column clears the longest label (a wide face pushes it right).
    widest = max(regular.getlength(l) + (indent if l in INDENTED else 0) for l in LABELS)
    if colon_x < label_x + widest + W * 0.012:
        shift = label_x + widest + W * 0.012 - colon_x
        colon_x += shift
        value_x += shift
        nik_value_x += shift
    nikf = font(nik_path, nik_size)
    nikl = font(bold_path, nik_size)

    def shown(v):
        return title_case(v) if case == "title" else v

    sep = r.weighted([", ", ",", " , ", ",  "], [0.6, 0.15, 0.15, 0.1])
    rt_rw = idn["rt_rw"] if r.chance(0.8) else idn["rt_rw"].replace("/", " / ")
    values = {
        "Nama": shown(idn["name"]),
        "Tempat/Tgl Lahir": shown(idn["birth_place"]) + sep + idn["birth_date"],
        "Jenis Kelamin": shown(idn["sex"]),
        "Alamat": shown(idn["address"]),
        "RT/RW": rt_rw,
        "Kel/Desa": shown(idn["village"]),
        "Kecamatan": shown(idn["district"]),
        "Agama": shown(idn["religion"]),
        "Status Perkawinan": shown(idn["marital_status"]),
        "Pekerjaan": shown(idn["occupation"]),
        "Kewarganegaraan": idn["nationality"],
        "Berlaku Hingga": shown(idn["valid_until"]),
    }
    avail = photo_x0 - W * 0.012 - value_x
    sizes = {}
    for label, v in values.items():
        size = row_size
        while text_width(v, font(reg_path, size), tracking) > avail and size > row_size * 0.8:
            size -= 1
        if text_width(v, font(reg_path, size), tracking) > avail:
            return None
        sizes[label] = size
    headers = ["PROVINSI " + idn["province"],
               ("KOTA " if extra["is_city"] else "KABUPATEN ") + idn["city_regency"]]
    header_fonts = []
    for t in headers:
        size = header_size
        while font(bold_path, size).getlength(t) > W * 0.94 and size > header_size * 0.75:
            size -= 1
        if font(bold_path, size).getlength(t) > W * 0.94:
            return None
        header_fonts.append(font(bold_path, size))
    if nik_value_x + nikf.getlength(idn["nik"]) > photo_x0 - W * 0.01:
        return None

    bg = card_background(r, W, H)
    img = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    hx = W * r.u(0.47, 0.53)
    for t, f, y in zip(headers, header_fonts, (h1_y, h2_y)):
        d.text((hx, y), t, font=f, fill=ink, anchor="ms")
    draw_text(d, label_x, nik_y, "NIK", nikl, ink)
    draw_text(d, colon_x, nik_y, ":", nikl, ink)
    draw_text(d, nik_value_x, nik_y, idn["nik"], nikf, ink, tracking=r.u(0, 2.5))
    blood_label = r.pick(["Gol. Darah", "Gol. Darah", "Gol Darah"])
    for k, label in enumerate(LABELS):
        y = first_y + k * pitch
        lx = label_x + (indent if label in INDENTED else 0)
        draw_text(d, lx, y, label, regular, ink)
        draw_text(d, colon_x, y, ":", regular, ink)
        end = draw_text(d, value_x, y, values[label], font(reg_path, sizes[label]), ink, tracking)
        if label == "Jenis Kelamin":
            bx = max(W * r.u(0.45, 0.52), end + W * 0.04,
                     value_x + text_width("PEREMPUAN", regular, tracking) + W * 0.03)
            e2 = draw_text(d, bx, y, blood_label, regular, ink)
            e2 = draw_text(d, e2 + W * r.u(0.008, 0.02), y, ":", regular, ink)
            draw_text(d, e2 + W * r.u(0.008, 0.015), y, idn["blood_type"], regular, ink)
    box = [int(photo_x0), int(photo_y0), int(photo_x0 + photo_w), int(photo_y0 + photo_h)]
    draw_photo(r, img, box)
    small = font(reg_path, H * r.u(0.026, 0.032))
    pcx = photo_x0 + photo_w / 2
    iy = photo_y0 + photo_h + H * r.u(0.045, 0.06)
    place = idn["city_regency"] if r.chance(0.7) else (
        ("KOTA " if extra["is_city"] else "KAB. ") + idn["city_regency"])
    while small.getlength(place) > W - photo_x0 - 4 and small.size > 10:
        small = font(reg_path, small.size - 1)
    d.text((pcx, iy), place, font=small, fill=ink, anchor="ms")
    d.text((pcx, iy + small.size * 1.3), extra["issue_date"], font=small, fill=ink, anchor="ms")
    draw_signature(r, d, pcx, iy + small.size * 1.3 + H * 0.08, photo_w * 0.8, H * 0.06)
    mark = font(reg_path, H * 0.022)
    d.text((W * 0.985, H * 0.985), "SPESIMEN - FIKTIF", font=mark, fill=(150, 120, 140), anchor="rs")

    alpha = Image.new("L", (W, H), 0)
    ImageDraw.Draw(alpha).rounded_rectangle([0, 0, W - 1, H - 1], radius=int(W * r.u(0.02, 0.04)),
                                            fill=255)
    img.putalpha(alpha)
    params = {"width": W, "height": H, "aspect": round(W / H, 4), "font": fam,
              "nik_font": os.path.basename(nik_path), "value_case": case,
              "tracking": tracking, "label_x": round(label_x / W, 4),
              "colon_x": round(colon_x / W, 4), "value_x": round(value_x / W, 4),
              "nik_y": round(nik_y / H, 4), "first_row_y": round(first_y / H, 4),
              "row_pitch": round(pitch / H, 4), "row_text": round(row_size / H, 4),
              "indent": round(indent / W, 4),
              "photo": [round(box[0] / W, 3), round(box[1] / H, 3), round(box[2] / W, 3),
                        round(box[3] / H, 3)]}
    return img, params


# ---------------------------------------------------------------------------
# Non-KTP documents (hard negatives included: other ID-1 cards with label
# lines, a card with a 16-digit number).
WORDS = ("dengan ini kami sampaikan bahwa yang bersangkutan telah memenuhi persyaratan untuk "
         "mengikuti kegiatan pelatihan sesuai jadwal yang ditetapkan oleh panitia demikian "
         "surat keterangan ini dibuat agar dapat dipergunakan sebagaimana mestinya kepada "
         "bapak ibu saudara harap hadir tepat waktu membawa dokumen pendukung").split()


def render_other(r):
    kind = r.weighted(["page", "student_card", "licence", "bank_card", "receipt", "scene"],
                      [2, 2, 1, 1, 1, 1])
    fam = r.pick(list(FONT_FAMILIES))
    reg_path, bold_path = FONT_FAMILIES[fam][0], FONT_FAMILIES[fam][1]
    if kind == "page":
        W, H = 900, int(900 * 1.414)
        img = Image.new("RGB", (W, H), tuple(int(r.u(235, 252)) for _ in range(3)))
        d = ImageDraw.Draw(img)
        d.text((W / 2, 110), r.pick(["SURAT KETERANGAN", "UNDANGAN RAPAT", "PENGUMUMAN"]),
               font=font(bold_path, 34), fill=(20, 20, 20), anchor="ms")
        f = font(reg_path, 22)
        y = 190
        while y < H - 100:
            line = " ".join(r.pick(WORDS) for _ in range(r.i(7, 11)))
            d.text((80, y), line.capitalize(), font=f, fill=(30, 30, 30), anchor="ls")
            y += 34 if r.chance(0.85) else 68
        return img.convert("RGBA"), kind
    if kind in ("student_card", "licence"):
        W = r.i(980, 1060)
        H = int(W / (85.6 / 54))
        base = (r.u(230, 250), r.u(215, 240), r.u(170, 210)) if kind == "licence" else \
            (r.u(210, 240), r.u(225, 245), r.u(200, 230))
        img = Image.new("RGB", (W, H), tuple(int(v) for v in base))
        d = ImageDraw.Draw(img)
        if kind == "licence":
            title = "SURAT IZIN MENGEMUDI"
            labels = ["Nama", "Tempat/Tgl Lahir", "Gol. Darah", "Alamat", "Pekerjaan",
                      "Berlaku s/d"]
            number = "%04d-%04d-%06d" % (r.i(1000, 9999), r.i(1000, 9999), r.i(0, 999999))
        else:
            title = "KARTU TANDA MAHASISWA"
            labels = ["Nama", "NIM", "Fakultas", "Program Studi", "Angkatan"]
            number = None
        d.text((W / 2, H * 0.11), title, font=font(bold_path, int(H * 0.06)), fill=(20, 20, 60),
               anchor="ms")
        d.text((W / 2, H * 0.19), r.pick(["UNIVERSITAS NUSANTARA RAYA", "KEPOLISIAN NEGARA",
                                          "POLITEKNIK TEKNIK MANDIRI"]),
               font=font(reg_path, int(H * 0.04)), fill=(20, 20, 60), anchor="ms")
        f = font(reg_path, int(H * 0.037))
        y = H * 0.32
        if number:
            d.text((W * 0.05, y), number, font=font(bold_path, int(H * 0.05)), fill=(10, 10, 10),
                   anchor="ls")
            y += H * 0.09
        for lab in labels:
            d.text((W * 0.05, y), lab, font=f, fill=(15, 15, 15), anchor="ls")
            d.text((W * 0.3, y), ": " + " ".join(r.pick(WORDS).upper() for _ in range(r.i(1, 3))),
                   font=f, fill=(15, 15, 15), anchor="ls")
            y += H * 0.075
        draw_photo(r, img, [int(W * 0.74), int(H * 0.28), int(W * 0.95), int(H * 0.72)])
        return img.convert("RGBA"), kind
    if kind == "bank_card":
        W = r.i(980, 1060)
        H = int(W / (85.6 / 54))
        img = Image.new("RGB", (W, H), tuple(int(r.u(10, 90)) for _ in range(3)))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle([W * 0.1, H * 0.3, W * 0.22, H * 0.48], radius=8, fill=(200, 170, 90))
        digits = " ".join("%04d" % r.i(0, 9999) for _ in range(4))
        d.text((W * 0.08, H * 0.68), digits, font=font(NIK_FACES[0][0], int(H * 0.08)),
               fill=(235, 235, 235), anchor="ls")
        d.text((W * 0.08, H * 0.85), " ".join(r.pick(MALE + FEMALE).split()[-1:] +
                                              [r.pick(SURNAMES)]),
               font=font(reg_path, int(H * 0.05)), fill=(235, 235, 235), anchor="ls")
        d.text((W * 0.92, H * 0.15), "BANK CONTOH", font=font(bold_path, int(H * 0.07)),
               fill=(240, 240, 240), anchor="rs")
        return img.convert("RGBA"), kind
    if kind == "receipt":
        W, H = 560, r.i(1000, 1300)
        img = Image.new("RGB", (W, H), (248, 248, 244))
        d = ImageDraw.Draw(img)
        mono = font(DJ + "DejaVuSansMono.ttf", 20)
        y = 60
        d.text((W / 2, y), "TOKO SERBA ADA", font=mono, fill=(20, 20, 20), anchor="ms")
        y += 50
        total = 0
        while y < H - 120:
            price = r.i(1, 90) * 500
            total += price
            d.text((30, y), r.pick(WORDS).upper()[:14], font=mono, fill=(30, 30, 30), anchor="ls")
            d.text((W - 30, y), "{:,}".format(price).replace(",", "."), font=mono,
                   fill=(30, 30, 30), anchor="rs")
            y += 30
        d.text((30, y + 30), "TOTAL", font=mono, fill=(10, 10, 10), anchor="ls")
        d.text((W - 30, y + 30), "{:,}".format(total).replace(",", "."), font=mono,
               fill=(10, 10, 10), anchor="rs")
        return img.convert("RGBA"), kind
    # scene: a picture with no document at all (blobs, a horizon, shapes).
    W, H = 1280, 960
    yy, xx = grid(H, W)
    sky = np.array([r.u(90, 200), r.u(120, 210), r.u(160, 250)], np.float32)
    ground = np.array([r.u(40, 120), r.u(70, 150), r.u(20, 80)], np.float32)
    horizon = H * r.u(0.35, 0.65)
    t = np.clip((yy - horizon) / 40 + 0.5, 0, 1)[..., None]
    arr = np.broadcast_to(sky * (1 - t) + ground * t, (H, W, 3))
    img = Image.fromarray(np.ascontiguousarray(arr).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(r.i(4, 9)):
        x, y, s = r.u(0, W), r.u(0, H), r.u(40, 260)
        c = tuple(int(r.u(0, 255)) for _ in range(3))
        if r.chance(0.5):
            d.ellipse([x, y, x + s, y + s * r.u(0.5, 1.5)], fill=c)
        else:
            d.rectangle([x, y, x + s, y + s * r.u(0.3, 1.2)], fill=c)
    return img.convert("RGBA"), "scene"


# ---------------------------------------------------------------------------
# Photographing: placement on a surface, optics, light, sensor, encoding.
def homography(src, dst):
    """Coefficients mapping dst points to src points (PIL PERSPECTIVE)."""
    a = []
    b = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(a, float), np.array(b, float)).tolist()


def surface(r, w, h):
    kind = r.weighted(["fabric", "tiles", "paper", "dark", "wood2"], [3, 2, 1.5, 2, 2])
    yy, xx = grid(h, w)
    if kind == "paper":
        base = np.array([r.u(215, 245)] * 3, np.float32) * np.array([1, r.u(0.97, 1), r.u(0.92, 1)])
    elif kind == "dark":
        base = np.array([r.u(15, 60), r.u(15, 60), r.u(20, 70)], np.float32)
    elif kind == "wood2":
        base = np.array([r.u(120, 175), r.u(80, 120), r.u(45, 75)], np.float32)
    else:
        base = np.array([r.u(40, 200), r.u(40, 200), r.u(40, 200)], np.float32)
    arr = np.broadcast_to(base, (h, w, 3)).copy()
    if kind == "tiles":
        s = r.u(60, 160)
        grout = ((xx % s) < 4) | ((yy % s) < 4)
        arr[grout] *= 0.7
    elif kind == "wood2":
        arr *= (1 + 0.08 * np.sin(xx / r.u(3, 9) + 3 * np.sin(yy / r.u(60, 140))))[..., None]
    elif kind == "fabric":
        arr *= (1 + 0.05 * np.sin(xx * 1.7) * np.sin(yy * 1.9))[..., None]
    coarse = Image.fromarray((r.g.random((6, 8)) * 255).astype(np.uint8), "L").resize(
        (w, h), Image.BICUBIC)
    arr *= (0.85 + 0.3 * np.asarray(coarse, np.float32) / 255.0)[..., None]
    return arr, kind


def motion_blur(arr, length, angle):
    if length < 1.5:
        return arr
    n = int(round(length))
    dx, dy = math.cos(angle), math.sin(angle)
    acc = np.zeros_like(arr)
    for k in range(n):
        t = k - (n - 1) / 2
        acc += np.roll(arr, (int(round(t * dy)), int(round(t * dx))), axis=(0, 1))
    return acc / n


def gaussian(arr, sigma):
    if sigma < 0.05:
        return arr
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    return np.asarray(im.filter(ImageFilter.GaussianBlur(sigma)), np.float32)


def photograph(r, doc, spec):
    """Places `doc` (RGBA) in a photo per `spec`; returns (uint8 RGB array, params)."""
    dw, dh = doc.size
    scale = spec.get("scale", 1.0)
    sw, sh = dw * scale, dh * scale
    th = math.radians(spec.get("tilt", 0.0))
    c, s = math.cos(th), math.sin(th)
    p = spec.get("perspective", 0.0)
    quad = []
    for (x, y) in [(-sw / 2, -sh / 2), (sw / 2, -sh / 2), (sw / 2, sh / 2), (-sw / 2, sh / 2)]:
        x += r.u(-1, 1) * p * sw
        y += r.u(-1, 1) * p * sw
        quad.append((c * x - s * y, s * x + c * y))
    xs = [q[0] for q in quad]
    ys = [q[1] for q in quad]
    bw, bh = max(xs) - min(xs), max(ys) - min(ys)
    full = spec.get("full_frame", False)
    if full:
        margin = spec.get("page_margin", 0.0)
        cw, ch = int(bw * (1 + 2 * margin)), int(bh * (1 + 2 * margin))
        tx, ty = cw / 2, ch / 2
    else:
        f = spec.get("canvas", r.u(1.2, 1.5))
        m = 0.025 * max(bw, bh)
        cw = int(max(bw * f, bw + 2 * m + 10))
        ch = int(max(cw * r.u(0.7, 0.8), bh + 2 * m + 10))
        tx = r.u(m - min(xs), cw - m - max(xs))
        ty = r.u(m - min(ys), ch - m - max(ys))
        crop = spec.get("crop")
        if crop:
            for side, frac in crop:
                cut = frac * (sw if side in (0, 1) else sh)
                if side == 0:
                    tx = -cut - min(xs)
                elif side == 1:
                    tx = cw + cut - max(xs)
                elif side == 2:
                    ty = -cut - min(ys)
                else:
                    ty = ch + cut - max(ys)
    quad = [(x + tx, y + ty) for x, y in quad]
    coeffs = homography([(0, 0), (dw, 0), (dw, dh), (0, dh)], quad)
    warped = doc.transform((cw, ch), Image.PERSPECTIVE, coeffs, Image.BICUBIC)
    wa = np.asarray(warped, np.float32)
    alpha = wa[..., 3:4] / 255.0
    if full:
        bg = np.full((ch, cw, 3), spec.get("page_white", 245.0), np.float32)
        bg_kind = "page"
    else:
        bg, bg_kind = surface(r, cw, ch)
    arr = bg * (1 - alpha) + wa[..., :3] * alpha
    yy, xx = grid(ch, cw)

    if spec.get("copy"):
        cp = spec["copy"]
        g = arr @ np.array([0.299, 0.587, 0.114], np.float32)
        g = (g - 128) * cp["contrast"] + cp["level"]
        g = np.clip(g, 0, 255)
        toner = normal(r, cp["toner"], g.shape)
        g = g + toner
        speck = r.g.random(g.shape) < cp["specks"]
        g[speck] = r.u(20, 80)
        arr = np.repeat(g[..., None], 3, axis=2)
        if cp.get("tint"):
            arr *= np.array(cp["tint"], np.float32)
    # Light: uneven field (gradient + vignette), global brightness, gamma, cast.
    light = spec.get("uneven", 0.0)
    if light > 0:
        a = r.u(0, 2 * math.pi)
        grad = ((xx / cw - 0.5) * math.cos(a) + (yy / ch - 0.5) * math.sin(a))
        vig = ((xx / cw - 0.5) ** 2 + (yy / ch - 0.5) ** 2)
        field = 1 + light * (grad * 1.4 - vig * r.u(0, 1.2))
        arr *= field[..., None]
    arr = arr * spec.get("brightness", 1.0) + spec.get("lift", 0.0)
    gamma = spec.get("gamma", 1.0)
    if abs(gamma - 1.0) > 1e-3:
        arr = 255.0 * (np.clip(arr, 0, 255) / 255.0) ** gamma
    cast = spec.get("cast")
    if cast:
        arr *= np.array(cast, np.float32)
    for (fu, fv, cov, strength, elong, ang) in spec.get("flashes", []):
        # A specular hot spot on the card: saturated core, soft halo.
        # Where (fu, fv) of the card lands: bilinear in the quad (close enough).
        q0, q1, q2, q3 = quad
        cx = (1 - fu) * (1 - fv) * q0[0] + fu * (1 - fv) * q1[0] + fu * fv * q2[0] + (1 - fu) * fv * q3[0]
        cy = (1 - fu) * (1 - fv) * q0[1] + fu * (1 - fv) * q1[1] + fu * fv * q2[1] + (1 - fu) * fv * q3[1]
        rad = math.sqrt(cov * sw * sh / math.pi)
        dxr = (xx - cx) * math.cos(ang) + (yy - cy) * math.sin(ang)
        dyr = -(xx - cx) * math.sin(ang) + (yy - cy) * math.cos(ang)
        dist = np.hypot(dxr / math.sqrt(elong), dyr * math.sqrt(elong)) / rad
        m = np.clip(strength * np.exp(-0.5 * (dist / 0.8) ** 2), 0, 1) + 0.3 * np.exp(-0.5 * (dist / 2.2) ** 2)
        m = np.clip(m, 0, 1)[..., None]
        arr = arr * (1 - m) + np.array([255, 253, 248], np.float32) * m
    moire = spec.get("moire", 0.0)
    if moire > 0:
        a1, a2 = r.u(0, math.pi), r.u(0, math.pi)
        p1 = r.u(2.2, 4.0)
        p2 = p1 * r.u(1.02, 1.08)
        a2 = a1 + r.u(0.02, 0.08)
        ph = [r.u(0, 6.28) for _ in range(3)]
        for ch_i in range(3):
            pat = np.sin(2 * math.pi * (xx * math.cos(a1) + yy * math.sin(a1)) / p1 + ph[ch_i]) * \
                np.sin(2 * math.pi * (xx * math.cos(a2) + yy * math.sin(a2)) / p2)
            arr[..., ch_i] *= 1 + moire * pat
    if spec.get("gauss", 0) > 0:
        arr = gaussian(arr, spec["gauss"] * scale)
    if spec.get("motion", 0) > 0:
        arr = motion_blur(arr, spec["motion"] * scale, spec.get("motion_angle", 0.0))
    noise = spec.get("noise", 0.0)
    if noise > 0:
        arr = arr + normal(r, noise, arr.shape)
    out = np.clip(arr, 0, 255).astype(np.uint8)
    turns = spec.get("quarter_turns", 0)
    if turns:
        out = np.ascontiguousarray(np.rot90(out, k=-turns))  # clockwise
    params = {k: v for k, v in spec.items() if k not in ("copy", "flashes")}
    if spec.get("copy"):
        params["copy"] = spec["copy"]
    if spec.get("flashes"):
        params["flashes"] = [{"centre": [round(f[0], 3), round(f[1], 3)], "coverage": round(f[2], 4),
                              "strength": round(f[3], 2)} for f in spec["flashes"]]
    params["background"] = bg_kind
    params["image_size"] = [int(out.shape[1]), int(out.shape[0])]
    params["card_quad"] = [[round(x, 1), round(y, 1)] for x, y in quad]
    return out, params


def base_spec(r, level):
    if level == "clean":
        return {"scale": r.u(0.95, 1.25), "tilt": r.u(-1, 1), "perspective": r.u(0, 0.008),
                "uneven": r.u(0, 0.08), "brightness": r.u(0.95, 1.05), "noise": r.u(0, 1.5),
                "jpeg": 0 if r.chance(0.4) else r.i(88, 95)}
    spec = {"scale": r.u(0.85, 1.3), "tilt": r.u(-5, 5), "perspective": r.u(0, 0.04),
            "uneven": r.u(0.1, 0.3), "brightness": r.u(0.8, 1.2), "noise": r.u(0.5, 4),
            "cast": [r.u(0.93, 1.07), r.u(0.95, 1.05), r.u(0.93, 1.07)], "jpeg": r.i(50, 70)}
    if r.chance(0.5):
        spec["motion"] = r.u(1.5, 4.5)
        spec["motion_angle"] = r.u(0, math.pi)
    else:
        spec["gauss"] = r.u(0, 0.9)
    if r.chance(0.3):
        spec["moire"] = r.u(0.03, 0.08)
    return spec


def flag_base_spec(r):
    """The base photo for the quality-flag set: ordinary, readable."""
    return {"scale": r.u(0.9, 1.25), "tilt": r.u(-2.5, 2.5), "perspective": r.u(0, 0.02),
            "uneven": r.u(0, 0.15), "brightness": r.u(0.9, 1.1), "noise": r.u(0.5, 2.5),
            "jpeg": r.i(72, 92)}


def apply_defect(r, spec, defect):
    """Adds one defect at a strength drawn from a wide range; returns a short description."""
    if defect == "blurred":
        spec.pop("gauss", None)
        spec.pop("motion", None)
        if r.chance(0.5):
            spec["gauss"] = r.u(2.2, 5.0)
            return "gauss %.1f" % spec["gauss"]
        spec["motion"] = r.u(10, 28)
        spec["motion_angle"] = r.u(0, math.pi)
        return "motion %.0f px" % spec["motion"]
    if defect == "dark":
        spec["brightness"] = r.u(0.18, 0.42)
        spec["gamma"] = r.u(1.0, 1.5)
        spec["noise"] = max(spec.get("noise", 0), r.u(2, 7))
        return "brightness %.2f gamma %.2f" % (spec["brightness"], spec["gamma"])
    if defect == "bright":
        spec["brightness"] = r.u(1.45, 2.1)
        spec["lift"] = r.u(30, 100)
        spec["gamma"] = r.u(0.6, 1.0)
        return "brightness %.2f lift %.0f" % (spec["brightness"], spec["lift"])
    if defect == "rotated":
        if r.chance(0.6):
            spec["quarter_turns"] = r.pick([1, 2, 3])
            spec["tilt"] = r.u(-3, 3)
            return "%d deg" % (90 * spec["quarter_turns"])
        spec["tilt"] = r.sign() * r.u(15, 45)
        return "tilt %.0f deg" % spec["tilt"]
    if defect == "cropped":
        if r.chance(0.75):
            spec["crop"] = [(r.i(0, 3), r.u(0.08, 0.3))]
        else:
            spec["crop"] = [(r.i(0, 1), r.u(0.06, 0.2)), (r.i(2, 3), r.u(0.06, 0.2))]
        return "cut %s" % ",".join("%d:%.2f" % c for c in spec["crop"])
    if defect == "copy":
        spec["copy"] = {"contrast": r.u(1.3, 2.2), "level": r.u(150, 185), "toner": r.u(3, 12),
                        "specks": r.u(0, 0.004)}
        if r.chance(0.3):
            spec["copy"]["tint"] = [1.0, r.u(0.97, 1.0), r.u(0.9, 0.97)]
        if r.chance(0.6):  # a scanned copy: the page fills the frame
            spec["full_frame"] = True
            spec["page_margin"] = r.u(0.05, 0.35)
            spec["page_white"] = r.u(225, 250)
            spec["tilt"] = r.u(-2, 2)
        spec.pop("cast", None)
        return "copy contrast %.2f" % spec["copy"]["contrast"]
    if defect == "flash":
        spec["flashes"] = [(r.u(0.15, 0.7), r.u(0.2, 0.8), r.u(0.02, 0.12), r.u(1.3, 2.2),
                            r.u(1, 2.2), r.u(0, math.pi)) for _ in range(r.weighted([1, 2], [0.7, 0.3]))]
        return "flash %.3f" % sum(f[2] for f in spec["flashes"])
    raise ValueError(defect)


CLASH = {("dark", "bright"), ("copy", "flash"), ("copy", "dark"), ("copy", "bright")}


def pick_defects(r):
    n = 1 if r.chance(0.6) else 2
    out = []
    while len(out) < n:
        d = r.pick(DEFECTS)
        if d in out or any((d, o) in CLASH or (o, d) in CLASH for o in out):
            continue
        out.append(d)
    return sorted(out)


# ---------------------------------------------------------------------------
SALT = {"clean": 11, "moderate": 12, "hard": 13, "flags": 14, "non_ktp": 15}


def encode(arr, quality):
    buf = io.BytesIO()
    im = Image.fromarray(arr, "RGB")
    if quality == 0:
        im.save(buf, format="PNG", optimize=False)
        return buf.getvalue(), "png", "image/png"
    im.save(buf, format="JPEG", quality=int(quality), subsampling=2 if quality < 90 else 0)
    return buf.getvalue(), "jpg", "image/jpeg"


def qualities(is_ktp, defects):
    q = {n: False for n in QUALITY_NAMES}
    for d in defects:
        q[d] = True
    q["ktp"] = is_ktp
    return q


def make_card_item(seed, regions, group, index, defect=None):
    r = Rng(seed, SALT[group], index)
    for _ in range(100):
        idn, extra = make_identity(r, regions)
        rendered = render_card(r, idn, extra)
        if rendered is not None:
            break
    else:
        raise RuntimeError("no identity fits the card")
    card, render_params = rendered
    if group == "flags":
        spec = flag_base_spec(r)
        defects = [defect]
    else:
        spec = base_spec(r, group)
        defects = pick_defects(r) if group == "hard" else []
    strength = [apply_defect(r, spec, d) for d in defects]
    arr, photo = photograph(r, card, spec)
    data, ext, mime = encode(arr, spec.get("jpeg", 0))
    name = "%s-%04d.%s" % (group if defect is None else "flags-" + defect, index, ext)
    item = {"image": name, "set": group, "index": index, "mime_type": mime, "is_ktp": True,
            "document": "ktp", "fields": {k: idn[k] for k in FIELD_NAMES},
            "issue_place": extra["issue_place"], "issue_date": extra["issue_date"],
            "qualities": qualities(True, defects), "defects": defects, "strength": strength,
            "render": render_params, "photo": photo}
    return name, data, item


def make_other_item(seed, index):
    r = Rng(seed, SALT["non_ktp"], index)
    doc, kind = render_other(r)
    spec = base_spec(r, "moderate")
    if kind == "scene":
        spec.update({"full_frame": True, "tilt": 0, "perspective": 0, "scale": 1.0})
    elif kind in ("page", "receipt"):
        spec["scale"] = r.u(0.7, 1.0)
    arr, photo = photograph(r, doc, spec)
    data, ext, mime = encode(arr, spec.get("jpeg", 0))
    name = "non_ktp-%04d.%s" % (index, ext)
    item = {"image": name, "set": "non_ktp", "index": index, "mime_type": mime, "is_ktp": False,
            "document": kind, "fields": {}, "qualities": qualities(False, []), "defects": [],
            "strength": [], "photo": photo}
    return name, data, item


def self_check(regions):
    """Two small runs give identical bytes, and every NIK agrees with its card."""
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        args = ["--per-level", "2", "--flags", "1", "--non-ktp", "3", "--quiet", "--seed", "99"]
        main(["--out", os.path.join(t, "a")] + args)
        main(["--out", os.path.join(t, "b")] + args)
        names = sorted(os.listdir(os.path.join(t, "a")))
        if names != sorted(os.listdir(os.path.join(t, "b"))):
            raise SystemExit("self-check: the two runs wrote different files")
        for n in names:
            with open(os.path.join(t, "a", n), "rb") as fa, open(os.path.join(t, "b", n), "rb") as fb:
                if fa.read() != fb.read():
                    raise SystemExit("self-check: %s differs between two runs of one seed" % n)
        with open(os.path.join(t, "a", "manifest.json"), encoding="utf-8") as f:
            items = json.load(f)["items"]
    for it in items:
        if not it["is_ktp"]:
            continue
        f = it["fields"]
        nik = f["nik"]
        dd, mm, yyyy = f["birth_date"].split("-")
        code = "%s.%s.%s" % (nik[0:2], nik[2:4], nik[4:6])
        day = int(nik[6:8]) - (40 if f["sex"] == "PEREMPUAN" else 0)
        ok = (len(nik) == 16 and nik.isdigit() and code in regions.names
              and regions.ktp_name(code) == f["district"]
              and regions.ktp_name(code[:5]) == f["city_regency"]
              and regions.ktp_name(code[:2]) == f["province"]
              and day == int(dd) and nik[8:10] == mm and nik[10:12] == yyyy[2:]
              and sorted(f) == sorted(FIELD_NAMES))
        if not ok:
            raise SystemExit("self-check: %s: NIK %s disagrees with its card" % (it["image"], nik))
    print("make_corpus self-check: %d items, deterministic, NIKs consistent" % len(items))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--self-check", action="store_true",
                    help="generate a small set twice; check determinism and NIK consistency")
    ap.add_argument("--seed", type=int, default=1313)
    ap.add_argument("--per-level", type=int, default=None, help="clean = moderate = hard = N")
    ap.add_argument("--clean", type=int, default=100)
    ap.add_argument("--moderate", type=int, default=100)
    ap.add_argument("--hard", type=int, default=100)
    ap.add_argument("--non-ktp", type=int, default=30)
    ap.add_argument("--flags", type=int, default=12, help="images per quality flag (7 kinds)")
    ap.add_argument("--wilayah", default=DEFAULT_WILAYAH)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.per_level is not None:
        a.clean = a.moderate = a.hard = a.per_level
    check_fonts()
    regions = Regions(a.wilayah)
    if a.self_check:
        return self_check(regions)
    if not a.out:
        ap.error("--out is required")
    os.makedirs(a.out, exist_ok=True)
    items = []
    jobs = []
    for group, n in (("clean", a.clean), ("moderate", a.moderate), ("hard", a.hard)):
        jobs += [(lambda g=group, i=i: make_card_item(a.seed, regions, g, i)) for i in range(n)]
    for k, d in enumerate(DEFECTS):
        jobs += [(lambda d=d, i=i: make_card_item(a.seed, regions, "flags", i, d))
                 for i in range(k * a.flags, (k + 1) * a.flags)]
    jobs += [(lambda i=i: make_other_item(a.seed, i)) for i in range(a.non_ktp)]
    for n, job in enumerate(jobs):
        name, data, item = job()
        with open(os.path.join(a.out, name), "wb") as f:
            f.write(data)
        items.append(item)
        if not a.quiet and (n + 1) % 50 == 0:
            sys.stderr.write("make_corpus: %d/%d\n" % (n + 1, len(jobs)))
    manifest = {"generator": GENERATOR, "seed": a.seed,
                "counts": {"clean": a.clean, "moderate": a.moderate, "hard": a.hard,
                           "flags_per_kind": a.flags, "non_ktp": a.non_ktp},
                "field_names": FIELD_NAMES, "items": items}
    tmp = os.path.join(a.out, "manifest.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, os.path.join(a.out, "manifest.json"))
    if not a.quiet:
        sys.stderr.write("make_corpus: wrote %d images and manifest.json to %s\n"
                         % (len(items), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
