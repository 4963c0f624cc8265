// Test helper: a JPEG with an EXIF orientation tag, built by inserting an APP1
// "Exif" segment (TIFF header, IFD0 with the one tag 0x0112) after the SOI
// marker of an encoded JPEG — what a phone writes when it was held sideways.
#ifndef KTP_TESTS_READER_EXIF_TEST_UTIL_H_
#define KTP_TESTS_READER_EXIF_TEST_UTIL_H_

#include <string>

namespace ktp::reader::testing {

inline std::string WithExifOrientation(const std::string& jpeg, int orientation, bool big_endian = true) {
  auto u16 = [&](int v) {
    return big_endian ? std::string{char((v >> 8) & 0xff), char(v & 0xff)}
                      : std::string{char(v & 0xff), char((v >> 8) & 0xff)};
  };
  auto u32 = [&](long v) {
    return big_endian ? u16(int(v >> 16)) + u16(int(v & 0xffff)) : u16(int(v & 0xffff)) + u16(int(v >> 16));
  };
  std::string tiff = big_endian ? "MM" : "II";
  tiff += u16(42) + u32(8);                       // IFD0 right after the header
  tiff += u16(2);                                 // two entries
  tiff += u16(0x010F) + u16(2) + u32(4) + "KTP"; // Make = "KTP\0" (inline ASCII)
  tiff += std::string(1, '\0');
  tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0);
  tiff += u32(0);                                 // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const int len = static_cast<int>(payload.size()) + 2;
  std::string app1 = "\xFF\xE1";
  app1 += char((len >> 8) & 0xff);
  app1 += char(len & 0xff);
  app1 += payload;
  return jpeg.substr(0, 2) + app1 + jpeg.substr(2);
}

}  // namespace ktp::reader::testing

#endif  // KTP_TESTS_READER_EXIF_TEST_UTIL_H_
