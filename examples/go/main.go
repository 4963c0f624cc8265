// Command ktp-client streams an image to ktp-gateway and prints the typed answer,
// or the gRPC error with its google.rpc details.
//
//	ktp-client [--target HOST:PORT] [--qualities] [--request-id ID] IMAGE
//
// KTP_TOKEN, when set, is sent as "authorization: Bearer <token>".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	ktpv1 "github.com/ktp-gateway/ktp-gateway/gen/go/ktp/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const chunkSize = 64 * 1024

// response is what ReadResponse and ReadWithQualitiesResponse share (fields 1–15).
type response interface {
	GetStatus() ktpv1.ReadStatus
	GetReason() string
	GetDocument() ktpv1.DocumentVerdict
	GetEngine() ktpv1.Engine
	GetCard() *ktpv1.KtpCard
	GetRequestId() string
	GetUpstreamRequestId() string
}

// upload sends the metadata message, then the file in chunks, through send.
func upload(path string, send func(meta *ktpv1.ImageMetadata, chunk []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := send(&ktpv1.ImageMetadata{FileName: filepath.Base(path)}, nil); err != nil {
		return err
	}
	buf := make([]byte, chunkSize)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if err := send(nil, buf[:n]); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func read(ctx context.Context, client ktpv1.KtpOcrClient, path string, header *metadata.MD) (response, error) {
	stream, err := client.Read(ctx, grpc.Header(header))
	if err != nil {
		return nil, err
	}
	err = upload(path, func(meta *ktpv1.ImageMetadata, chunk []byte) error {
		if meta != nil {
			return stream.Send(&ktpv1.ReadRequest{Payload: &ktpv1.ReadRequest_Metadata{Metadata: meta}})
		}
		return stream.Send(&ktpv1.ReadRequest{Payload: &ktpv1.ReadRequest_Chunk{Chunk: chunk}})
	})
	// Send returns io.EOF when the server has already ended the call: the
	// real status comes from CloseAndRecv.
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return stream.CloseAndRecv()
}

func readWithQualities(ctx context.Context, client ktpv1.KtpOcrClient, path string, header *metadata.MD) (response, error) {
	stream, err := client.ReadWithQualities(ctx, grpc.Header(header))
	if err != nil {
		return nil, err
	}
	err = upload(path, func(meta *ktpv1.ImageMetadata, chunk []byte) error {
		if meta != nil {
			return stream.Send(&ktpv1.ReadWithQualitiesRequest{Payload: &ktpv1.ReadWithQualitiesRequest_Metadata{Metadata: meta}})
		}
		return stream.Send(&ktpv1.ReadWithQualitiesRequest{Payload: &ktpv1.ReadWithQualitiesRequest_Chunk{Chunk: chunk}})
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return stream.CloseAndRecv()
}

func printResponse(resp response) {
	fmt.Println("status:", resp.GetStatus())
	fmt.Println("reason:", resp.GetReason())
	fmt.Println("document:", resp.GetDocument())
	fmt.Println("engine:", resp.GetEngine())
	card := resp.GetCard()
	fmt.Println("nik:", card.GetNik().GetValue())
	fmt.Println("name:", card.GetName().GetValue())
	birth := card.GetBirthDate()
	if d := birth.GetDateValue(); d != nil {
		fmt.Printf("birth_date: %s (%04d-%02d-%02d)\n", birth.GetValue(), d.GetYear(), d.GetMonth(), d.GetDay())
	} else {
		fmt.Println("birth_date:", birth.GetValue())
	}
	if q, ok := resp.(*ktpv1.ReadWithQualitiesResponse); ok && q.GetQualities() != nil {
		qs := q.GetQualities()
		fmt.Printf("qualities: ktp=%t blurred=%t dark=%t flash=%t cropped=%t\n",
			qs.GetKtp(), qs.GetBlurred(), qs.GetDark(), qs.GetFlash(), qs.GetCropped())
	}
	fmt.Println("request_id:", resp.GetRequestId())
	fmt.Println("upstream_request_id:", resp.GetUpstreamRequestId())
}

func printError(err error) {
	st := status.Convert(err)
	fmt.Printf("error: %s (%d): %s\n", st.Code(), st.Code(), st.Message())
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			fmt.Printf("reason: %s (domain %s)\n", d.GetReason(), d.GetDomain())
			keys := make([]string, 0, len(d.GetMetadata()))
			for k := range d.GetMetadata() {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Printf("  %s=%s\n", k, d.GetMetadata()[k])
			}
		case *errdetails.RetryInfo:
			delay := time.Duration(d.GetRetryDelay().GetSeconds())*time.Second +
				time.Duration(d.GetRetryDelay().GetNanos())
			fmt.Printf("retry_delay: %.3fs\n", delay.Seconds())
		case *errdetails.QuotaFailure:
			for _, v := range d.GetViolations() {
				fmt.Printf("quota_violation: %s (%s)\n", v.GetSubject(), v.GetDescription())
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				fmt.Printf("bad_request: %s (%s)\n", v.GetField(), v.GetDescription())
			}
		}
	}
}

func main() {
	target := flag.String("target", "localhost:50051", "gateway address")
	qualities := flag.Bool("qualities", false, "call ReadWithQualities instead of Read")
	requestID := flag.String("request-id", "", "send this x-request-id (default: the gateway makes one)")
	timeout := flag.Duration("timeout", 30*time.Second, "deadline of the call")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: ktp-client [--target HOST:PORT] [--qualities] [--request-id ID] IMAGE")
		os.Exit(2)
	}

	// Plaintext for a local gateway; use grpc.WithTransportCredentials(credentials.NewTLS(...)) in
	// production. (grpc-go 1.34+ spells plaintext grpc.WithTransportCredentials(insecure.NewCredentials());
	// Debian bookworm has 1.33.)
	conn, err := grpc.Dial(*target, grpc.WithInsecure())
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := ktpv1.NewKtpOcrClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *requestID != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", *requestID)
	}
	if token := os.Getenv("KTP_TOKEN"); token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}

	var header metadata.MD // the response headers, filled in when they arrive
	var resp response
	if *qualities {
		resp, err = readWithQualities(ctx, client, flag.Arg(0), &header)
	} else {
		resp, err = read(ctx, client, flag.Arg(0), &header)
	}
	if err == nil {
		printResponse(resp)
	} else if _, isStatus := status.FromError(err); isStatus {
		printError(err)
	} else {
		fmt.Fprintln(os.Stderr, "error:", err) // e.g. the file could not be opened
	}
	for _, key := range []string{"x-request-id", "x-upstream-request-id"} {
		if v := header.Get(key); len(v) > 0 {
			fmt.Printf("%s header: %s\n", key, v[0])
		}
	}
	if err != nil {
		os.Exit(1)
	}
}
