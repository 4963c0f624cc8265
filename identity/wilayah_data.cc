// The Kemendagri region table (data/wilayah/*.tsv, MIT, see its LICENSE)
// compiled into the binary with the assembler's .incbin, so the local reader
// and ktp-synth need no data files at run time. Each blob is NUL-terminated.
#include <string_view>

#ifndef KTP_WILAYAH_REGIONS
#error "KTP_WILAYAH_REGIONS must name data/wilayah/regions.tsv"
#endif

__asm__(
    ".section .rodata\n"
    ".balign 16\n"
    "ktp_wilayah_regions_begin:\n"
    ".incbin \"" KTP_WILAYAH_REGIONS "\"\n"
    "ktp_wilayah_regions_end:\n"
    ".byte 0\n"
    ".balign 16\n"
    "ktp_wilayah_villages_begin:\n"
    ".incbin \"" KTP_WILAYAH_VILLAGES "\"\n"
    "ktp_wilayah_villages_end:\n"
    ".byte 0\n"
    ".previous\n");

extern "C" const char ktp_wilayah_regions_begin[];
extern "C" const char ktp_wilayah_regions_end[];
extern "C" const char ktp_wilayah_villages_begin[];
extern "C" const char ktp_wilayah_villages_end[];

namespace ktp::identity {

std::string_view EmbeddedRegionsTsv() {
  return std::string_view(ktp_wilayah_regions_begin,
                          static_cast<size_t>(ktp_wilayah_regions_end - ktp_wilayah_regions_begin));
}

std::string_view EmbeddedVillagesTsv() {
  return std::string_view(ktp_wilayah_villages_begin,
                          static_cast<size_t>(ktp_wilayah_villages_end - ktp_wilayah_villages_begin));
}

}  // namespace ktp::identity
