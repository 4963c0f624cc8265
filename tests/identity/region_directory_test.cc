// RegionDirectory: parsing the Kemendagri table and the embedded copy.
#include "identity/region_directory.h"

#include "gtest/gtest.h"

namespace ktp::reader {
namespace {

TEST(RegionDirectoryTest, ParsesLevelsNamesAndChildren) {
  auto dir = identity::RegionDirectory::Parse(
      "32\tJawa Barat\n32.04\tKabupaten Bandung\n32.73\tKota Bandung \n32.04.12\tCibiru\n",
      "32.04.12.2001\tCibiru Wetan\n");
  ASSERT_TRUE(dir.ok()) << dir.status();
  const identity::Region* province = dir->Find("32");
  ASSERT_NE(province, nullptr);
  EXPECT_EQ(province->level, 1);
  EXPECT_EQ(province->ktp_name, "JAWA BARAT");
  const identity::Region* regency = dir->Find("32.04");
  ASSERT_NE(regency, nullptr);
  EXPECT_EQ(regency->ktp_name, "BANDUNG");
  EXPECT_FALSE(regency->is_city);
  const identity::Region* city = dir->Find("32.73");
  ASSERT_NE(city, nullptr);
  EXPECT_EQ(city->ktp_name, "BANDUNG");  // trailing space in the table dropped
  EXPECT_TRUE(city->is_city);
  ASSERT_EQ(dir->Children("32").size(), 2u);
  ASSERT_EQ(dir->Children("32.04.12").size(), 1u);
  EXPECT_EQ(dir->Children("32.04.12")[0]->ktp_name, "CIBIRU WETAN");
  EXPECT_EQ(dir->Children("").size(), 1u);
  EXPECT_EQ(dir->Level(3).size(), 1u);
  EXPECT_EQ(dir->Find("99"), nullptr);
  EXPECT_TRUE(dir->Children("99").empty());
}

TEST(RegionDirectoryTest, RejectsMalformedLinesAndDuplicates) {
  EXPECT_FALSE(identity::RegionDirectory::Parse("32 Jawa Barat\n", "").ok());
  EXPECT_FALSE(identity::RegionDirectory::Parse("3a\tX\n", "").ok());
  EXPECT_FALSE(identity::RegionDirectory::Parse("32\tA\n32\tB\n", "").ok());
  EXPECT_FALSE(identity::RegionDirectory::Parse("32.\tA\n", "").ok());
}

TEST(RegionDirectoryTest, DistrictCodeOfNik) {
  EXPECT_EQ(identity::RegionDirectory::DistrictCodeOfNik("1871010907930009"), "18.71.01");
  EXPECT_EQ(identity::RegionDirectory::DistrictCodeOfNik("18710"), "");
  EXPECT_EQ(identity::RegionDirectory::DistrictCodeOfNik("18A1010907930009"), "");
}

TEST(RegionDirectoryTest, EmbeddedTableIsTheWholeKemendagriList) {
  const identity::RegionDirectory& dir = identity::RegionDirectory::Embedded();
  EXPECT_EQ(dir.Level(1).size(), 38u);
  EXPECT_EQ(dir.Level(2).size(), 514u);
  EXPECT_EQ(dir.Level(3).size(), 7285u);
  EXPECT_EQ(dir.Level(4).size(), 83762u);
  // The vendor's sample NIK: Lampung / Kota Bandar Lampung / Kedaton.
  const identity::Region* district = dir.Find(identity::RegionDirectory::DistrictCodeOfNik("1871010907930009"));
  ASSERT_NE(district, nullptr);
  EXPECT_EQ(district->ktp_name, "KEDATON");
  EXPECT_EQ(dir.Find("18.71")->ktp_name, "BANDAR LAMPUNG");
  EXPECT_TRUE(dir.Find("18.71")->is_city);
  EXPECT_EQ(dir.Find("18")->ktp_name, "LAMPUNG");
  EXPECT_EQ(dir.Find("31.71")->ktp_name, "JAKARTA PUSAT");
  EXPECT_EQ(dir.Find("31")->ktp_name, "DKI JAKARTA");
  EXPECT_EQ(dir.Find("34")->ktp_name, "DI YOGYAKARTA");
  EXPECT_FALSE(dir.Children("18.71.01").empty());
  EXPECT_EQ(&dir, &identity::RegionDirectory::Embedded());
}

}  // namespace
}  // namespace ktp::reader
