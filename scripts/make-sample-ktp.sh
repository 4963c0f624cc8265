#!/usr/bin/env bash
# Renders the SYNTHETIC sample KTP (Indonesian identity card) used by demos and tests, and writes
# the identity the fake upstream returns for it. Nothing here is a real card or a real person.
#
#   scripts/make-sample-ktp.sh            (from anywhere; writes into <repo>/samples/)
#
# Outputs (overwritten):
#   samples/ktp-synthetic.png             ~1000x630 card, 8-bit RGB, metadata stripped
#   samples/ktp-synthetic.jpg             the same card as JPEG, quality 85
#   samples/ktp-synthetic.identity.json   the 17 values printed on the card, upstream camelCase keys
#   samples/not-an-image.txt              a small text file for negative demos
#
# Needs: ImageMagick 6 (`convert`) and the DejaVu Sans fonts
#   apt-get install imagemagick fonts-dejavu-core
# Deterministic: no randomness, no timestamps in the files (-strip), fixed font files; with the
# same ImageMagick and font versions the outputs are byte-identical on every run.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$repo_root/samples"

font_dir="/usr/share/fonts/truetype/dejavu"
FONT="$font_dir/DejaVuSans.ttf"
FONT_BOLD="$font_dir/DejaVuSans-Bold.ttf"

command -v convert >/dev/null 2>&1 || {
  echo "error: ImageMagick 'convert' not found; apt-get install imagemagick" >&2
  exit 1
}
for f in "$FONT" "$FONT_BOLD"; do
  [ -f "$f" ] || { echo "error: font $f not found; apt-get install fonts-dejavu-core" >&2; exit 1; }
done

# ---------------------------------------------------------------------------------------------
# The invented identity. The NIK's region 31.74.03 is Kemendagri's code for Kecamatan Mampang
# Prapatan, Kota Administrasi Jakarta Selatan, DKI Jakarta (Tegal Parang = 31.74.03.1004);
# day 45 = 05 + 40 marks a woman, then month 08, year 92, serial 0003.
# Province and city values follow the vendor's sample: without the "PROVINSI" / "KOTA" prefix
# that the card header prints.
# ---------------------------------------------------------------------------------------------
PROVINSI="DKI JAKARTA"
KOTA_KABUPATEN="JAKARTA SELATAN"
NIK="3174034508920003"
NAMA="SITI RAHAYU CONTOH"
TEMPAT_LAHIR="JAKARTA"
TANGGAL_LAHIR="05-08-1992"
JENIS_KELAMIN="PEREMPUAN"
GOLONGAN_DARAH="O"
ALAMAT="JL. CONTOH SINTETIS NO. 12"
RT_RW="004/009"
KELURAHAN_DESA="TEGAL PARANG"
KECAMATAN="MAMPANG PRAPATAN"
AGAMA="ISLAM"
STATUS_PERKAWINAN="KAWIN"
PEKERJAAN="KARYAWAN SWASTA"
KEWARGANEGARAAN="WNI"
BERLAKU_HINGGA="SEUMUR HIDUP"
ISSUE_PLACE="JAKARTA SELATAN"
ISSUE_DATE="12-08-2017"
WATERMARK="SPECIMEN - DATA SINTETIS"

mkdir -p "$out_dir"

# ---------------------------------------------------------------------------------------------
# Layout (pixels, origin top left). Text offsets are the top-left corner of the text box.
# ---------------------------------------------------------------------------------------------
W=1000 H=630
LABEL_X=36         # label column
INDENT_X=60        # RT/RW, Kel/Desa, Kecamatan sit indented under Alamat, as on real cards
COLON_X=262        # ":" column
VALUE_X=280        # value column
ROW0_Y=176         # first row after NIK
ROW_DY=33          # row pitch
PT=19              # body point size

args=()
row=0
# field LABEL VALUE [X]: one "Label : VALUE" row at the next row position.
field() {
  local label="$1" value="$2" x="${3:-$LABEL_X}"
  local y=$((ROW0_Y + row * ROW_DY))
  args+=(-font "$FONT" -pointsize "$PT" -annotate "+${x}+${y}" "$label"
         -annotate "+${COLON_X}+${y}" ":"
         -annotate "+${VALUE_X}+${y}" "$value")
  row=$((row + 1))
}

field "Nama" "$NAMA"
field "Tempat/Tgl Lahir" "$TEMPAT_LAHIR, $TANGGAL_LAHIR"
# Jenis Kelamin and Gol. Darah share a row.
jk_y=$((ROW0_Y + row * ROW_DY))
field "Jenis Kelamin" "$JENIS_KELAMIN"
args+=(-annotate "+470+${jk_y}" "Gol. Darah" -annotate "+580+${jk_y}" ": $GOLONGAN_DARAH")
field "Alamat" "$ALAMAT"
field "RT/RW" "$RT_RW" "$INDENT_X"
field "Kel/Desa" "$KELURAHAN_DESA" "$INDENT_X"
field "Kecamatan" "$KECAMATAN" "$INDENT_X"
field "Agama" "$AGAMA"
field "Status Perkawinan" "$STATUS_PERKAWINAN"
field "Pekerjaan" "$PEKERJAAN"
field "Kewarganegaraan" "$KEWARGANEGARAAN"
field "Berlaku Hingga" "$BERLAKU_HINGGA"

# Photo placeholder box and its silhouette.
PX0=758 PY0=150 PX1=952 PY1=392
PCX=$(((PX0 + PX1) / 2))

png="$out_dir/ktp-synthetic.png"
jpg="$out_dir/ktp-synthetic.jpg"

convert -size "${W}x${H}" gradient:'#e4f3fc-#a9d3ee' \
  \
  -fill none -stroke 'rgba(255,255,255,0.45)' -strokewidth 2 \
  -draw "path 'M 0,470 C 250,400 450,560 700,470 S 900,420 1000,480'" \
  -draw "path 'M 0,500 C 250,430 450,590 700,500 S 900,450 1000,510'" \
  -draw "path 'M 0,110 C 200,150 500,60 760,120 S 930,150 1000,110'" \
  -stroke 'rgba(70,130,180,0.18)' -strokewidth 3 \
  -draw "ellipse 500,330 220,150 0,360" \
  -draw "ellipse 500,330 160,105 0,360" \
  -stroke none \
  \
  -fill '#0d0d0d' -gravity North \
  -font "$FONT_BOLD" -pointsize 30 -annotate +0+22 "PROVINSI $PROVINSI" \
  -annotate +0+62 "KOTA $KOTA_KABUPATEN" \
  -gravity NorthWest \
  \
  -font "$FONT_BOLD" -pointsize 28 -annotate "+${LABEL_X}+118" "NIK" \
  -annotate "+${COLON_X}+118" ":" \
  -font "$FONT_BOLD" -pointsize 30 -annotate "+${VALUE_X}+116" "$NIK" \
  \
  "${args[@]}" \
  \
  -fill '#c4c4c4' -stroke '#7a7a7a' -strokewidth 2 \
  -draw "rectangle $PX0,$PY0 $PX1,$PY1" -stroke none \
  -fill '#8c8c8c' \
  -draw "ellipse $PCX,$PY1 84,88 180,360" \
  -draw "rectangle $((PCX - 17)),$((PY1 - 110)) $((PCX + 17)),$((PY1 - 80))" \
  -draw "ellipse $PCX,$((PY1 - 150)) 44,54 0,360" \
  -fill none -stroke '#7a7a7a' -strokewidth 2 \
  -draw "rectangle $PX0,$PY0 $PX1,$PY1" -stroke none \
  \
  -fill '#0d0d0d' -font "$FONT" -pointsize 17 -gravity NorthWest \
  -annotate "+$((PCX - 77))+$((PY1 + 12))" "$ISSUE_PLACE" \
  -annotate "+$((PCX - 48))+$((PY1 + 36))" "$ISSUE_DATE" \
  -fill none -stroke '#1a1a40' -strokewidth 2.5 \
  -draw "path 'M 790,500 C 800,455 822,455 815,492 C 810,520 832,470 848,468 C 862,466 846,506 858,500 C 872,494 880,470 892,476 C 904,482 892,506 918,488'" \
  -draw "path 'M 800,512 C 840,504 880,506 924,498'" \
  -stroke none \
  \
  -fill 'rgba(200,20,20,0.30)' -font "$FONT_BOLD" -pointsize 58 -gravity Center \
  -annotate 342x342+0+40 "$WATERMARK" \
  -fill 'rgba(200,20,20,0.85)' -pointsize 14 -gravity SouthEast \
  -annotate +14+10 "$WATERMARK - BUKAN KTP ASLI" \
  \
  -depth 8 -type TrueColor -strip \
  -define png:compression-level=9 -define png:compression-filter=5 \
  -define png:exclude-chunks=date,time \
  "$png"

convert "$png" -strip -quality 85 -sampling-factor 2x2 -interlace none "$jpg"

# ---------------------------------------------------------------------------------------------
# The identity printed on the card, keyed as the upstream's `read` object (camelCase).
# ---------------------------------------------------------------------------------------------
json_str() {
  case "$1" in *'"'* | *'\'*) echo "error: value needs JSON escaping: $1" >&2; exit 1 ;; esac
  printf '"%s"' "$1"
}
{
  printf '{\n'
  printf '  "agama": %s,\n' "$(json_str "$AGAMA")"
  printf '  "alamat": %s,\n' "$(json_str "$ALAMAT")"
  printf '  "berlakuHingga": %s,\n' "$(json_str "$BERLAKU_HINGGA")"
  printf '  "golonganDarah": %s,\n' "$(json_str "$GOLONGAN_DARAH")"
  printf '  "jenisKelamin": %s,\n' "$(json_str "$JENIS_KELAMIN")"
  printf '  "kecamatan": %s,\n' "$(json_str "$KECAMATAN")"
  printf '  "kelurahanDesa": %s,\n' "$(json_str "$KELURAHAN_DESA")"
  printf '  "kewarganegaraan": %s,\n' "$(json_str "$KEWARGANEGARAAN")"
  printf '  "kotaKabupaten": %s,\n' "$(json_str "$KOTA_KABUPATEN")"
  printf '  "nama": %s,\n' "$(json_str "$NAMA")"
  printf '  "nik": %s,\n' "$(json_str "$NIK")"
  printf '  "pekerjaan": %s,\n' "$(json_str "$PEKERJAAN")"
  printf '  "provinsi": %s,\n' "$(json_str "$PROVINSI")"
  printf '  "rtRw": %s,\n' "$(json_str "$RT_RW")"
  printf '  "statusPerkawinan": %s,\n' "$(json_str "$STATUS_PERKAWINAN")"
  printf '  "tanggalLahir": %s,\n' "$(json_str "$TANGGAL_LAHIR")"
  printf '  "tempatLahir": %s\n' "$(json_str "$TEMPAT_LAHIR")"
  printf '}\n'
} >"$out_dir/ktp-synthetic.identity.json"

cat >"$out_dir/not-an-image.txt" <<'EOF'
This is a plain text file, not an image. It is used in negative demos and tests:
uploading it to ktp-gateway must fail with INVALID_ARGUMENT (FILE_INVALID_FORMAT).
EOF

for f in "$png" "$jpg" "$out_dir/ktp-synthetic.identity.json" "$out_dir/not-an-image.txt"; do
  printf '%-50s %8d bytes\n' "${f#"$repo_root"/}" "$(wc -c <"$f")"
done
