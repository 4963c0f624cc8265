// The installed descriptor set (build/share/ktp_v1.protoset) is what tools such
// as grpcurl, Envoy's gRPC-JSON transcoder and Postman need: complete (every
// import included), describing the service, and carrying the comments.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace {

TEST(DescriptorSetTest, DescribesTheServiceWithItsImportsAndComments) {
  std::ifstream in(KTP_DESCRIPTOR_SET, std::ios::binary);
  ASSERT_TRUE(in.good()) << KTP_DESCRIPTOR_SET;
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(bytes.str()));
  // Every file resolves with nothing but the set: imports are included.
  google::protobuf::SimpleDescriptorDatabase database;
  for (const auto& file : set.file()) ASSERT_TRUE(database.Add(file)) << file.name();
  google::protobuf::DescriptorPool pool(&database);
  const google::protobuf::ServiceDescriptor* service = pool.FindServiceByName("ktp.v1.KtpOcr");
  ASSERT_NE(service, nullptr);
  ASSERT_NE(service->FindMethodByName("Read"), nullptr);
  ASSERT_NE(service->FindMethodByName("ReadWithQualities"), nullptr);
  EXPECT_TRUE(service->FindMethodByName("Read")->client_streaming());
  EXPECT_NE(pool.FindMessageTypeByName("google.rpc.ErrorInfo"), nullptr);
  EXPECT_NE(pool.FindMessageTypeByName("google.type.Date"), nullptr);
  // Source info: the service's own comment travels with it.
  google::protobuf::SourceLocation location;
  ASSERT_TRUE(service->GetSourceLocation(&location));
  EXPECT_NE(location.leading_comments.find("Reads KTP images"), std::string::npos);
  // The config schema is not part of the public API.
  EXPECT_EQ(pool.FindMessageTypeByName("ktp.config.v1.GatewayConfig"), nullptr);
}

// Fields the two responses share have the same numbers (typed code handles both alike).
TEST(DescriptorSetTest, TheResponsesShareTheirCommonFieldsAtTheSameNumbers) {
  std::ifstream in(KTP_DESCRIPTOR_SET, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(bytes.str()));
  google::protobuf::SimpleDescriptorDatabase database;
  for (const auto& file : set.file()) database.Add(file);
  google::protobuf::DescriptorPool pool(&database);
  const auto* read = pool.FindMessageTypeByName("ktp.v1.ReadResponse");
  const auto* qualities = pool.FindMessageTypeByName("ktp.v1.ReadWithQualitiesResponse");
  ASSERT_NE(read, nullptr);
  ASSERT_NE(qualities, nullptr);
  for (int i = 0; i < read->field_count(); ++i) {
    const auto* field = read->field(i);
    const auto* twin = qualities->FindFieldByName(field->name());
    ASSERT_NE(twin, nullptr) << field->name();
    EXPECT_EQ(twin->number(), field->number()) << field->name();
    EXPECT_EQ(twin->type(), field->type()) << field->name();
    EXPECT_LT(field->number(), 16) << "1-15 are the shared range";
  }
  EXPECT_GE(qualities->FindFieldByName("qualities")->number(), 16);
}

}  // namespace
