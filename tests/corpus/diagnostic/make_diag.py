#!/usr/bin/python3
"""ktp-diag: the DIAGNOSTIC corpus of synthetic KTP-like phone photos.

A third renderer, sharing no code with ktp-synth (synth/, C++) nor with the
held-out independent corpus (tests/corpus/independent/). Its only inputs are
the region table data/wilayah/*.tsv and installed Debian fonts. Every identity
is invented; every card carries a small "SPESIMEN - FIKTIF" mark.

Writes DIR/manifest.json in the manifest schema of the independent corpus
(README.md beside this file) plus one image per item. Same arguments, same
bytes. Debian python3 with python3-pil and python3-numpy only.
"""
import argparse
import io
import json
import math
import os
import random
import re
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

GENERATOR = "ktp-diag 1"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
WILAYAH = os.path.join(ROOT, "data", "wilayah")

FIELD_NAMES = ["nik", "name", "birth_place", "birth_date", "sex", "blood_type", "address", "rt_rw",
               "village", "district", "religion", "marital_status", "occupation", "nationality",
               "valid_until", "province", "city_regency"]
QUALITY_NAMES = ["blurred", "bright", "copy", "cropped", "dark", "flash", "ktp", "rotated", "taken_from_screen"]
DEFECTS = ["blurred", "dark", "bright", "rotated", "cropped", "copy", "flash"]
NON_KTP_KINDS = ["letter", "receipt", "member_card", "bank_card", "scene"]

# ---------------------------------------------------------------- fonts
FONT_DIR = "/usr/share/fonts/truetype"
# (name, regular, bold, weight): Debian fonts-liberation, fonts-roboto-unhinted,
# fonts-open-sans, fonts-crosextra-carlito, fonts-freefont-ttf, fonts-dejavu-core/-extra.
FACES = [
    ("LiberationSansNarrow", "liberation/LiberationSansNarrow-Regular.ttf", "liberation/LiberationSansNarrow-Bold.ttf", 3),
    ("RobotoCondensed", "roboto/unhinted/RobotoCondensed-Regular.ttf", "roboto/unhinted/RobotoCondensed-Bold.ttf", 3),
    ("DejaVuSansCondensed", "dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Bold.ttf", 2),
    ("FreeSans", "freefont/FreeSans.ttf", "freefont/FreeSansBold.ttf", 2),
    ("LiberationSans", "liberation/LiberationSans-Regular.ttf", "liberation/LiberationSans-Bold.ttf", 2),
    ("Roboto", "roboto/unhinted/RobotoTTF/Roboto-Regular.ttf", "roboto/unhinted/RobotoTTF/Roboto-Bold.ttf", 1),
    ("OpenSans", "open-sans/OpenSans-Regular.ttf", "open-sans/OpenSans-Bold.ttf", 1),
    ("Carlito", "crosextra/Carlito-Regular.ttf", "crosextra/Carlito-Bold.ttf", 2),
]
# --faces wide: the wide grotesques and a narrow one (Debian fonts-urw-base35,
# fonts-dejavu-core, fonts-freefont-ttf), whose bold digits and colon Tesseract
# reads less well than the faces above; the NIK misses they show are where the
# reader was tuned next.
URW = "/usr/share/fonts/opentype/urw-base35/"
WIDE_FACES = [
    ("NimbusSans", URW + "NimbusSans-Regular.otf", URW + "NimbusSans-Bold.otf", 2),
    ("NimbusSansNarrow", URW + "NimbusSansNarrow-Regular.otf", URW + "NimbusSansNarrow-Bold.otf", 2),
    ("DejaVuSans", "dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf", 2),
    ("FreeSans", "freefont/FreeSans.ttf", "freefont/FreeSansBold.ttf", 1),
]
MONO = ("DejaVuSansMono", "dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf")
VARIANTS = False  # --layout variants
TIGHT_NIK = False  # --nik tight
_font_cache = {}


def font(rel, size):
    key = (rel, int(size))
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(os.path.join(FONT_DIR, rel), max(6, int(size)))
    return _font_cache[key]


# ---------------------------------------------------------------- regions
PLAIN = re.compile(r"^[A-Za-z][A-Za-z '\-]*$")


def ktp_name(name, level):
    up = name.strip().upper()
    if level == 1 and up == "DAERAH KHUSUS IBUKOTA JAKARTA":
        return "DKI JAKARTA"
    if level == 1 and up == "DAERAH ISTIMEWA YOGYAKARTA":
        return "DI YOGYAKARTA"
    if level == 2:
        for prefix in ("KABUPATEN ADMINISTRASI ", "KOTA ADMINISTRASI ", "KABUPATEN ", "KOTA "):
            if up.startswith(prefix):
                return up[len(prefix):]
    return up


class Regions:
    def __init__(self):
        self.names = {}
        with open(os.path.join(WILAYAH, "regions.tsv"), encoding="utf-8") as f:
            for line in f:
                if "\t" not in line:
                    continue
                code, name = line.rstrip("\n").split("\t", 1)
                self.names[code.strip()] = name.strip()
        villages = {}
        with open(os.path.join(WILAYAH, "villages.tsv"), encoding="utf-8") as f:
            for line in f:
                if "\t" not in line:
                    continue
                code, name = line.rstrip("\n").split("\t", 1)
                name = name.strip()
                if PLAIN.match(name):
                    villages.setdefault(code.strip()[:8], []).append(name.upper())
        self.villages = villages
        self.districts = []
        for code, name in self.names.items():
            if code.count(".") != 2 or code not in villages or not PLAIN.match(name):
                continue
            prov, city = self.names.get(code[:2]), self.names.get(code[:5])
            if prov is None or city is None:
                continue
            if not PLAIN.match(ktp_name(prov, 1)) or not PLAIN.match(ktp_name(city, 2)):
                continue
            self.districts.append(code)
        self.districts.sort()
        self.cities = sorted(c for c, n in self.names.items()
                             if c.count(".") == 1 and PLAIN.match(ktp_name(n, 2)))

    def describe(self, dcode):
        return {"province": ktp_name(self.names[dcode[:2]], 1),
                "city_regency": ktp_name(self.names[dcode[:5]], 2),
                "district": ktp_name(self.names[dcode], 3),
                "is_city": dcode[3] >= "7"}


# ---------------------------------------------------------------- identities (own word lists)
MALE = ["ADITYA", "AGUNG", "AHMAD", "ARDI", "ARIEF", "BAGAS", "BAMBANG", "BAYU", "BUDIMAN", "CAHYO", "DANANG",
        "DENI", "DODI", "EKO", "FAHMI", "FAJAR", "GALIH", "GUNAWAN", "HARIS", "HENDRA", "IKHSAN", "IMAM", "JAJANG",
        "JOKO", "KOMARUDIN", "LUTFI", "MUHAMAD", "MUKHLIS", "NANDANG", "OKI", "PRIYO", "RAHMAT", "RENDI", "RIDWAN",
        "SLAMET", "SUPRIADI", "TAUFIK", "TEGUH", "UJANG", "WAHYU", "YOGA", "YUDI", "ZULKIFLI", "ROMLI", "ASEP"]
FEMALE = ["AGUSTINA", "AMALIA", "ANISA", "AYU", "CITRA", "DESI", "DEWI", "ELIS", "ENDAH", "FITRIANI", "HANI",
          "INDAH", "IIS", "KARTINI", "LINDA", "MARLINA", "MAYA", "NENG", "NOVITA", "NURUL", "PUJI", "RATIH",
          "RINA", "ROSMAWATI", "SARI", "SITI", "SRI", "TITIN", "UMI", "WIDYA", "YANTI", "YULIA", "ZAHRA"]
SECOND = ["SANTOSO", "PRATAMA", "WIBISONO", "SAPUTRA", "HIDAYAT", "KUSNADI", "NUGRAHA", "PURWANTO", "SETIAWAN",
          "HARAHAP", "SIREGAR", "SINAGA", "LUBIS", "TAMBUNAN", "RAMADHAN", "FIRDAUS", "MAULANA", "SUHENDAR",
          "WIDODO", "SUDRAJAT", "RAHAYU", "NINGSIH", "ANGGRAENI", "LESTARI", "SUSANTI", "PERMANA", "KURNIAWAN",
          "SYAHPUTRA", "NURHAYATI", "MARYANI", "SUPRIYATNA", "HAMDANI", "MUNAWAR", "PANGARIBUAN"]
APOSTROPHE = ["MA'RUF", "NU'MAN", "SYAFI'I", "RO'UF"]
STREET_PREFIX = ["JL.", "JL.", "JLN.", "GG.", "KP.", "DSN.", "LINGK.", "KOMP."]
STREET = ["MAWAR", "MELATI", "KENANGA", "ANGGREK", "CEMPAKA", "FLAMBOYAN", "BERINGIN", "CENDANA", "SUKAMAJU",
          "SUKARAME", "CIPTA KARYA", "MEKAR SARI", "KEBON KOPI", "RAYA TIMUR", "PASAR LAMA", "SIMPANG TIGA",
          "TANJUNG SARI", "KELAPA DUA", "BUKIT INDAH", "KAMPUNG BARU", "NUSA INDAH", "SETIA BUDI", "PELITA",
          "KRAJAN", "TEGAL REJO", "SIDOMULYO", "KARANG ANYAR", "PADASUKA", "MUARA", "KALI BESAR"]
ESTATE = ["PERUM GRIYA ASRI", "PERUM BUMI INDAH", "PERUMAHAN TAMAN SARI", "KOMPLEK PURI MAS", "PERUM CITRA LESTARI",
          "PERUMAHAN BUKIT HIJAU PERMAI", "GRIYA PESONA ALAM"]
RELIGIONS = [("ISLAM", 80), ("KRISTEN", 8), ("KATOLIK", 4), ("HINDU", 4), ("BUDDHA", 3), ("KONGHUCU", 1)]
MARITAL = [("BELUM KAWIN", 35), ("KAWIN", 55), ("CERAI HIDUP", 5), ("CERAI MATI", 5)]
JOBS = ["PELAJAR/MAHASISWA", "KARYAWAN SWASTA", "WIRASWASTA", "MENGURUS RUMAH TANGGA", "PEGAWAI NEGERI SIPIL",
        "PETANI/PEKEBUN", "BURUH HARIAN LEPAS", "PEDAGANG", "GURU", "NELAYAN/PERIKANAN", "BELUM/TIDAK BEKERJA",
        "PERANGKAT DESA", "SOPIR", "PERAWAT", "KARYAWAN BUMN", "TUKANG BATU", "PENSIUNAN", "BIDAN"]
BLOOD = [("-", 45), ("O", 20), ("A", 14), ("B", 15), ("AB", 6)]


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def make_identity(rng, regions):
    dcode = rng.choice(regions.districts)
    reg = regions.describe(dcode)
    female = rng.random() < 0.5
    year = rng.randint(1950, 2007)
    month = rng.randint(1, 12)
    mdays = [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    day = rng.randint(1, mdays)
    if rng.random() < 0.05:
        words = ["NI " + rng.choice(["LUH", "MADE", "KADEK", "NYOMAN"]) if female else
                 "I " + rng.choice(["WAYAN", "MADE", "KETUT", "NYOMAN"]), rng.choice(FEMALE if female else MALE)]
    else:
        words = [rng.choice(FEMALE if female else MALE)]
        n = weighted(rng, [(0, 20), (1, 55), (2, 25)])
        for _ in range(n):
            words.append(rng.choice(SECOND + (APOSTROPHE if rng.random() < 0.06 else [])))
    name = " ".join(words)
    # Address: short, ordinary or long (long ones often wrap on the card).
    kind = rng.random()
    if kind < 0.25:
        address = "%s %s" % (rng.choice(STREET_PREFIX), rng.choice(STREET))
    elif kind < 0.8:
        address = "%s %s NO. %d%s" % (rng.choice(["JL.", "JL.", "GG.", "JLN."]), rng.choice(STREET),
                                      rng.randint(1, 180), rng.choice(["", "", "", "A", "B"]))
    else:
        address = "%s BLOK %s%d NO. %d %s %s" % (rng.choice(ESTATE), rng.choice("ABCDEFGH"), rng.randint(1, 12),
                                                 rng.randint(1, 40), rng.choice(["JL.", "JLN."]), rng.choice(STREET))
    villages = regions.villages[dcode]
    village = villages[rng.randrange(len(villages))]
    city_codes = regions.cities
    bcode = dcode[:5] if rng.random() < 0.6 else rng.choice(city_codes)
    birth_place = ktp_name(regions.names[bcode], 2)
    issue_year = rng.randint(max(year + 17, 2011), 2025)
    issue = (rng.randint(1, 28), rng.randint(1, 12), issue_year)
    if issue_year >= 2016 or rng.random() < 0.5:
        valid = "SEUMUR HIDUP"
    else:
        valid = "%02d-%02d-%04d" % (day if not (day == 29 and month == 2) else 28, month, issue_year + 5)
    serial = rng.randint(1, 2999) if rng.random() < 0.9 else rng.randint(1, 9999)
    nik = "%s%02d%02d%02d%04d" % (dcode.replace(".", ""), day + (40 if female else 0), month, year % 100, serial)
    age = 2025 - year
    occupation = "PELAJAR/MAHASISWA" if age < 22 and rng.random() < 0.7 else rng.choice(JOBS)
    marital = "BELUM KAWIN" if age < 20 else weighted(rng, MARITAL)
    fields = {
        "nik": nik, "name": name, "birth_place": birth_place,
        "birth_date": "%02d-%02d-%04d" % (day, month, year), "sex": "PEREMPUAN" if female else "LAKI-LAKI",
        "blood_type": weighted(rng, BLOOD), "address": address,
        "rt_rw": "%03d/%03d" % (rng.randint(1, 25), rng.randint(1, 15)),
        "village": village, "district": reg["district"], "religion": weighted(rng, RELIGIONS),
        "marital_status": marital, "occupation": occupation, "nationality": "WNI", "valid_until": valid,
        "province": reg["province"], "city_regency": reg["city_regency"],
    }
    issue_place = reg["city_regency"]
    return fields, issue_place, "%02d-%02d-%04d" % issue, reg["is_city"]


# ---------------------------------------------------------------- card rendering
def text_width(text, fnt, tracking):
    return fnt.getlength(text) + tracking * max(0, len(text) - 1)


def draw_text(draw, x, y, text, fnt, fill, tracking=0.0, anchor="ls"):
    """Baseline-anchored text at (x, y) with extra letter spacing `tracking` px."""
    if abs(tracking) < 0.05:
        draw.text((x, y), text, font=fnt, fill=fill, anchor=anchor)
        return fnt.getlength(text)
    pos = x
    for ch in text:
        draw.text((pos, y), ch, font=fnt, fill=fill, anchor=anchor)
        pos += fnt.getlength(ch) + tracking
    return pos - x


def smooth_noise(nrng, h, w, cell):
    """Low-frequency noise in [0, 1], from a coarse grid upsampled bicubically."""
    gh, gw = max(2, h // cell + 2), max(2, w // cell + 2)
    g = (nrng.random((gh, gw)) * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(g).resize((w, h), Image.BICUBIC), dtype=np.float32) / 255.0


def card_background(rng, nrng, w, h):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    top = np.array([rng.uniform(190, 212), rng.uniform(216, 232), rng.uniform(236, 250)], np.float32)
    bottom = np.array([rng.uniform(214, 232), rng.uniform(230, 242), rng.uniform(242, 252)], np.float32)
    t = (yy / h * rng.uniform(0.6, 1.0) + xx / w * rng.uniform(0.0, 0.4))[..., None]
    img = top * (1 - t) + bottom * t
    # guilloche: two or three families of wavy lines, plus a rosette
    pattern = np.zeros((h, w), np.float32)
    for _ in range(rng.randint(2, 3)):
        ang = rng.uniform(0, math.pi)
        u = xx * math.cos(ang) + yy * math.sin(ang)
        v = -xx * math.sin(ang) + yy * math.cos(ang)
        lam = rng.uniform(0.012, 0.025) * w
        amp = rng.uniform(0.5, 2.0)
        s = np.sin(2 * math.pi * u / lam + amp * np.sin(2 * math.pi * v / rng.uniform(0.1, 0.3) / w))
        pattern += np.clip(1 - np.abs(s) / 0.12, 0, 1)
    cx, cy = rng.uniform(0.3, 0.55) * w, rng.uniform(0.45, 0.65) * h
    r = np.hypot(xx - cx, yy - cy)
    th = np.arctan2(yy - cy, xx - cx)
    ros = np.sin(rng.randint(18, 36) * th + r / (0.008 * w)) * np.exp(-(r / (0.28 * w)) ** 2)
    pattern += np.clip(1 - np.abs(ros) / 0.15, 0, 1) * (r < 0.3 * w)
    tint = np.array([rng.uniform(-22, -10), rng.uniform(-14, -4), rng.uniform(-6, 4)], np.float32)
    img = img + pattern[..., None] * tint * rng.uniform(0.5, 0.9)
    img += (smooth_noise(nrng, h, w, 40)[..., None] - 0.5) * 10
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def portrait(rng, w, h):
    bg = (rng.randint(170, 215), rng.randint(20, 50), rng.randint(30, 60)) if rng.random() < 0.5 else \
        (rng.randint(25, 60), rng.randint(70, 110), rng.randint(160, 210))
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    skin = (rng.randint(150, 215), rng.randint(105, 160), rng.randint(75, 120))
    cloth = rng.choice([(25, 25, 30), (230, 230, 230), (40, 50, 90), (90, 30, 30)])
    d.ellipse([w * 0.08, h * 0.68, w * 0.92, h * 1.35], fill=cloth)
    d.rectangle([w * 0.4, h * 0.55, w * 0.6, h * 0.75], fill=skin)
    d.ellipse([w * 0.26, h * 0.18, w * 0.74, h * 0.66], fill=skin)
    hair = (rng.randint(10, 40),) * 3
    if rng.random() < 0.4:  # headscarf
        hair = rng.choice([(30, 30, 35), (200, 200, 205), (120, 40, 60), (40, 60, 110)])
        d.chord([w * 0.2, h * 0.1, w * 0.8, h * 0.8], 180, 360, fill=hair)
        d.rectangle([w * 0.2, h * 0.45, w * 0.3, h * 0.8], fill=hair)
        d.rectangle([w * 0.7, h * 0.45, w * 0.8, h * 0.8], fill=hair)
    else:
        d.chord([w * 0.24, h * 0.12, w * 0.76, h * 0.5], 180, 360, fill=hair)
    return im


def signature(rng, draw, x0, y0, w, h, ink):
    pts = []
    n = rng.randint(5, 9)
    for i in range(n * 6):
        t = i / (n * 6 - 1)
        pts.append((x0 + t * w + math.sin(t * n * math.pi + rng.random()) * w * 0.06,
                    y0 + h * (0.5 + 0.45 * math.sin(t * n * 2.1 + rng.uniform(0, 0.8)))))
    draw.line(pts, fill=ink, width=max(1, int(round(h * 0.06))), joint="curve")
    draw.line([(x0 + w * 0.1, y0 + h * 0.85), (x0 + w * 0.9, y0 + h * 0.7)], fill=ink, width=max(1, int(h * 0.04)))


def layout_variants(fields):
    """--layout variants: label case, colon placement, value case, pitch, columns and photo box
    drawn from their own generator, so the default cards keep their bytes."""
    v = random.Random("variants/" + fields["nik"])
    upper_labels = v.random() < 0.3
    title_values = v.random() < 0.3

    def title(t):
        if t is None or t in ("WNI", "WNA"):
            return t
        return " ".join(w if any(c.isdigit() for c in w) else w[:1] + w[1:].lower() for w in t.split(" "))

    return {
        "label": (lambda t: t.upper()) if upper_labels else (lambda t: t),
        "value": title if title_values else (lambda t: t),
        "colon": v.choice(["column", "column", "attached", "inline"]),
        "pitch": v.uniform(0.039, 0.054), "size": v.uniform(0.70, 0.88),
        "colon_x": v.uniform(0.20, 0.31), "value_gap": v.uniform(0.004, 0.04),
        "photo_x": v.uniform(0.67, 0.78), "photo_y": v.uniform(0.17, 0.30), "photo_w": v.uniform(0.17, 0.235),
        "upper_labels": upper_labels, "title_values": title_values,
    }


def render_ktp(rng, nrng, fields, issue_place, issue_date, is_city, card_w):
    """The card face as an RGB image of width card_w, and its layout parameters."""
    aspect = (85.6 / 54.0) * rng.uniform(0.94, 1.06)
    W, H = int(card_w), int(round(card_w / aspect))
    img = card_background(rng, nrng, W, H)
    d = ImageDraw.Draw(img)
    face = rng.choices(FACES, weights=[f[3] for f in FACES])[0]
    bold_all = rng.random() < 0.25
    reg_f, bold_f = face[1], face[2]
    val_f = bold_f if bold_all else reg_f
    ink = tuple(rng.randint(8, 40) for _ in range(3))
    pitch = H * rng.uniform(0.043, 0.054)
    size = pitch * rng.uniform(0.74, 0.86)
    label_x = W * rng.uniform(0.022, 0.05)
    colon_x = W * rng.uniform(0.215, 0.29)
    sub_dx = W * rng.uniform(0.0, 0.03) if rng.random() < 0.7 else 0.0
    # the widest label must end before the colon column: shrink the type until it does
    label_font = bold_f if bold_all else reg_f
    for _ in range(12):
        widest = max(font(label_font, size).getlength(t) for t in
                     ("Status Perkawinan", "Kewarganegaraan", "Tempat/Tgl Lahir", "Berlaku Hingga"))
        if label_x + widest + size * 0.45 <= colon_x:
            break
        size *= 0.95
    value_x = colon_x + W * rng.uniform(0.008, 0.02)
    tracking = rng.choice([0.0, 0.0, rng.uniform(-0.04, 0.12) * size])
    photo_x = W * rng.uniform(0.70, 0.755)
    photo_w = W * rng.uniform(0.195, 0.23)
    photo_y = H * rng.uniform(0.22, 0.27)
    photo_h = photo_w * 1.3
    var = layout_variants(fields) if VARIANTS else None
    if var:
        pitch = H * var["pitch"]
        size = pitch * var["size"]
        colon_x = W * var["colon_x"]
        for _ in range(12):
            widest = max(font(label_font, size).getlength(var["label"](t)) for t in
                         ("Status Perkawinan", "Kewarganegaraan", "Tempat/Tgl Lahir", "Berlaku Hingga"))
            if label_x + widest + size * 0.45 <= colon_x:
                break
            size *= 0.95
        value_x = colon_x + W * var["value_gap"]
        photo_x, photo_y, photo_w = W * var["photo_x"], H * var["photo_y"], W * var["photo_w"]
        photo_h = photo_w * 1.3
    # header, centred on the card
    hsize = H * rng.uniform(0.040, 0.05)
    hfont = font(bold_f, hsize)
    kind = "KOTA" if is_city else "KABUPATEN"
    if fields["province"] == "DKI JAKARTA" and rng.random() < 0.7:
        kind = ""
    h1, h2 = "PROVINSI " + fields["province"], (kind + " " + fields["city_regency"]).strip()
    y1 = H * rng.uniform(0.075, 0.095)
    d.text((W / 2, y1), h1, font=hfont, fill=ink, anchor="ms")
    d.text((W / 2, y1 + hsize * rng.uniform(1.2, 1.4)), h2, font=hfont, fill=ink, anchor="ms")
    # NIK row: larger and bold
    nik_size = size * rng.uniform(1.25, 1.5)
    nik_y = y1 + hsize * 1.3 + nik_size * rng.uniform(1.35, 1.65)
    nfont = font(bold_f, nik_size)
    def colon(label_right, y, fnt, em, vx):
        """The label's colon, in the column or (--layout variants) after the label; returns
        where the value starts: its column, or right after an inline colon."""
        if not var or var["colon"] == "column":
            d.text((colon_x, y), ":", font=fnt, fill=ink, anchor="ls")
            return vx
        cx = label_right + (em * 0.25 if var["colon"] == "inline" else 0)
        d.text((cx, y), ":", font=fnt, fill=ink, anchor="ls")
        return cx + fnt.getlength(": ") if var["colon"] == "inline" else vx

    d.text((label_x, nik_y), "NIK", font=nfont, fill=ink, anchor="ls")
    nik_x = colon(label_x + nfont.getlength("NIK"), nik_y, nfont, nik_size,
                  max(value_x, colon_x + nfont.getlength(":") + nik_size * 0.2))
    nik_tracking = rng.uniform(0, 0.08) * nik_size
    if TIGHT_NIK:  # its own generator: the other draws, and the default cards, stay as they are
        nik_tracking = random.Random("t" + fields["nik"]).uniform(-0.07, 0.0) * nik_size
    draw_text(d, nik_x, nik_y, fields["nik"], nfont, ink, tracking=nik_tracking)
    lf, vf = font(bold_f if bold_all else reg_f, size), font(val_f, size)
    labels = {"jk": rng.choice(["Jenis Kelamin", "Jenis kelamin"]), "ttl": "Tempat/Tgl Lahir",
              "sp": rng.choice(["Status Perkawinan", "Status perkawinan"])}
    y = nik_y + pitch * rng.uniform(1.15, 1.45)
    if TIGHT_NIK:
        y = nik_y + pitch * random.Random("g" + fields["nik"]).uniform(1.0, 1.15)
    if var:
        # a real card's photo never covers text: it starts below the NIK and right of the
        # NIK and the birth line (the rows it sits beside), narrowing when it must
        ttl = "%s, %s" % (fields["birth_place"], fields["birth_date"])
        right = max(nik_x + text_width(fields["nik"], nfont, 0.08 * nik_size),
                    value_x + text_width(var["value"](ttl), vf, tracking))
        photo_x = min(max(photo_x, right + W * 0.02 + size * 0.5), W * 0.80)  # a very long birth line may run under it
        photo_w = max(W * 0.14, min(photo_w, W * 0.97 - photo_x))
        photo_h = photo_w * 1.3
        photo_y = max(photo_y, nik_y + nik_size * 0.35)
    value_max = photo_x - W * 0.015 - value_x

    def row(label, value, indent=0.0):
        nonlocal y
        if var:
            label, value = var["label"](label), var["value"](value)
        d.text((label_x + indent, y), label, font=lf, fill=ink, anchor="ls")
        vx = colon(label_x + indent + lf.getlength(label), y, lf, size, value_x)
        if value is not None:
            draw_text(d, vx, y, value, vf, ink, tracking)
        y += pitch

    row("Nama", fields["name"])
    row(labels["ttl"], "%s, %s" % (fields["birth_place"], fields["birth_date"]))
    gd_x = max(W * rng.uniform(0.46, 0.52), value_x + text_width("PEREMPUAN", vf, tracking) + size * 1.2)
    gd_label = var["label"]("Gol. Darah") if var else "Gol. Darah"
    d.text((gd_x, y), gd_label, font=lf, fill=ink, anchor="ls")
    gd_colon = gd_x + lf.getlength(gd_label) + size * 0.35
    d.text((gd_colon, y), ":", font=lf, fill=ink, anchor="ls")
    d.text((gd_colon + size * 0.5, y), fields["blood_type"], font=vf, fill=ink, anchor="ls")
    row(labels["jk"], fields["sex"])
    addr = fields["address"]
    wrapped = False
    if text_width(addr, vf, tracking) > value_max:
        words = addr.split(" ")
        first = words[0]
        k = 1
        while k < len(words) and text_width(first + " " + words[k], vf, tracking) <= value_max:
            first += " " + words[k]
            k += 1
        row("Alamat", first)
        y -= pitch * rng.uniform(0.1, 0.25)
        draw_text(d, value_x, y, (var["value"] if var else str)(" ".join(words[k:])), vf, ink, tracking)
        y += pitch
        wrapped = True
    else:
        row("Alamat", addr)
    row("RT/RW", fields["rt_rw"], sub_dx)
    row("Kel/Desa", fields["village"], sub_dx)
    row("Kecamatan", fields["district"], sub_dx)
    row("Agama", fields["religion"])
    row(labels["sp"], fields["marital_status"])
    row("Pekerjaan", fields["occupation"])
    row("Kewarganegaraan", fields["nationality"])
    row("Berlaku Hingga", fields["valid_until"])
    # photo, issue place/date, signature
    img.paste(portrait(rng, int(photo_w), int(photo_h)), (int(photo_x), int(photo_y)))
    sfont = font(reg_f, size * rng.uniform(0.78, 0.92))
    cx = photo_x + photo_w / 2
    iy = photo_y + photo_h + size * 1.3
    d.text((cx, iy), issue_place, font=sfont, fill=ink, anchor="ms")
    d.text((cx, iy + size * 1.05), issue_date, font=sfont, fill=ink, anchor="ms")
    signature(rng, d, photo_x + photo_w * 0.1, iy + size * 1.4, photo_w * 0.8, H * 0.08, (20, 20, 60))
    mfont = font(reg_f, max(8, H * 0.022))
    d.text((W * 0.985, H * 0.975), "SPESIMEN - FIKTIF", font=mfont, fill=(170, 60, 60), anchor="rs")
    # print texture: the ink spreads a little into the card stock, which is not perfectly even
    print_blur = rng.uniform(0.3, 0.7)
    img = img.filter(ImageFilter.GaussianBlur(print_blur))
    arr = np.asarray(img, np.float32) + nrng.normal(0, rng.uniform(1.5, 3.5), (H, W, 1)).astype(np.float32)
    img = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")
    layout = {"font": face[0], "bold": bold_all, "card_px": [W, H], "aspect": round(aspect, 4),
              "print_blur": round(print_blur, 3),
              "font_px": round(size, 2), "nik_px": round(nik_size, 2), "row_pitch": round(pitch / H, 4),
              "label_x": round(label_x / W, 4), "colon_x": round(colon_x / W, 4), "value_x": round(value_x / W, 4),
              "tracking_px": round(tracking, 2), "photo_box": [round(photo_x / W, 4), round(photo_y / H, 4),
                                                              round(photo_w / W, 4), round(photo_h / H, 4)],
              "address_wrapped": wrapped, "header_size": round(hsize, 2), "last_row_y": round(y / H, 4)}
    if var:
        layout["variants"] = {k: var[k] for k in ("colon", "upper_labels", "title_values")}
    if y > H * 0.99:
        layout["overflow"] = True
    return img, layout


# ---------------------------------------------------------------- other documents
def lorem(rng, n):
    words = ["dengan", "hormat", "bersama", "surat", "ini", "kami", "sampaikan", "bahwa", "kegiatan", "rapat",
             "warga", "akan", "dilaksanakan", "pada", "hari", "minggu", "bertempat", "di", "balai", "desa", "mohon",
             "kehadiran", "bapak", "ibu", "tepat", "waktu", "atas", "perhatiannya", "diucapkan", "terima", "kasih",
             "laporan", "keuangan", "bulan", "pembayaran", "iuran", "kebersihan", "keamanan", "lingkungan"]
    return " ".join(rng.choice(words) for _ in range(n))


def render_letter(rng, w):
    h = int(w * 1.414)
    im = Image.new("RGB", (w, h), (rng.randint(238, 252),) * 3)
    d = ImageDraw.Draw(im)
    face = rng.choice(FACES)
    s = w * rng.uniform(0.018, 0.024)
    f, fb = font(face[1], s), font(face[2], s * 1.3)
    d.text((w / 2, h * 0.07), rng.choice(["RUKUN TETANGGA 005", "KOPERASI SEJAHTERA", "PANITIA KEGIATAN"]),
           font=fb, fill=(20, 20, 20), anchor="ms")
    d.line([(w * 0.08, h * 0.09), (w * 0.92, h * 0.09)], fill=(20, 20, 20), width=3)
    y = h * 0.14
    for label in ["Nomor", "Lampiran", "Perihal"]:
        d.text((w * 0.1, y), label, font=f, fill=(20, 20, 20), anchor="ls")
        d.text((w * 0.25, y), ": " + lorem(rng, 3), font=f, fill=(20, 20, 20), anchor="ls")
        y += s * 1.6
    y += s * 2
    while y < h * 0.85:
        line = lorem(rng, rng.randint(6, 11))
        d.text((w * 0.1, y), line.capitalize(), font=f, fill=(25, 25, 25), anchor="ls")
        y += s * 1.55
    return im


def render_receipt(rng, w):
    h = int(w * rng.uniform(2.0, 2.8))
    im = Image.new("RGB", (w, h), (rng.randint(235, 250), rng.randint(235, 250), rng.randint(228, 245)))
    d = ImageDraw.Draw(im)
    s = w * rng.uniform(0.045, 0.055)
    f = font(MONO[1], s)
    y = s * 2
    for line in ["TOKO MAKMUR JAYA", "JL. " + rng.choice(STREET) + " " + str(rng.randint(1, 99)),
                 "-" * 26]:
        d.text((w / 2, y), line, font=f, fill=(30, 30, 30), anchor="ms")
        y += s * 1.4
    items = ["BERAS 5KG", "MINYAK GORENG", "GULA PASIR", "TELUR 1KG", "KOPI SACHET", "SABUN MANDI", "MIE INSTAN",
             "AIR MINERAL", "TEH CELUP", "SUSU KENTAL"]
    total = 0
    for _ in range(rng.randint(4, 9)):
        price = rng.randint(2, 80) * 500
        total += price
        d.text((s, y), rng.choice(items), font=f, fill=(30, 30, 30), anchor="ls")
        d.text((w - s, y), "{:,}".format(price).replace(",", "."), font=f, fill=(30, 30, 30), anchor="rs")
        y += s * 1.3
    d.text((s, y + s), "TOTAL", font=f, fill=(20, 20, 20), anchor="ls")
    d.text((w - s, y + s), "{:,}".format(total).replace(",", "."), font=f, fill=(20, 20, 20), anchor="rs")
    d.text((w / 2, y + s * 4), "TERIMA KASIH", font=f, fill=(30, 30, 30), anchor="ms")
    return im


def render_member_card(rng, nrng, w, regions):
    h = int(w / 1.585)
    palettes = [((236, 244, 230), (40, 120, 60)), ((250, 240, 220), (190, 100, 20)), ((245, 245, 245), (60, 60, 60)),
                ((238, 230, 245), (100, 50, 140)), ((214, 232, 246), (30, 70, 140))]
    bg, accent = rng.choice(palettes)
    im = Image.new("RGB", (w, h), bg)
    arr = np.asarray(im, np.float32) + (smooth_noise(nrng, h, w, 30)[..., None] - 0.5) * 12
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 0, w, h * 0.2], fill=accent)
    face = rng.choice(FACES)
    title = rng.choice(["KARTU TANDA MAHASISWA", "KARTU PELAJAR", "KARTU ANGGOTA KOPERASI", "KARTU PEGAWAI",
                        "SURAT IZIN USAHA", "KARTU ANGGOTA PERPUSTAKAAN"])
    d.text((w / 2, h * 0.13), title, font=font(face[2], h * 0.075), fill=(255, 255, 255), anchor="ms")
    s = h * rng.uniform(0.048, 0.058)
    f = font(face[1], s)
    female = rng.random() < 0.5
    name = rng.choice(FEMALE if female else MALE) + " " + rng.choice(SECOND)
    dcode = rng.choice(regions.districts)
    rows = [("Nomor", "%d" % rng.randint(10 ** 9, 10 ** 10 - 1)), ("Nama", name),
            ("Tempat/Tgl Lahir", "%s, %02d-%02d-%d" % (regions.describe(dcode)["city_regency"], rng.randint(1, 28),
                                                       rng.randint(1, 12), rng.randint(1960, 2008))),
            ("Alamat", "JL. %s NO. %d" % (rng.choice(STREET), rng.randint(1, 99))),
            ("Unit", rng.choice(["TEKNIK SIPIL", "EKONOMI", "GUDANG", "ADMINISTRASI", "UMUM"])),
            ("Berlaku", "%02d-%02d-%d" % (rng.randint(1, 28), rng.randint(1, 12), rng.randint(2026, 2030)))]
    y = h * 0.32
    for label, value in rows:
        d.text((w * 0.05, y), label, font=f, fill=(20, 20, 20), anchor="ls")
        d.text((w * 0.3, y), ": " + value, font=f, fill=(20, 20, 20), anchor="ls")
        y += s * 1.5
    im.paste(portrait(rng, int(w * 0.2), int(w * 0.26)), (int(w * 0.76), int(h * 0.3)))
    return im


def render_bank_card(rng, nrng, w):
    h = int(w / 1.586)
    c1 = np.array([rng.randint(0, 120), rng.randint(20, 120), rng.randint(60, 180)], np.float32)
    c2 = c1 + rng.randint(40, 90)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = ((xx / w + yy / h) / 2)[..., None]
    arr = c1 * (1 - t) + c2 * t + (smooth_noise(nrng, h, w, 25)[..., None] - 0.5) * 20
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle([w * 0.1, h * 0.33, w * 0.23, h * 0.5], radius=w * 0.015, fill=(200, 175, 90))
    face = rng.choice(FACES)
    digits = "".join(str(rng.randint(0, 9)) for _ in range(16))
    s = h * 0.09
    fn = font(face[2], s)
    d.text((w * 0.08, h * 0.67), " ".join(digits[i:i + 4] for i in range(0, 16, 4)), font=fn, fill=(240, 240, 240),
           anchor="ls")
    d.text((w * 0.08, h * 0.86), rng.choice(MALE + FEMALE) + " " + rng.choice(SECOND), font=font(face[1], s * 0.7),
           fill=(235, 235, 235), anchor="ls")
    d.text((w * 0.6, h * 0.77), "VALID THRU %02d/%02d" % (rng.randint(1, 12), rng.randint(26, 31)),
           font=font(face[1], s * 0.5), fill=(235, 235, 235), anchor="ls")
    d.text((w * 0.92, h * 0.15), rng.choice(["BANK NUSANTARA", "BANK SEJAHTERA", "KOPERASI KREDIT"]),
           font=font(face[2], s * 0.8), fill=(250, 250, 250), anchor="rs")
    return im


# ---------------------------------------------------------------- photo model
def background(rng, nrng, w, h):
    kind = rng.choice(["wood", "wood", "cloth", "paper", "desk", "granite"])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    low = smooth_noise(nrng, h, w, max(8, w // 12))
    if kind == "wood":
        base = np.array([rng.randint(110, 175), rng.randint(70, 120), rng.randint(35, 75)], np.float32)
        ang = rng.uniform(-0.3, 0.3)
        v = yy * math.cos(ang) + xx * math.sin(ang)
        warp = smooth_noise(nrng, h, w, max(8, w // 6)) * rng.uniform(20, 60)
        grain = 0.5 + 0.5 * np.sin((v + warp) / rng.uniform(3, 9))
        fine = smooth_noise(nrng, h, w, 3)
        lum = 0.8 + 0.15 * grain + 0.1 * fine + 0.15 * (low - 0.5)
    elif kind == "cloth":
        base = np.array(rng.choice([(60, 70, 110), (140, 40, 50), (50, 110, 80), (90, 90, 95), (180, 160, 120)]),
                        np.float32)
        p = rng.uniform(2.5, 5)
        weave = np.sin(xx / p) * np.sin(yy / p)
        lum = 0.9 + 0.08 * weave + 0.25 * (low - 0.5)
    elif kind == "paper":
        base = np.array([rng.randint(215, 240), rng.randint(210, 235), rng.randint(195, 225)], np.float32)
        lum = 0.95 + 0.08 * (smooth_noise(nrng, h, w, 2) - 0.5) + 0.1 * (low - 0.5)
    elif kind == "desk":
        g = rng.choice([(35, 35, 38), (200, 200, 195), (150, 150, 150), (230, 225, 215)])
        base = np.array(g, np.float32)
        lum = 1.0 + 0.12 * (low - 0.5)
    else:
        base = np.array([rng.randint(90, 170)] * 3, np.float32)
        speck = nrng.random((h, w)).astype(np.float32)
        lum = 0.85 + 0.3 * (speck > 0.85) - 0.25 * (speck < 0.1) + 0.1 * (low - 0.5)
    return np.clip(base * lum[..., None], 0, 255).astype(np.float32), kind


def perspective_coeffs(dst, src):
    """Coefficients for PIL's PERSPECTIVE transform: output points dst -> input points src."""
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(a, np.float64), np.array(b, np.float64)).tolist()


def disc_kernel(radius):
    r = int(math.ceil(radius)) + 1
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float32)
    k = np.clip(radius + 0.5 - np.hypot(xx, yy), 0, 1)
    return k / k.sum()


def motion_kernel(length, angle):
    r = int(math.ceil(length / 2)) + 1
    size = 2 * r + 1
    k = Image.new("F", (size, size), 0)
    d = ImageDraw.Draw(k)
    dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
    d.line([(r - dx, r - dy), (r + dx, r + dy)], fill=1.0, width=1)
    a = np.asarray(k, np.float32)
    return a / max(a.sum(), 1e-6)


def fast_len(n):
    """The smallest m >= n with no prime factor above 5 (quick FFT sizes)."""
    m = n
    while True:
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
        m += 1


def convolve(img, kernel):
    """FFT convolution of an HxWxC float image with a small kernel, edge-padded."""
    kh, kw = kernel.shape
    ph, pw = kh // 2, kw // 2
    H, W = fast_len(img.shape[0] + 2 * ph), fast_len(img.shape[1] + 2 * pw)
    padded = np.pad(img, ((ph, H - img.shape[0] - ph), (pw, W - img.shape[1] - pw), (0, 0)), mode="edge")
    kpad = np.zeros((H, W), np.float32)
    kpad[:kh, :kw] = kernel
    kpad = np.roll(kpad, (-ph, -pw), axis=(0, 1))
    kf = np.fft.rfft2(kpad)
    out = np.empty_like(padded)
    for c in range(padded.shape[2]):
        out[..., c] = np.fft.irfft2(np.fft.rfft2(padded[..., c]) * kf, s=(H, W))
    return out[ph:ph + img.shape[0], pw:pw + img.shape[1]]


def gaussian(img, sigma):
    if sigma <= 0.05:
        return img
    if sigma > 0.6:  # through 8 bits, as a camera pipeline would: much faster
        im = Image.fromarray(np.clip(img + 0.5, 0, 255).astype(np.uint8), "RGB")
        return np.asarray(im.filter(ImageFilter.GaussianBlur(sigma)), np.float32)
    r = int(math.ceil(3 * sigma))
    x = np.arange(-r, r + 1, dtype=np.float32)
    g = np.exp(-(x / sigma) ** 2 / 2)
    g /= g.sum()
    out = np.pad(img, ((r, r), (r, r), (0, 0)), mode="edge")
    # separable: rows then columns
    tmp = np.zeros((out.shape[0], img.shape[1], img.shape[2]), np.float32)
    for i in range(2 * r + 1):
        tmp += g[i] * out[:, i:i + img.shape[1]]
    res = np.zeros(img.shape, np.float32)
    for i in range(2 * r + 1):
        res += g[i] * tmp[i:i + img.shape[0]]
    return res


def photocopy(rng, nrng, card):
    """A greyscale photocopy of the card on a sheet of paper (RGB)."""
    a = np.asarray(card, np.float32)
    g = a @ np.array([0.3, 0.59, 0.11], np.float32)
    contrast = rng.uniform(1.4, 2.2)
    g = (g - 175) * contrast + 200 + rng.uniform(0, 20)
    g += nrng.normal(0, rng.uniform(4, 10), g.shape).astype(np.float32)
    specks = nrng.random(g.shape) < rng.uniform(0.0003, 0.002)
    g[specks] = rng.uniform(20, 80)
    h, w = g.shape
    mh, mw = int(h * rng.uniform(0.25, 0.6)), int(w * rng.uniform(0.15, 0.4))
    paper = rng.uniform(236, 250)
    page = np.full((h + 2 * mh, w + 2 * mw), paper, np.float32)
    page += (smooth_noise(nrng, page.shape[0], page.shape[1], 6) - 0.5) * 8
    # the card's rounded outline prints as a grey edge; outside its corners, paper
    shape = Image.new("L", (w, h), 0)
    ImageDraw.Draw(shape).rounded_rectangle([0, 0, w - 1, h - 1], radius=0.035 * w, fill=255,
                                            outline=128, width=max(2, int(w * 0.003)))
    sm = np.asarray(shape, np.float32)
    inside = sm > 200
    edge = (sm > 0) & ~inside
    card_part = np.where(inside, g, paper)
    card_part[edge] = rng.uniform(90, 150)
    page[mh:mh + h, mw:mw + w] = card_part
    page = np.clip(page, 0, 255)
    rgb = np.stack([page] * 3, -1)
    if rng.random() < 0.4:  # warm paper tint
        rgb *= np.array([1.0, 0.98, 0.92], np.float32)
    im = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    return im, (mw, mh, w, h)


class Photo:
    """Places a document in a scene and degrades it like a phone camera."""

    def __init__(self, rng, nrng):
        self.rng, self.nrng = rng, nrng
        self.params = {}

    def place(self, doc, target_w, tilt_deg, persp, fill, crop=None, rounded=True, scene_bg=True):
        rng = self.rng
        w, h = doc.size
        s = target_w / w
        cw, ch = w * s, h * s
        th = math.radians(tilt_deg)
        corners = [(-cw / 2, -ch / 2), (cw / 2, -ch / 2), (cw / 2, ch / 2), (-cw / 2, ch / 2)]
        quad = []
        for x, y in corners:
            x += rng.uniform(-persp, persp) * cw
            y += rng.uniform(-persp, persp) * cw
            quad.append((x * math.cos(th) - y * math.sin(th), x * math.sin(th) + y * math.cos(th)))
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        bw, bh = max(xs) - min(xs), max(ys) - min(ys)
        portrait_frame = h > w * 1.1
        aspect = rng.choice([4 / 3, 4 / 3, 16 / 9, 3 / 2])
        if portrait_frame:
            aspect = 1 / aspect
        IW = bw / fill
        IH = IW / aspect
        if bh / fill > IH:
            IH = bh / fill
            IW = IH * aspect
        IW, IH = int(IW), int(IH)
        cx = IW / 2 + rng.uniform(-0.5, 0.5) * (IW - bw) * 0.8
        cy = IH / 2 + rng.uniform(-0.5, 0.5) * (IH - bh) * 0.8
        quad = [(x - (min(xs) + max(xs)) / 2, y - (min(ys) + max(ys)) / 2) for x, y in quad]
        if crop is not None:  # push part of the document past the border(s)
            for side, frac in crop:
                if side == "left":
                    cx = bw / 2 - frac * bw
                elif side == "right":
                    cx = IW - bw / 2 + frac * bw
                elif side == "top":
                    cy = bh / 2 - frac * bh
                else:
                    cy = IH - bh / 2 + frac * bh
        quad = [(x + cx, y + cy) for x, y in quad]
        if scene_bg:
            bg, bg_kind = background(rng, self.nrng, IW, IH)
        else:
            bg, bg_kind = np.full((IH, IW, 3), 245, np.float32), "none"
        src = [(0, 0), (w, 0), (w, h), (0, h)]
        coeffs = perspective_coeffs(quad, src)
        warped = doc.convert("RGB").transform((IW, IH), Image.PERSPECTIVE, coeffs, Image.BICUBIC)
        mask_src = Image.new("L", (w, h), 0)
        md = ImageDraw.Draw(mask_src)
        md.rounded_rectangle([0, 0, w - 1, h - 1], radius=(0.035 * w if rounded else 1), fill=255)
        mask = mask_src.transform((IW, IH), Image.PERSPECTIVE, coeffs, Image.BILINEAR)
        m = np.asarray(mask, np.float32)[..., None] / 255.0
        if scene_bg:  # contact shadow under the card
            sh = mask.filter(ImageFilter.GaussianBlur(max(2, target_w * 0.008)))
            off = int(target_w * rng.uniform(0.002, 0.008))
            sh = np.roll(np.asarray(sh, np.float32) / 255.0, (off, off), axis=(0, 1))[..., None]
            bg = bg * (1 - rng.uniform(0.2, 0.45) * sh)
        out = bg * (1 - m) + np.asarray(warped, np.float32) * m
        self.img = out
        self.mask = m
        self.quad = quad
        self.params.update({"background": bg_kind, "doc_width_px": int(target_w), "tilt_deg": round(tilt_deg, 2),
                            "perspective": round(persp, 4), "fill": round(fill, 3),
                            "card_quad": [[round(x, 1), round(y, 1)] for x, y in quad]})
        return self

    def light(self, uneven, brightness, cast, shadow=0.0, vignette=0.0):
        rng = self.rng
        h, w = self.img.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ang = rng.uniform(0, 2 * math.pi)
        g = ((xx / w - 0.5) * math.cos(ang) + (yy / h - 0.5) * math.sin(ang))
        field = 1 + uneven * g * 2 / 2
        if vignette > 0:
            r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
            field = field * (1 - vignette * r2)
        if shadow > 0:  # a soft-edged shadow (hand, phone) across part of the frame
            a2 = rng.uniform(0, 2 * math.pi)
            off = rng.uniform(0.1, 0.35)
            dist = (xx / w - 0.5) * math.cos(a2) + (yy / h - 0.5) * math.sin(a2) - off
            soft = rng.uniform(0.03, 0.1)
            field = field * (1 - shadow / (1 + np.exp(-dist / soft)))
        self.img = self.img * field[..., None] * brightness * np.array(cast, np.float32)
        self.params.update({"uneven": round(uneven, 3), "brightness": round(brightness, 3),
                            "cast": [round(c, 3) for c in cast], "shadow": round(shadow, 3),
                            "vignette": round(vignette, 3)})
        return self

    def depth(self, sigma):
        """Shallow depth of field: one side of the frame softer than the other."""
        rng = self.rng
        h, w = self.img.shape[:2]
        soft = gaussian(self.img, sigma)
        a = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ramp = np.clip(0.5 + (xx / w - 0.5) * math.cos(a) + (yy / h - 0.5) * math.sin(a), 0, 1)[..., None]
        self.img = self.img * (1 - ramp) + soft * ramp
        self.params.update({"depth_sigma": round(sigma, 2), "depth_dir_deg": round(math.degrees(a), 1)})
        return self

    def blur(self, kind, amount):
        """amount in px at this image's card width (already scaled by the caller)."""
        if amount <= 0.05 or kind == "none":
            return self
        if kind == "defocus":
            self.img = convolve(self.img, disc_kernel(amount))
        elif kind == "motion":
            self.img = convolve(self.img, motion_kernel(amount, self.rng.uniform(0, math.pi)))
        else:
            self.img = gaussian(self.img, amount)
        self.params.update({"blur": kind, "blur_px": round(amount, 2)})
        return self

    def card_area(self):
        xs, ys = [p[0] for p in self.quad], [p[1] for p in self.quad]
        return abs(sum(xs[i] * ys[(i + 1) % 4] - xs[(i + 1) % 4] * ys[i] for i in range(4))) / 2

    def sheen(self, amplitude):
        """A broad, unsaturated reflection on the laminate (a near miss for flash)."""
        rng = self.rng
        h, w = self.img.shape[:2]
        xs, ys = [p[0] for p in self.quad], [p[1] for p in self.quad]
        px, py = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
        r = math.sqrt(self.card_area()) * rng.uniform(0.35, 0.6)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        glow = np.exp(-(((xx - px) ** 2 + (yy - py) ** 2) / (r * r)))[..., None] * amplitude * self.mask
        self.img = self.img + glow
        self.params.update({"sheen": [round(px, 1), round(py, 1), round(r, 1), round(amplitude, 1)]})
        return self

    def flash(self, frac_of_card, spots):
        rng = self.rng
        h, w = self.img.shape[:2]
        xs, ys = [p[0] for p in self.quad], [p[1] for p in self.quad]
        area = abs(sum(xs[i] * ys[(i + 1) % 4] - xs[(i + 1) % 4] * ys[i] for i in range(4))) / 2
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        placed = []
        for k in range(spots):
            t1, t2 = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
            top = (xs[0] + (xs[1] - xs[0]) * t1, ys[0] + (ys[1] - ys[0]) * t1)
            bot = (xs[3] + (xs[2] - xs[3]) * t1, ys[3] + (ys[2] - ys[3]) * t1)
            px, py = top[0] + (bot[0] - top[0]) * t2, top[1] + (bot[1] - top[1]) * t2
            rcore = math.sqrt(frac_of_card / spots * area / math.pi)
            e = rng.uniform(1.0, 1.6)
            d2 = (((xx - px) / (rcore * e)) ** 2 + ((yy - py) * e / rcore) ** 2)
            glow = np.exp(-d2 * 0.35) * 120 + np.clip(1.6 - d2, 0, 1) * 400
            # specular: on the laminated card, hardly on the matte surface around it
            self.img = self.img + glow[..., None] * (0.1 + 0.9 * self.mask)
            placed.append([round(px, 1), round(py, 1), round(rcore, 1)])
        self.params.update({"flash_spots": placed, "flash_frac": round(frac_of_card, 4)})
        return self

    def expose(self, gain, lift, gamma):
        x = np.clip(self.img, 0, 255) / 255.0
        x = np.clip(x * gain + lift / 255.0, 0, 1) ** gamma
        self.img = x * 255
        self.params.update({"gain": round(gain, 3), "lift": round(lift, 1), "gamma": round(gamma, 3)})
        return self

    def sensor(self, sigma, sharpen):
        img = np.clip(self.img, 0, 255)
        noise = self.nrng.normal(0, 1, img.shape).astype(np.float32)
        shot = np.sqrt(img / 255.0 + 0.05) * sigma
        img = img + noise * shot * 1.5
        self.img = np.clip(img, 0, 255)
        self.params.update({"noise_sigma": round(sigma, 2), "sharpen": sharpen})
        return self

    def encode(self, fmt, quality, quarter_turns=0, sharpen=False):
        im = Image.fromarray(np.clip(self.img + 0.5, 0, 255).astype(np.uint8), "RGB")
        if sharpen:
            im = im.filter(ImageFilter.UnsharpMask(radius=1.6, percent=rng_percent(self.rng), threshold=2))
        if quarter_turns:
            im = im.transpose([None, Image.ROTATE_90, Image.ROTATE_180, Image.ROTATE_270][quarter_turns])
        buf = io.BytesIO()
        if fmt == "png":
            im.save(buf, "PNG")
            mime = "image/png"
        else:
            im.save(buf, "JPEG", quality=int(quality))
            mime = "image/jpeg"
        self.params.update({"format": fmt, "jpeg_quality": int(quality) if fmt == "jpeg" else None,
                            "quarter_turns": quarter_turns, "image_size": list(im.size)})
        return buf.getvalue(), mime


def rng_percent(rng):
    return rng.randint(60, 140)


# ---------------------------------------------------------------- levels and defects
def defect_strength(rng, defect, card_w):
    """Parameters of one flagged defect: every one of them well past moderate's nuisances."""
    k = card_w / 1000.0
    if defect == "blurred":
        kind = rng.choice(["defocus", "defocus", "motion", "gaussian"])
        amount = {"defocus": rng.uniform(4.0, 9.0), "motion": rng.uniform(12, 30),
                  "gaussian": rng.uniform(2.6, 5.0)}[kind]
        return {"kind": kind, "px_at_1000": round(amount, 2), "px": amount * k}
    if defect == "dark":
        return {"gain": rng.uniform(0.17, 0.38), "gamma": rng.uniform(1.0, 1.4)}
    if defect == "bright":
        return {"gain": rng.uniform(1.45, 2.0), "lift": rng.uniform(30, 90), "gamma": rng.uniform(0.65, 0.95)}
    if defect == "rotated":
        if rng.random() < 0.6:
            return {"quarter_turns": rng.choice([1, 2, 3]), "tilt": rng.uniform(-3, 3)}
        return {"quarter_turns": 0, "tilt": rng.choice([-1, 1]) * rng.uniform(18, 45)}
    if defect == "cropped":
        if rng.random() < 0.65:
            return {"crop": [[rng.choice(["left", "right", "top", "bottom"]), rng.uniform(0.10, 0.30)]]}
        return {"crop": [[rng.choice(["left", "right"]), rng.uniform(0.08, 0.2)],
                         [rng.choice(["top", "bottom"]), rng.uniform(0.08, 0.2)]]}
    if defect == "copy":
        return {"scan": rng.random() < 0.5}
    if defect == "flash":
        return {"frac": rng.uniform(0.03, 0.12), "spots": 1 if rng.random() < 0.7 else 2}
    raise ValueError(defect)


def card_width(rng, level):
    """The card's width in the photo, px."""
    return rng.uniform(1000, 1600) if level == "clean" else rng.uniform(700, 1500)


def make_photo(rng, nrng, doc_img, level, defects, card_w=None, is_card=True):
    """Composes the photo of one document for a level and a list of defects.
    Returns (bytes, mime, photo params, strengths)."""
    ph = Photo(rng, nrng)
    strengths = {d: defect_strength(rng, d, 1000) for d in defects}
    if card_w is None:
        card_w = card_width(rng, level)
    for d in defects:
        if d == "blurred":
            strengths[d]["px"] = strengths[d]["px_at_1000"] * card_w / 1000
    k = card_w / 1000.0
    # geometry
    if level == "clean":
        tilt, persp, fill = rng.uniform(-1, 1), rng.uniform(0, 0.008), rng.uniform(0.75, 0.92)
    elif level == "flags":
        tilt, persp, fill = rng.uniform(-2.5, 2.5), rng.uniform(0, 0.03), rng.uniform(0.6, 0.88)
    else:
        tilt, persp, fill = rng.uniform(-4, 4), rng.uniform(0.005, 0.04), rng.uniform(0.6, 0.9)
    quarter = 0
    crop = None
    if "rotated" in defects:
        quarter = strengths["rotated"]["quarter_turns"]
        if quarter:
            tilt = strengths["rotated"]["tilt"]
        else:
            tilt = strengths["rotated"]["tilt"]
            fill = min(fill, 0.8)
    if "cropped" in defects:
        crop = strengths["cropped"]["crop"]
        fill = max(fill, 0.75)
    scan = False
    if "copy" in defects:
        card_px = doc_img.size[0]
        doc_img, _ = photocopy(rng, nrng, doc_img)
        scan = strengths["copy"]["scan"] and "rotated" not in defects and "cropped" not in defects
        card_w = card_w * doc_img.size[0] / card_px  # the page, so that the card on it keeps card_w
        if scan:
            tilt, persp, fill = rng.uniform(-1.5, 1.5), 0.0, rng.uniform(0.97, 1.0)
    ph.place(doc_img, card_w, tilt, persp, fill, crop=crop, rounded=is_card and "copy" not in defects,
             scene_bg=not scan)
    # near-miss nuisances for moderate (no flag expected)
    near = None
    if level == "moderate" and rng.random() < 0.4:
        near = rng.choice(["softness", "shadow", "warm", "sheen"])
    ph.params["near_miss"] = near
    # light
    if level == "clean":
        ph.light(rng.uniform(0, 0.06), rng.uniform(0.96, 1.04), [rng.uniform(0.98, 1.02) for _ in range(3)])
    else:
        cast = [rng.uniform(0.94, 1.06), 1.0, rng.uniform(0.94, 1.06)]
        if near == "warm":
            cast = [rng.uniform(1.06, 1.12), rng.uniform(0.99, 1.02), rng.uniform(0.82, 0.9)]
        shadow = 0.0
        if near == "shadow":
            shadow = rng.uniform(0.18, 0.3)
        elif rng.random() < 0.25:
            shadow = rng.uniform(0.08, 0.18)
        ph.light(rng.uniform(0.1, 0.3), rng.uniform(0.85, 1.12), cast, shadow, rng.uniform(0, 0.25))
    if "flash" in defects:
        ph.flash(strengths["flash"]["frac"], strengths["flash"]["spots"])
    elif near == "sheen":
        ph.sheen(rng.uniform(15, 35))
    # optics
    if "blurred" in defects:
        b = strengths["blurred"]
        ph.blur(b["kind"], b["px"])
    elif level == "clean":
        ph.blur("gaussian", rng.uniform(0, 0.4) * k)
    else:
        if near == "softness":
            ph.blur("defocus", rng.uniform(1.4, 1.8) * k)
        else:
            kind = rng.choice(["defocus", "motion", "gaussian", "gaussian"])
            amt = {"defocus": rng.uniform(0.5, 1.4), "motion": rng.uniform(1.5, 4.0),
                   "gaussian": rng.uniform(0.3, 0.9)}[kind] * k
            ph.blur(kind, amt)
            if rng.random() < 0.3:
                ph.depth(rng.uniform(0.5, 1.0) * k)
    # exposure
    if "dark" in defects:
        s = strengths["dark"]
        ph.expose(s["gain"], 0, s["gamma"])
    elif "bright" in defects:
        s = strengths["bright"]
        ph.expose(s["gain"], s["lift"], s["gamma"])
    noise = rng.uniform(0.2, 1.5) if level == "clean" else rng.uniform(1.5, 5.0)
    if "dark" in defects:
        noise *= 2.0
    if "copy" in defects and scan:
        noise = rng.uniform(0.5, 2)
    sharpen = level != "clean" and rng.random() < 0.5
    ph.sensor(noise, sharpen)
    if level == "clean":
        fmt, q = ("png", 0) if rng.random() < 0.4 else ("jpeg", rng.randint(85, 92))
    elif level == "flags":
        fmt, q = "jpeg", rng.randint(65, 92)
    else:
        fmt, q = "jpeg", rng.randint(55, 80)
    data, mime = ph.encode(fmt, q, quarter, sharpen)
    return data, mime, ph.params, [round_params(strengths[d]) for d in defects]


def round_params(p):
    out = {}
    for k, v in p.items():
        out[k] = round(v, 4) if isinstance(v, float) else v
        if isinstance(v, list):
            out[k] = [[x[0], round(x[1], 4)] if isinstance(x, list) else x for x in v]
    return out


def hard_defects(rng):
    first = rng.choice(DEFECTS)
    if rng.random() < 0.65:
        return [first]
    bad = {("dark", "bright"), ("bright", "dark"), ("copy", "flash"), ("flash", "copy")}
    while True:
        second = rng.choice(DEFECTS)
        if second != first and (first, second) not in bad:
            return sorted([first, second], key=DEFECTS.index)


def item_rng(seed, set_name, index):
    rng = random.Random("%d/%s/%d" % (seed, set_name, index))
    nrng = np.random.default_rng([seed & 0xFFFFFFFF, sum(map(ord, set_name)) * 131 + len(set_name), index])
    return rng, nrng


def qualities(ktp, defects):
    q = {name: False for name in QUALITY_NAMES}
    q["ktp"] = ktp
    for d in defects:
        q[d] = True
    return q


def make_ktp_item(seed, regions, set_name, index, level, defects, file_stem):
    rng, nrng = item_rng(seed, set_name, index)
    fields, issue_place, issue_date, is_city = make_identity(rng, regions)
    card_w = card_width(rng, level)
    # drawn a little larger than it will appear (a sharp print seen by the camera)
    card_img, layout = render_ktp(rng, nrng, fields, issue_place, issue_date, is_city,
                                  max(800.0, card_w * rng.uniform(1.0, 1.15)))
    data, mime, photo, strength = make_photo(rng, nrng, card_img, level, defects, card_w)
    ext = "png" if mime == "image/png" else "jpg"
    item = {"image": "%s.%s" % (file_stem, ext), "set": "flags" if set_name.startswith("flags") else set_name,
            "index": index, "mime_type": mime, "is_ktp": True, "document": "ktp",
            "fields": {k: fields[k] for k in FIELD_NAMES}, "issue_place": issue_place, "issue_date": issue_date,
            "qualities": qualities(True, defects), "defects": list(defects), "strength": strength,
            "render": layout, "photo": photo}
    return item, data


def make_non_ktp_item(seed, regions, index):
    rng, nrng = item_rng(seed, "non_ktp", index)
    kind = NON_KTP_KINDS[index % len(NON_KTP_KINDS)]
    if kind == "letter":
        doc = render_letter(rng, 1100)
    elif kind == "receipt":
        doc = render_receipt(rng, 520)
    elif kind == "member_card":
        doc = render_member_card(rng, nrng, 1300, regions)
    elif kind == "bank_card":
        doc = render_bank_card(rng, nrng, 1200)
    else:
        doc = None
    if doc is None:
        ph = Photo(rng, nrng)
        w, h = rng.randint(1000, 1700), 0
        h = int(w * 3 / 4)
        bg, bk = background(rng, nrng, w, h)
        d = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8))
        dr = ImageDraw.Draw(d)
        for _ in range(rng.randint(1, 4)):  # a few objects: mug, keys, phone
            x, y = rng.uniform(0, w * 0.8), rng.uniform(0, h * 0.8)
            s = rng.uniform(0.08, 0.25) * w
            col = tuple(rng.randint(20, 230) for _ in range(3))
            if rng.random() < 0.5:
                dr.ellipse([x, y, x + s, y + s], fill=col)
            else:
                dr.rounded_rectangle([x, y, x + s * 0.5, y + s], radius=s * 0.06, fill=col)
        ph.img = np.asarray(d, np.float32)
        ph.quad = [(0, 0), (w, 0), (w, h), (0, h)]
        ph.params["background"] = bk
        ph.light(rng.uniform(0.1, 0.3), rng.uniform(0.85, 1.1), [rng.uniform(0.94, 1.06), 1, rng.uniform(0.94, 1.06)])
        ph.blur("gaussian", rng.uniform(0.3, 1.0))
        ph.sensor(rng.uniform(1.5, 4), False)
        data, mime = ph.encode("jpeg", rng.randint(60, 88))
        photo = ph.params
    else:
        data, mime, photo, _ = make_photo(rng, nrng, doc, "moderate", [],
                                          is_card=kind in ("member_card", "bank_card"))
    ext = "png" if mime == "image/png" else "jpg"
    item = {"image": "non_ktp-%04d.%s" % (index, ext), "set": "non_ktp", "index": index, "mime_type": mime,
            "is_ktp": False, "document": kind, "fields": {}, "qualities": qualities(False, []), "defects": [],
            "strength": [], "render": {"document": kind}, "photo": photo}
    return item, data


# ---------------------------------------------------------------- corpus
def plan(args):
    jobs = []
    for level, n in (("clean", args.clean), ("moderate", args.moderate)):
        for i in range(n):
            jobs.append(("ktp", level, i, level, [], "%s-%04d" % (level, i)))
    for i in range(args.hard):
        rng, _ = item_rng(args.seed, "hard-plan", i)
        jobs.append(("ktp", "hard", i, "hard", hard_defects(rng), "hard-%04d" % i))
    for d in DEFECTS:
        for i in range(args.flags):
            jobs.append(("ktp", "flags-" + d, i, "flags", [d], "flags-%s-%04d" % (d, i)))
    for i in range(args.non_ktp):
        jobs.append(("non", "non_ktp", i, None, None, None))
    return jobs


def generate(args, out, quiet=False):
    os.makedirs(out, exist_ok=True)
    regions = Regions()
    items = []
    start = time.time()
    jobs = plan(args)
    for n, (kind, set_name, i, level, defects, stem) in enumerate(jobs):
        if kind == "ktp":
            item, data = make_ktp_item(args.seed, regions, set_name, i, level, defects, stem)
        else:
            item, data = make_non_ktp_item(args.seed, regions, i)
        with open(os.path.join(out, item["image"]), "wb") as f:
            f.write(data)
        items.append(item)
        if not quiet and (n + 1) % 25 == 0:
            print("ktp-diag: %d/%d images (%.2f s each)" % (n + 1, len(jobs), (time.time() - start) / (n + 1)),
                  file=sys.stderr)
    counts = {"clean": args.clean, "moderate": args.moderate, "hard": args.hard, "flags": args.flags * len(DEFECTS),
              "flags_per_defect": args.flags, "non_ktp": args.non_ktp}
    manifest = {"generator": GENERATOR, "seed": args.seed, "faces": getattr(args, "faces", "default"),
                "layout": getattr(args, "layout", "default"), "counts": counts, "field_names": FIELD_NAMES,
                "items": items}
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=False, ensure_ascii=True)
        f.write("\n")
    if not quiet:
        print("ktp-diag: %d images in %s (%.2f s per image)" % (len(items), out, (time.time() - start) / max(1, len(items))),
              file=sys.stderr)
    return manifest


DATE = re.compile(r"^(\d\d)-(\d\d)-(\d{4})$")


def check_item(item, regions):
    errors = []
    f = item["fields"]
    if set(f) != set(FIELD_NAMES):
        return ["%s: fields %s" % (item["image"], sorted(f))]
    nik = f["nik"]
    if not re.match(r"^\d{16}$", nik):
        errors.append("nik not 16 digits")
    dcode = "%s.%s.%s" % (nik[0:2], nik[2:4], nik[4:6])
    if dcode not in regions.names:
        errors.append("unknown district code " + dcode)
    else:
        reg = regions.describe(dcode)
        for key in ("province", "city_regency", "district"):
            if f[key] != reg[key]:
                errors.append("%s %r != region table %r" % (key, f[key], reg[key]))
        if f["village"] not in regions.villages.get(dcode, []):
            errors.append("village %r not in district %s" % (f["village"], dcode))
    m = DATE.match(f["birth_date"])
    if not m:
        errors.append("birth_date format")
    else:
        dd = int(nik[6:8])
        female = dd > 40
        if (f["sex"] == "PEREMPUAN") != female or f["sex"] not in ("LAKI-LAKI", "PEREMPUAN"):
            errors.append("sex vs NIK")
        if "%02d%s%s" % (int(m.group(1)) + (40 if f["sex"] == "PEREMPUAN" else 0), m.group(2),
                          m.group(3)[2:]) != nik[6:12]:
            errors.append("birth date vs NIK")
    if nik[12:] == "0000":
        errors.append("serial 0000")
    if not re.match(r"^\d{3}/\d{3}$", f["rt_rw"]):
        errors.append("rt_rw")
    if f["blood_type"] not in ("A", "B", "AB", "O", "-"):
        errors.append("blood_type")
    if f["valid_until"] != "SEUMUR HIDUP" and not DATE.match(f["valid_until"]):
        errors.append("valid_until")
    for k, v in f.items():
        if v != v.upper() or v != v.strip() or "  " in v:
            errors.append("%s not upper/trimmed" % k)
    for key in ("district", "village"):
        if not PLAIN.match(f[key]):
            errors.append("%s not plain" % key)
    q = item["qualities"]
    if set(q) != set(QUALITY_NAMES) or q["ktp"] is not True or sorted(d for d in DEFECTS if q[d]) != sorted(item["defects"]):
        errors.append("qualities vs defects")
    return ["%s: %s" % (item["image"], e) for e in errors]


def self_check():
    t0 = time.time()
    # a moderate and a hard card, one per defect, a non-KTP image: about 10 s per run on one core
    small = ["--seed", "2727", "--clean", "0", "--moderate", "1", "--hard", "1", "--flags", "1", "--non-ktp", "1"]
    ns = argparse.Namespace(seed=2727, clean=0, moderate=1, hard=1, flags=1, non_ktp=1)
    import subprocess
    with tempfile.TemporaryDirectory(prefix="ktp-diag-check-") as tmp:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        # the second run in another process (another hash seed), at the same time as the first
        env = dict(os.environ, PYTHONHASHSEED=str(os.getpid() % 1000 + 1))
        other = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--out", b, "--quiet"] + small, env=env)
        ma = generate(ns, a, quiet=True)
        if other.wait() != 0:
            print("self-check FAILED: the second run failed", file=sys.stderr)
            return 1
        names = sorted(os.listdir(a))
        if names != sorted(os.listdir(b)):
            print("self-check FAILED: file lists differ", file=sys.stderr)
            return 1
        for n in names:
            with open(os.path.join(a, n), "rb") as fa, open(os.path.join(b, n), "rb") as fb:
                if fa.read() != fb.read():
                    print("self-check FAILED: %s differs between two runs" % n, file=sys.stderr)
                    return 1
        regions = Regions()
        errors = []
        if len(ma["items"]) != 10:
            errors.append("expected 10 images, got %d" % len(ma["items"]))
        for item in ma["items"]:
            with Image.open(os.path.join(a, item["image"])) as im:
                im.load()
            if item["is_ktp"]:
                errors += check_item(item, regions)
            elif any(item["qualities"].values()) or item["fields"]:
                errors.append("%s: non-KTP with flags or fields" % item["image"])
    # NIK rules on many identities (cheap: no rendering)
    for i in range(1000):
        rng = random.Random("nik-check/%d" % i)
        fields, _, _, _ = make_identity(rng, regions)
        errors += check_item({"image": "identity-%d" % i, "fields": fields, "defects": [],
                              "qualities": qualities(True, [])}, regions)
    if errors:
        print("self-check FAILED:\n  " + "\n  ".join(errors[:30]), file=sys.stderr)
        return 1
    print("ktp-diag self-check OK: %d images identical on two runs, 1000 identities consistent (%.1f s)"
          % (len(ma["items"]), time.time() - t0))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out")
    p.add_argument("--seed", type=int, default=2727)
    p.add_argument("--per-level", type=int)
    p.add_argument("--clean", type=int, default=100)
    p.add_argument("--moderate", type=int, default=100)
    p.add_argument("--hard", type=int, default=100)
    p.add_argument("--non-ktp", type=int, default=30)
    p.add_argument("--flags", type=int, default=12, help="one-defect cards per quality flag")
    p.add_argument("--faces", choices=["default", "wide"], default="default",
                   help="the card faces: the default set, or the wide grotesques (see WIDE_FACES)")
    p.add_argument("--layout", choices=["default", "variants"], default="default",
                   help="variants: upper-case labels, the colon after the label, title-case values, "
                        "wider pitch, column and photo ranges (see layout_variants)")
    p.add_argument("--nik", choices=["default", "tight"], default="default",
                   help="tight: the NIK's digits set 0-7 %% closer and the name row closer under it")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--self-check", action="store_true")
    args = p.parse_args()
    if args.self_check:
        return self_check()
    if not args.out:
        p.error("--out DIR is required")
    if args.per_level is not None:
        args.clean = args.moderate = args.hard = args.per_level
    if args.faces == "wide":
        FACES[:] = WIDE_FACES
    global VARIANTS, TIGHT_NIK
    VARIANTS = args.layout == "variants"
    TIGHT_NIK = args.nik == "tight"
    generate(args, args.out, args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
