#!/usr/bin/env node
// Offline schema validation of rendered Kubernetes manifests (check_manifests.sh schema).
//
//   node validate_schema.cjs RENDER.json...     each file: a JSON array of objects (one render)
//   node validate_schema.cjs --selftest RENDER.json   every broken variant below must be refused
//
// Two passes, both without network, from the npm packages of package.json beside this file:
//  1. JSON schema (kubernetes-models: the Kubernetes OpenAPI spec; @kubernetes-models/istio and
//     /prometheus-operator: the CRDs): types, formats, required fields, enums.
//  2. Unknown fields: JSON schemas from the OpenAPI spec allow any extra property, so each object
//     is also type-checked as a TypeScript literal of the package's interface, whose excess-property
//     check refuses a misspelt field the way `kubectl apply --validate=strict` would.
// A kind without a model is an error: add its package before using a new kind.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

let ts;
try {
  ts = require("typescript");
  require.resolve("kubernetes-models/package.json");
} catch (e) {
  const why = e.message.split("\n")[0];
  console.log(`SKIP: the schema packages are not installed (npm ci --prefix tests/deploy): ${why}`);
  process.exit(77);
}

// apiVersion -> module directory of its models.
function modelDir(apiVersion) {
  if (/^monitoring\.coreos\.com\//.test(apiVersion)) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  if (/\.istio\.io\//.test(apiVersion)) return `@kubernetes-models/istio/${apiVersion}`;
  if (!apiVersion.includes(".") || apiVersion.includes(".k8s.io/") || !apiVersion.includes("/")) {
    return `kubernetes-models/${apiVersion}`;
  }
  return null;
}

function describe(obj) {
  return `${obj.kind} ${(obj.metadata || {}).name}`;
}

// Pass 1: the compiled JSON schema of each model.
function schemaErrors(objects) {
  const errors = [];
  for (const obj of objects) {
    const dir = modelDir(String(obj.apiVersion));
    let Model;
    try {
      Model = dir && require(`${dir}/${obj.kind}`)[obj.kind];
    } catch (e) {
      Model = undefined;
    }
    if (!Model || !declarationOf(obj)) {
      errors.push(`${describe(obj)}: no schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      const details = (e.errors || []).map((x) => `${x.instancePath || "/"} ${x.message}`);
      errors.push(`${describe(obj)}: ${details.length ? details.join("; ") : e.message}`);
    }
  }
  return errors;
}

// The .d.ts of an object's model, without its extension (packages' export maps hide the file from
// require.resolve, so it is found from the package's root).
function declarationOf(obj) {
  const dir = modelDir(String(obj.apiVersion));
  if (!dir) return null;
  const parts = dir.split("/");
  const pkg = parts[0].startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  let root;
  try {
    root = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (e) {
    return null;
  }
  const file = path.join(root, dir.slice(pkg.length), String(obj.kind));
  return fs.existsSync(`${file}.d.ts`) ? file : null;
}

// Pass 2: one TypeScript program for all groups (renders, or self-test variants), one typed
// constant per object; diagnostics are mapped back to their group and object.
// groups: arrays of objects; returns one array of errors per group.
function unknownFieldErrors(groups) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ktp-schema-"));
  const file = path.join(dir, "manifests.ts");
  const lines = [];
  const owners = [];  // line index -> [group index, object]
  let n = 0;
  groups.forEach((objects, g) => {
    for (const obj of objects) {
      const typeFile = declarationOf(obj);
      if (!typeFile) continue;  // no model: reported by pass 1
      const i = n++;
      const body = [`import { I${obj.kind} as T${i} } from ${JSON.stringify(typeFile)};`,
        ...`export const m${i}: T${i} = ${JSON.stringify(obj, null, 1)};`.split("\n")];
      for (const line of body) {
        lines.push(line);
        owners.push([g, obj]);
      }
    }
  });
  fs.writeFileSync(file, lines.join("\n") + "\n");
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
  });
  const errors = groups.map(() => []);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (!d.file || d.file.fileName !== file) {
      errors.forEach((e) => e.push(`typescript: ${text}`));
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const [g, obj] = owners[line];
    // The field's path: the chain of keys enclosing the line, from the indentation of JSON.stringify.
    const keys = [];
    let indent = Infinity;
    for (let l = line; l >= 0 && owners[l][1] === obj; l--) {
      const m = /^( *)"([^"]+)":/.exec(lines[l]);
      if (m && m[1].length < indent) {
        keys.unshift(m[2]);
        indent = m[1].length;
      }
    }
    errors[g].push(`${describe(obj)}: ${keys.join(".")}: ${text}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return errors;
}

// Errors of each group (render or variant), both passes.
function validate(groups) {
  const unknown = unknownFieldErrors(groups);
  return groups.map((objects, g) => [...schemaErrors(objects), ...unknown[g]]);
}

function load(file) {
  return JSON.parse(fs.readFileSync(file, "utf8")).filter((o) => o);
}

function selftest(objects) {
  const find = (kind) => objects.findIndex((o) => o.kind === kind);
  const gw = (o) => o.find((x) => x.kind === "Deployment" && x.metadata.name === "ktp-gateway");
  const ctr = (o) => gw(o).spec.template.spec.containers[0];
  const mutations = {
    "containerPort as a string": (o) => { ctr(o).ports[0].containerPort = "50051"; },
    "misspelt container field": (o) => { ctr(o).resourcez = ctr(o).resources; },
    "misspelt pod spec field": (o) => { gw(o).spec.template.spec.terminationGracePeriodSecond = 45; },
    "container without a name": (o) => { delete ctr(o).name; },
    "unknown protocol": (o) => { ctr(o).ports[0].protocol = "TCPP"; },
    "misspelt NetworkPolicy peer": (o) => {
      const np = o.find((x) => x.kind === "NetworkPolicy" && x.metadata.name === "ktp-gateway");
      np.spec.ingress[0].from[0] = { namespaceSelecter: np.spec.ingress[0].from[0].namespaceSelector };
    },
    "HPA metric without a type": (o) => { delete o[find("HorizontalPodAutoscaler")].spec.metrics[0].type; },
    "ServiceMonitor port as a number": (o) => { o[find("ServiceMonitor")].spec.endpoints[0].port = 9090; },
    "misspelt PeerAuthentication field": (o) => {
      const pa = o[find("PeerAuthentication")];
      pa.spec.mtl = pa.spec.mtls;
      delete pa.spec.mtls;
    },
    "PeerAuthentication mode unknown": (o) => { o[find("PeerAuthentication")].spec.mtls.mode = "STRICTLY"; },
    "unknown kind": (o) => { o.push({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "x" } }); },
  };
  const failures = [];
  const names = ["unmodified"];
  const groups = [objects];
  for (const [name, mutate] of Object.entries(mutations)) {
    const broken = JSON.parse(JSON.stringify(objects));
    try {
      mutate(broken);
    } catch (e) {
      failures.push(`mutation ${name} does not apply to this render (${e.message})`);
      continue;
    }
    names.push(name);
    groups.push(broken);
  }
  validate(groups).forEach((errors, g) => {
    if (g === 0 && errors.length) failures.push(`the unmodified render does not pass: ${errors.join("; ")}`);
    if (g > 0 && !errors.length) failures.push(`schema check missed: ${names[g]}`);
  });
  return [failures, Object.keys(mutations).length];
}

function main(argv) {
  if (argv[0] === "--selftest") {
    const [failures, n] = selftest(load(argv[1]));
    failures.forEach((f) => console.log(`FAIL: ${f}`));
    if (failures.length) return 1;
    console.log(`schema self-test: all ${n} broken variants were refused`);
    return 0;
  }
  let bad = 0;
  const renders = argv.map(load);
  const results = validate(renders);
  for (const [i, file] of argv.entries()) {
    const objects = renders[i];
    const errors = results[i];
    const name = path.basename(file, ".json");
    errors.forEach((e) => console.log(`FAIL: ${name}: ${e}`));
    if (errors.length) bad++;
    else console.log(`ok: ${name}: ${objects.length} objects match their schemas, no unknown fields`);
  }
  return bad ? 1 : 0;
}

process.exit(main(process.argv.slice(2)));
