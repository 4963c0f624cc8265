package id.ktp.examples;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.QuotaFailure;
import com.google.rpc.RetryInfo;
import com.google.type.Date;
import id.ktp.v1.DocumentVerdict;
import id.ktp.v1.Engine;
import id.ktp.v1.ImageMetadata;
import id.ktp.v1.ImageQualities;
import id.ktp.v1.KtpCard;
import id.ktp.v1.KtpOcrGrpc;
import id.ktp.v1.ReadRequest;
import id.ktp.v1.ReadResponse;
import id.ktp.v1.ReadStatus;
import id.ktp.v1.ReadWithQualitiesRequest;
import id.ktp.v1.ReadWithQualitiesResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streams an image to ktp-gateway and prints the typed answer, or the gRPC error with its
 * google.rpc details.
 *
 * <pre>java id.ktp.examples.KtpClient [--target HOST:PORT] [--qualities] [--request-id ID] IMAGE</pre>
 *
 * <p>KTP_TOKEN, when set, is sent as "authorization: Bearer &lt;token&gt;".
 */
public final class KtpClient {
  private static final int CHUNK_SIZE = 64 * 1024;
  private static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> UPSTREAM_REQUEST_ID =
      Metadata.Key.of("x-upstream-request-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Collects the single response of a client-streaming call. */
  private static final class Result<T> implements StreamObserver<T> {
    final CompletableFuture<T> future = new CompletableFuture<>();
    private T value;

    @Override public void onNext(T response) { value = response; }
    @Override public void onError(Throwable t) { future.completeExceptionally(t); }
    @Override public void onCompleted() { future.complete(value); }
  }

  /** Builds the request messages of one RPC (ReadRequest or ReadWithQualitiesRequest). */
  private interface RequestFactory<R> {
    R metadata(ImageMetadata metadata);
    R chunk(ByteString chunk);
  }

  /** Writes the metadata message, then the file in chunks, and half-closes the stream. */
  private static <R> void upload(Path image, StreamObserver<R> requests, RequestFactory<R> factory)
      throws IOException {
    try (InputStream in = Files.newInputStream(image)) {
      requests.onNext(factory.metadata(
          ImageMetadata.newBuilder().setFileName(image.getFileName().toString()).build()));
      // Images are at most a few MiB: writing without waiting for isReady() is fine here.
      byte[] buffer = new byte[CHUNK_SIZE];
      for (int n; (n = in.readNBytes(buffer, 0, CHUNK_SIZE)) > 0; ) {
        requests.onNext(factory.chunk(ByteString.copyFrom(buffer, 0, n)));
      }
    } catch (IOException e) {
      requests.onError(Status.CANCELLED.withDescription("cannot read the image").asException());
      throw e;
    }
    requests.onCompleted();
  }

  private static void printCommon(ReadStatus status, String reason, DocumentVerdict document,
      Engine engine, KtpCard card) {
    System.out.println("status: " + status);
    System.out.println("reason: " + reason);
    System.out.println("document: " + document);
    System.out.println("engine: " + engine);
    System.out.println("nik: " + card.getNik().getValue());
    System.out.println("name: " + card.getName().getValue());
    if (card.getBirthDate().hasDateValue()) {
      Date d = card.getBirthDate().getDateValue();
      System.out.printf("birth_date: %s (%04d-%02d-%02d)%n", card.getBirthDate().getValue(),
          d.getYear(), d.getMonth(), d.getDay());
    } else {
      System.out.println("birth_date: " + card.getBirthDate().getValue());
    }
  }

  private static void print(ReadResponse r) {
    printCommon(r.getStatus(), r.getReason(), r.getDocument(), r.getEngine(), r.getCard());
    System.out.println("request_id: " + r.getRequestId());
    System.out.println("upstream_request_id: " + r.getUpstreamRequestId());
  }

  private static void print(ReadWithQualitiesResponse r) {
    printCommon(r.getStatus(), r.getReason(), r.getDocument(), r.getEngine(), r.getCard());
    if (r.hasQualities()) {
      ImageQualities q = r.getQualities();
      System.out.printf("qualities: ktp=%b blurred=%b dark=%b flash=%b cropped=%b%n",
          q.getKtp(), q.getBlurred(), q.getDark(), q.getFlash(), q.getCropped());
    }
    System.out.println("request_id: " + r.getRequestId());
    System.out.println("upstream_request_id: " + r.getUpstreamRequestId());
  }

  private static void printError(Throwable t) throws InvalidProtocolBufferException {
    Status status = Status.fromThrowable(t);
    System.out.printf("error: %s (%d): %s%n", status.getCode(), status.getCode().value(),
        status.getDescription());
    com.google.rpc.Status details = StatusProto.fromThrowable(t); // grpc-status-details-bin
    if (details == null) {
      return;
    }
    for (Any detail : details.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        ErrorInfo info = detail.unpack(ErrorInfo.class);
        System.out.printf("reason: %s (domain %s)%n", info.getReason(), info.getDomain());
        new TreeMap<>(info.getMetadataMap()).forEach((k, v) -> System.out.printf("  %s=%s%n", k, v));
      } else if (detail.is(RetryInfo.class)) {
        Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
        System.out.printf("retry_delay: %.3fs%n", delay.getSeconds() + delay.getNanos() / 1e9);
      } else if (detail.is(QuotaFailure.class)) {
        for (QuotaFailure.Violation v : detail.unpack(QuotaFailure.class).getViolationsList()) {
          System.out.printf("quota_violation: %s (%s)%n", v.getSubject(), v.getDescription());
        }
      } else if (detail.is(BadRequest.class)) {
        for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
          System.out.printf("bad_request: %s (%s)%n", v.getField(), v.getDescription());
        }
      }
    }
  }

  private static int usage() {
    System.err.println(
        "usage: KtpClient [--target HOST:PORT] [--qualities] [--request-id ID] IMAGE");
    return 2;
  }

  static int run(String[] args) throws Exception {
    String target = "localhost:50051";
    String requestId = null;
    boolean qualities = false;
    long timeoutSeconds = 30;
    Path image = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--target": if (++i == args.length) return usage(); target = args[i]; break;
        case "--request-id": if (++i == args.length) return usage(); requestId = args[i]; break;
        case "--timeout": if (++i == args.length) return usage(); timeoutSeconds = Long.parseLong(args[i]); break;
        case "--qualities": qualities = true; break;
        default:
          if (args[i].startsWith("--") || image != null) return usage();
          image = Path.of(args[i]);
      }
    }
    if (image == null) return usage();
    if (!Files.isReadable(image)) {
      System.err.println("cannot read " + image);
      return 2;
    }

    Metadata extraHeaders = new Metadata();
    if (requestId != null) extraHeaders.put(REQUEST_ID, requestId);
    String token = System.getenv("KTP_TOKEN");
    if (token != null && !token.isEmpty()) extraHeaders.put(AUTHORIZATION, "Bearer " + token);
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();

    // Plaintext for a local gateway; drop usePlaintext() to use TLS in production.
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    try {
      KtpOcrGrpc.KtpOcrStub stub = KtpOcrGrpc.newStub(channel)
          .withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(extraHeaders),
              MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
      int exitCode = 0;
      try {
        if (qualities) {
          Result<ReadWithQualitiesResponse> result = new Result<>();
          upload(image, stub.readWithQualities(result), new RequestFactory<ReadWithQualitiesRequest>() {
            public ReadWithQualitiesRequest metadata(ImageMetadata m) {
              return ReadWithQualitiesRequest.newBuilder().setMetadata(m).build();
            }
            public ReadWithQualitiesRequest chunk(ByteString c) {
              return ReadWithQualitiesRequest.newBuilder().setChunk(c).build();
            }
          });
          print(result.future.get());
        } else {
          Result<ReadResponse> result = new Result<>();
          upload(image, stub.read(result), new RequestFactory<ReadRequest>() {
            public ReadRequest metadata(ImageMetadata m) {
              return ReadRequest.newBuilder().setMetadata(m).build();
            }
            public ReadRequest chunk(ByteString c) {
              return ReadRequest.newBuilder().setChunk(c).build();
            }
          });
          print(result.future.get());
        }
      } catch (ExecutionException e) {
        printError(e.getCause());
        exitCode = 1;
      }
      Metadata h = headers.get(); // null when no response headers arrived (e.g. no connection)
      if (h != null && h.containsKey(REQUEST_ID)) {
        System.out.println("x-request-id header: " + h.get(REQUEST_ID));
      }
      if (h != null && h.containsKey(UPSTREAM_REQUEST_ID)) {
        System.out.println("x-upstream-request-id header: " + h.get(UPSTREAM_REQUEST_ID));
      }
      return exitCode;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  public static void main(String[] args) throws Exception {
    System.exit(run(args));
  }
}
