#!/usr/bin/env node
// Streams an image to ktp-gateway and prints the typed answer, or the gRPC error
// with its google.rpc details.
//
//   node ktp_client.js [--target HOST:PORT] [--qualities] [--request-id ID] IMAGE
//
// KTP_TOKEN, when set, is sent as "authorization: Bearer <token>". The protos are
// loaded at run time from ../../proto (or $KTP_PROTO_DIR): no generated code.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { once } = require('node:events');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = process.env.KTP_PROTO_DIR || path.join(__dirname, '..', '..', 'proto');
const CHUNK_SIZE = 64 * 1024;

// keepCase: field names as in the .proto (file_name, request_id); oneofs: sets
// `payload` to the name of the oneof member present; enums as their names.
const packageDefinition = protoLoader.loadSync('ktp/v1/ktp_ocr.proto', {
  includeDirs: [PROTO_DIR],
  keepCase: true,
  oneofs: true,
  enums: String,
  longs: String,
  defaults: true,
});
const ktp = grpc.loadPackageDefinition(packageDefinition).ktp.v1;

// The google.rpc messages of grpc-status-details-bin, decoded with protobufjs
// (google/protobuf/any.proto and duration.proto are built into it).
const rpcTypes = new protobuf.Root();
rpcTypes.resolvePath = (origin, target) => path.join(PROTO_DIR, target);
rpcTypes.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
const RpcStatus = rpcTypes.lookupType('google.rpc.Status');

function codeName(code) {
  return Object.keys(grpc.status).find((name) => grpc.status[name] === code) || 'UNKNOWN';
}

// Calls a client-streaming method: metadata first, then the file in chunks.
// Resolves with { response, headers }; rejects with the ServiceError, to which
// the response headers are attached as `headers`.
async function upload(method, file, callMetadata, deadline) {
  let headers = new grpc.Metadata();
  let finished = false;
  let call;
  const result = new Promise((resolve, reject) => {
    call = method(callMetadata, { deadline }, (err, response) => {
      finished = true;
      if (err) {
        err.headers = headers;
        reject(err);
      } else {
        resolve({ response, headers });
      }
    });
  });
  result.catch(() => {}); // handled by the caller; don't report it as unhandled meanwhile
  call.on('metadata', (md) => { headers = md; });

  call.write({ metadata: { file_name: path.basename(file) } });
  for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK_SIZE })) {
    if (finished) break; // the gateway already answered (an error): stop sending
    if (!call.write({ chunk })) {
      await Promise.race([once(call, 'drain'), result.catch(() => {})]);
    }
  }
  call.end();
  return result;
}

function printResponse(resp, qualities) {
  console.log('status:', resp.status);
  console.log('reason:', resp.reason);
  console.log('document:', resp.document);
  console.log('engine:', resp.engine);
  const card = resp.card || {};
  const birth = card.birth_date;
  console.log('nik:', card.nik ? card.nik.value : '');
  console.log('name:', card.name ? card.name.value : '');
  if (birth && birth.date_value) {
    const d = birth.date_value;
    const pad = (n, w) => String(n).padStart(w, '0');
    console.log(`birth_date: ${birth.value} (${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)})`);
  } else {
    console.log('birth_date:', birth ? birth.value : '');
  }
  if (qualities && resp.qualities) {
    const q = resp.qualities;
    console.log(`qualities: ktp=${q.ktp} blurred=${q.blurred} dark=${q.dark} flash=${q.flash} cropped=${q.cropped}`);
  }
  console.log('request_id:', resp.request_id);
  console.log('upstream_request_id:', resp.upstream_request_id);
}

function printError(err) {
  console.log(`error: ${codeName(err.code)} (${err.code}): ${err.details}`);
  const [detailsBin] = err.metadata ? err.metadata.get('grpc-status-details-bin') : [];
  if (!detailsBin) return;
  for (const any of RpcStatus.decode(detailsBin).details) {
    const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    let type;
    try {
      type = rpcTypes.lookupType(typeName);
    } catch {
      continue; // a detail type this client does not know
    }
    const detail = type.toObject(type.decode(any.value), { longs: Number });
    switch (typeName) {
      case 'google.rpc.ErrorInfo':
        console.log(`reason: ${detail.reason} (domain ${detail.domain})`);
        for (const key of Object.keys(detail.metadata || {}).sort()) {
          console.log(`  ${key}=${detail.metadata[key]}`);
        }
        break;
      case 'google.rpc.RetryInfo': {
        const delay = detail.retryDelay || {};
        console.log(`retry_delay: ${((delay.seconds || 0) + (delay.nanos || 0) / 1e9).toFixed(3)}s`);
        break;
      }
      case 'google.rpc.QuotaFailure':
        for (const v of detail.violations || []) {
          console.log(`quota_violation: ${v.subject} (${v.description})`);
        }
        break;
      case 'google.rpc.BadRequest':
        for (const v of detail.fieldViolations || []) {
          console.log(`bad_request: ${v.field} (${v.description})`);
        }
        break;
      default:
        break;
    }
  }
}

function printHeaders(headers) {
  for (const key of ['x-request-id', 'x-upstream-request-id']) {
    const [value] = headers.get(key);
    if (value !== undefined) console.log(`${key} header: ${value}`);
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string', default: 'localhost:50051' },
      qualities: { type: 'boolean', default: false },
      'request-id': { type: 'string' },
      timeout: { type: 'string', default: '30' },
    },
  });
  if (positionals.length !== 1) {
    console.error('usage: ktp_client.js [--target HOST:PORT] [--qualities] [--request-id ID] IMAGE');
    return 2;
  }
  const [file] = positionals;
  try {
    fs.accessSync(file, fs.constants.R_OK); // fail before the call if the file cannot be read
  } catch (err) {
    console.error(`cannot read ${file}: ${err.message}`);
    return 2;
  }

  // Plaintext for a local gateway; use grpc.credentials.createSsl() in production.
  const client = new ktp.KtpOcr(values.target, grpc.credentials.createInsecure());
  const callMetadata = new grpc.Metadata();
  if (values['request-id']) callMetadata.set('x-request-id', values['request-id']);
  if (process.env.KTP_TOKEN) callMetadata.set('authorization', `Bearer ${process.env.KTP_TOKEN}`);
  const deadline = Date.now() + Number(values.timeout) * 1000;
  const method = values.qualities ? client.ReadWithQualities : client.Read;

  try {
    const { response, headers } = await upload(method.bind(client), file, callMetadata, deadline);
    printResponse(response, values.qualities);
    printHeaders(headers);
    return 0;
  } catch (err) {
    if (err.code === undefined) throw err; // not a gRPC error
    printError(err);
    printHeaders(err.headers);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => { process.exitCode = code; });
