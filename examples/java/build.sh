#!/usr/bin/env bash
# Builds the Java example with javac and Debian's jars (no Maven Central):
# generates the ktp.v1, google.type and google.rpc classes with protoc and
# grpc_java_plugin, compiles them with the client into OUT/classes, and writes
# OUT/classpath (the run-time class path).
#   examples/java/build.sh OUT
#   java -cp "$(cat OUT/classpath)" id.ktp.examples.KtpClient IMAGE
# Needs: default-jdk-headless protobuf-compiler protobuf-compiler-grpc-java-plugin
#        libprotobuf-java libgrpc-java libnetty-java libperfmark-java libguava-java
#        libgeronimo-annotation-1.3-spec-java
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../../proto
out=$(mkdir -p "${1:?usage: build.sh OUT}" && cd "$1" && pwd)
jars=${JAVA_LIBDIR:-/usr/share/java}

classpath() { local IFS=:; echo "${*/#/$jars/}"; }
# Debian's proto-google-common-protos (1.16) has no ErrorInfo: google.rpc is
# generated from the vendored protos instead, so that jar stays off the path.
compile_cp=$(classpath protobuf.jar grpc-api.jar grpc-stub.jar grpc-protobuf.jar \
  grpc-protobuf-lite.jar guava.jar geronimo-annotation-1.3-spec.jar)
# geronimo-annotation: javax.annotation.Generated, which grpc_java_plugin 1.41 emits
# (source retention: compile time only). Netty and perfmark are needed at run time.
run_cp=$(classpath protobuf.jar grpc-api.jar grpc-context.jar grpc-core.jar grpc-stub.jar \
  grpc-protobuf.jar grpc-protobuf-lite.jar grpc-netty.jar guava.jar perfmark-api.jar \
  netty-buffer.jar netty-codec.jar netty-codec-http.jar netty-codec-http2.jar netty-common.jar \
  netty-handler.jar netty-resolver.jar netty-transport.jar)

rm -rf "$out/generated" "$out/classes"
mkdir -p "$out/generated" "$out/classes"
protoc -I "$proto" --java_out="$out/generated" --grpc-java_out="$out/generated" \
  --plugin=protoc-gen-grpc-java="$(command -v grpc_java_plugin)" \
  ktp/v1/ktp_ocr.proto google/type/date.proto google/rpc/status.proto google/rpc/error_details.proto
find "$out/generated" "$here/src/main/java" -name '*.java' >"$out/sources.txt"
javac -nowarn -encoding UTF-8 -d "$out/classes" -cp "$compile_cp" @"$out/sources.txt"
echo "$out/classes:$run_cp" >"$out/classpath"
