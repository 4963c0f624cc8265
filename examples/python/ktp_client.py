#!/usr/bin/env python3
"""Streams an image to ktp-gateway and prints the typed answer, or the gRPC
error with its google.rpc details.

    ktp_client.py [--target HOST:PORT] [--qualities] [--request-id ID] IMAGE

KTP_TOKEN, when set, is sent as "authorization: Bearer <token>".
Needs the stubs of proto/ on PYTHONPATH (see examples/README.md).
"""
import argparse
import os
import sys

import grpc
from google.rpc import error_details_pb2, status_pb2
from ktp.v1 import ktp_ocr_pb2 as pb
from ktp.v1 import ktp_ocr_pb2_grpc as rpc

CHUNK_SIZE = 64 * 1024


def upload(image, message_type):
    """The request stream: metadata first, then the bytes in chunks."""
    yield message_type(metadata=pb.ImageMetadata(file_name=os.path.basename(image.name)))
    while chunk := image.read(CHUNK_SIZE):
        yield message_type(chunk=chunk)


def print_response(resp):
    print("status:", pb.ReadStatus.Name(resp.status))
    print("reason:", resp.reason)
    print("document:", pb.DocumentVerdict.Name(resp.document))
    print("engine:", pb.Engine.Name(resp.engine))
    card = resp.card
    print("nik:", card.nik.value)
    print("name:", card.name.value)
    if card.birth_date.HasField("date_value"):
        d = card.birth_date.date_value
        print(f"birth_date: {card.birth_date.value} ({d.year:04d}-{d.month:02d}-{d.day:02d})")
    else:
        print("birth_date:", card.birth_date.value)
    if isinstance(resp, pb.ReadWithQualitiesResponse) and resp.HasField("qualities"):
        q = resp.qualities
        print(f"qualities: ktp={q.ktp} blurred={q.blurred} dark={q.dark} "
              f"flash={q.flash} cropped={q.cropped}")
    print("request_id:", resp.request_id)
    print("upstream_request_id:", resp.upstream_request_id)


def rich_status(error):
    """The google.rpc.Status in the grpc-status-details-bin trailer, or None.

    (grpcio-status's grpc_status.rpc_status.from_call does the same; Debian
    does not package it.)
    """
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


def print_error(error):
    code = error.code()
    print(f"error: {code.name} ({code.value[0]}): {error.details()}")
    status = rich_status(error)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            print(f"reason: {info.reason} (domain {info.domain})")
            for key in sorted(info.metadata):
                print(f"  {key}={info.metadata[key]}")
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            print(f"retry_delay: {retry.retry_delay.ToTimedelta().total_seconds():.3f}s")
        elif detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
            quota = error_details_pb2.QuotaFailure()
            detail.Unpack(quota)
            for v in quota.violations:
                print(f"quota_violation: {v.subject} ({v.description})")
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            for v in bad.field_violations:
                print(f"bad_request: {v.field} ({v.description})")


def print_headers(call):
    headers = dict(call.initial_metadata() or ())
    for key in ("x-request-id", "x-upstream-request-id"):
        if key in headers:
            print(f"{key} header: {headers[key]}")


def main():
    parser = argparse.ArgumentParser(description="Read a KTP image through ktp-gateway.")
    parser.add_argument("image")
    parser.add_argument("--target", default="localhost:50051", help="gateway address")
    parser.add_argument("--qualities", action="store_true",
                        help="call ReadWithQualities instead of Read")
    parser.add_argument("--request-id", help="send this x-request-id")
    parser.add_argument("--timeout", type=float, default=30, help="deadline in seconds")
    args = parser.parse_args()

    metadata = []
    if args.request_id:
        metadata.append(("x-request-id", args.request_id))
    if os.environ.get("KTP_TOKEN"):
        metadata.append(("authorization", "Bearer " + os.environ["KTP_TOKEN"]))

    # Plaintext for a local gateway; use grpc.secure_channel with
    # grpc.ssl_channel_credentials() in production.
    with grpc.insecure_channel(args.target) as channel, open(args.image, "rb") as image:
        stub = rpc.KtpOcrStub(channel)
        if args.qualities:
            method, message_type = stub.ReadWithQualities, pb.ReadWithQualitiesRequest
        else:
            method, message_type = stub.Read, pb.ReadRequest
        try:
            resp, call = method.with_call(upload(image, message_type),
                                          timeout=args.timeout, metadata=metadata)
        except grpc.RpcError as error:  # also a grpc.Call: code, details, metadata
            print_error(error)
            print_headers(error)
            return 1
        print_response(resp)
        print_headers(call)
        return 0


if __name__ == "__main__":
    sys.exit(main())
