#!/usr/bin/env bash
# 0013-deploy: what deploy/ ships for production (Dockerfile, docker-compose.yml,
# systemd units, Kubernetes manifests) is checked without a Docker engine or a
# cluster:
#  - every YAML file under deploy/ parses (js-yaml), and reads the same as
#    YAML 1.1 (Kubernetes' parser) and as YAML 1.2 (no yes/no/octal traps);
#  - Kubernetes objects validate against the API's schemas (kubernetes-models);
#    every worker has a Deployment (2 replicas, liveness and readiness probes
#    on the right ports, resources, restricted pod security), the Service, the
#    PDBs, the migrate Job, the kustomization's resource list, the messages
#    ConfigMap equal to deploy/messages.json;
#  - compose: every worker and init use the Dockerfile's image, wait for
#    healthy dependencies, get their secrets as files; `docker compose config`
#    (or docker-compose v1) where installed;
#  - every variable any of them sets is one the binaries list in --help (per
#    worker; plus the NAME_FILE forms and SECURITYBOT_KAFKA_* pass-through),
#    secrets only as files, required variables present;
#  - systemd: `systemd-analyze verify` and an exposure threshold of
#    `systemd-analyze security` on the units (ExecStart pointed at the built
#    binaries), credentials matching their NAME_FILE variables;
#  - kustomize (kubectl kustomize) builds deploy/k8s where kubectl is installed;
#  - Dockerfile: Debian 12 stages, its build stage's RUN executed on exactly the
#    files its COPY lines bring (none of them excluded by .dockerignore), the
#    -dev package of each pkg-config module CMakeLists.txt requires, runtime
#    packages covering every library the binaries link;
#  - each deployment's own configuration starts the real binaries against the
#    test stack (only addresses, secrets, prefix and groups swapped for the
#    test's): the one-shot migrate exits 0, each worker gets healthy (its
#    /healthz, the gateway's /readyz) and exits 0 on SIGTERM.
# `docker build` is not run (no Docker engine here); SB_DOCKER_BUILD=1 runs it
# when a daemon answers.
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

DEPLOY=$SB_SOURCE_DIR/deploy
BINARIES=(sb-ingest sb-prompt sb-gateway sb-response sb-escalation sbctl)

# ---------------------------------------------------------------- tools
# The pinned npm tools of tests/schemas (shared with 0001-schemas), in var/.
npm_dir=$SB_SOURCE_DIR/var/npm-schemas
if [[ ! -d $npm_dir/node_modules/js-yaml || ! -d $npm_dir/node_modules/kubernetes-models ]] ||
	! cmp -s "$SB_SOURCE_DIR/tests/schemas/package-lock.json" "$npm_dir/package-lock.json"; then
	mkdir -p "$npm_dir"
	cp "$SB_SOURCE_DIR/tests/schemas/package.json" "$SB_SOURCE_DIR/tests/schemas/package-lock.json" "$npm_dir/"
	npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error >&2
fi

# ---------------------------------------------------------------- what the binaries know
# help.json: per binary, each variable its --help names (with the NAME_FILE
# forms it mentions) and whether --help calls it required / secret.
help_dir=$T_DIR/help
mkdir -p "$help_dir"
for b in "${BINARIES[@]}"; do
	"$SB_BIN_DIR/$b" --help >"$help_dir/$b.txt"
done
node - "$help_dir" "${BINARIES[@]}" >"$T_DIR/help.json" <<'JS'
const fs = require("fs");
const [dir, ...bins] = process.argv.slice(2);
const out = {};
for (const b of bins) {
  const text = fs.readFileSync(`${dir}/${b}.txt`, "utf8");
  const vars = {};
  for (const line of text.split("\n")) {
    const m = /^\s{2}((?:SECURITYBOT|SLACK)_[A-Z0-9_]+)\s{2,}(.*)$/.exec(line);
    if (!m) continue;
    const [, name, desc] = m;
    vars[name] = {
      required: /\(required[;)]/.test(desc) ? "always" : /required with slack/.test(desc) ? "slack" : "",
      secret: /a file named by/.test(desc),
    };
    const f = /a file named by ([A-Z0-9_]+)/.exec(desc);
    if (f) vars[f[1]] = { required: "", secret: false, fileOf: name };
  }
  out[b] = vars;
}
console.log(JSON.stringify(out, null, 1));
JS
check "$(node -e 'const h=require(process.argv[1]); console.log(Object.values(h).every(v => Object.keys(v).length >= 4) ? "ok" : "too few")' "$T_DIR/help.json")" ok \
	"every binary's --help lists its variables"

# ---------------------------------------------------------------- YAML, compose, Kubernetes, systemd, env files
# deploy-check.js prints "ok: ..." / "FAIL: ..." lines and writes, for the
# runs below, each deployment's environment and command (runs/).
mkdir -p "$T_DIR/runs"
cat >"$T_DIR/deploy-check.js" <<'JS'
"use strict";
const fs = require("fs");
const path = require("path");
const util = require("util");
const yaml = require("js-yaml");

const [repo, helpFile, runsDir] = process.argv.slice(2);
const deploy = path.join(repo, "deploy");
const help = JSON.parse(fs.readFileSync(helpFile, "utf8"));
const WORKERS = ["ingest", "prompt", "gateway", "response", "escalation"];
const PENDING = ["SECURITYBOT_METRICS_LISTEN"]; // announced for every worker; accepted before --help lists it
const notes = new Set();
let checks = 0, failed = 0;
const ok = (cond, what) => {
  checks++;
  if (cond) console.log(`ok: ${what}`);
  else { failed++; console.log(`FAIL: ${what}`); }
  return cond;
};
const rel = (p) => path.relative(repo, p);
const portOf = (addr) => (addr ? String(addr).split(":").pop() : undefined);

// ---- every YAML file under deploy/: parses, and means the same to YAML 1.1 and 1.2 readers
const CORE = yaml.CORE_SCHEMA.withTags(yaml.mergeTag);
const docs = {};
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
  const p = path.join(dir, e.name);
  if (e.isDirectory()) return e.name === "node_modules" || e.name === "secrets" ? [] : walk(p);
  return /\.ya?ml$/.test(e.name) ? [p] : [];
});
const yamlFiles = walk(deploy);
ok(yamlFiles.length >= 10, `found ${yamlFiles.length} YAML files under deploy/`);
for (const f of yamlFiles) {
  const text = fs.readFileSync(f, "utf8");
  try {
    const a = yaml.loadAll(text, { schema: CORE });
    const b = yaml.loadAll(text, { schema: yaml.YAML11_SCHEMA });
    docs[rel(f)] = a.filter((d) => d !== null && d !== undefined);
    ok(util.isDeepStrictEqual(a, b), `${rel(f)}: parses (${a.length} documents), same as YAML 1.1 and 1.2`);
  } catch (e) {
    ok(false, `${rel(f)}: ${e.message.split("\n")[0]}`);
  }
}

// ---- variables: known to the binary (or to any binary, for shared files)
const known = (bin, name) => {
  const h = help[bin] || {};
  if (h[name]) return true;
  if (/^SECURITYBOT_KAFKA_[A-Z0-9_]+$/.test(name)) return true; // librdkafka pass-through (and _FILE)
  if (PENDING.includes(name) && bin !== "sbctl") {
    const note = `note: ${name} is not in ${bin} --help yet (accepted: announced for every worker)`;
    if (!notes.has(note)) { notes.add(note); console.log(note); }
    return true;
  }
  return false;
};
const knownAny = (name) => Object.keys(help).some((b) => known(b, name));
// Checks one deployment's environment for one binary: every name known,
// secrets only as files, required variables given.
const checkEnv = (where, bin, env) => {
  const unknown = Object.keys(env).filter((n) => !known(bin, n));
  ok(unknown.length === 0, `${where}: every variable is one ${bin} knows${unknown.length ? ` (not: ${unknown.join(", ")})` : ""}`);
  const h = help[bin] || {};
  const inline = Object.keys(env).filter((n) => h[n] && h[n].secret);
  ok(inline.length === 0, `${where}: secrets only as files${inline.length ? ` (inline: ${inline.join(", ")})` : ""}`);
  const chat = env.SECURITYBOT_CHAT || "slack";
  const missing = Object.entries(h)
    .filter(([, v]) => v.required === "always" || (v.required === "slack" && chat === "slack"))
    .map(([n]) => n).filter((n) => !env[n] && !env[`${n}_FILE`]);
  if (bin === "sbctl" && !env.SECURITYBOT_DATABASE_URL && !env.SECURITYBOT_DATABASE_URL_FILE) missing.push("SECURITYBOT_DATABASE_URL");
  ok(missing.length === 0, `${where}: required variables set${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`);
};
// KEY=VALUE lines of an env file; commented-out assignments are documentation
// and are checked for their names too.
const envFile = (file) => {
  const active = {}, documented = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    let m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) { active[m[1]] = m[2]; documented.push(m[1]); continue; }
    m = /^#\s?([A-Z][A-Z0-9_]*)=/.exec(line);
    if (m) documented.push(m[1]);
  }
  return { active, documented };
};
const checkSharedNames = (where, names) => {
  const unknown = names.filter((n) => !knownAny(n));
  ok(unknown.length === 0, `${where}: every variable (also commented ones) is one a binary knows${unknown.length ? ` (not: ${unknown.join(", ")})` : ""}`);
};
const shellQuote = (s) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${String(s).replace(/'/g, "'\\''")}'`);
// A run for the smoke test: the environment (NUL-separated) and the command.
const runs = [];
const addRun = (id, kind, env, cmd) => {
  fs.writeFileSync(path.join(runsDir, `${id}.env`), Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join(""));
  fs.writeFileSync(path.join(runsDir, `${id}.cmd`), cmd);
  runs.push(`${id} ${kind}`);
};
const argvCmd = (argv) => "exec " + argv.map((a) => shellQuote(String(a).replace(/^\/usr\/local\/bin\//, ""))).join(" ");
const messages = JSON.parse(fs.readFileSync(path.join(deploy, "messages.json"), "utf8"));
// where the Dockerfile puts deploy/messages.json
const imageMessages = (/^COPY deploy\/messages\.json (\S+)$/m.exec(fs.readFileSync(path.join(deploy, "Dockerfile"), "utf8")) || [])[1];

// ================================================================ Docker Compose
{
  const c = (docs["deploy/docker-compose.yml"] || [])[0] || {};
  const services = c.services || {};
  const envExample = path.join(deploy, "compose.env.example");
  ok(fs.existsSync(envExample), "deploy/compose.env.example exists");
  const shared = envFile(envExample);
  checkSharedNames("compose.env.example", shared.documented);
  ok(shared.active.SECURITYBOT_CHAT === "console", "compose: chat defaults to console (SECURITYBOT_CHAT=console)");
  for (const s of ["kafka", "postgres"]) ok(services[s] && services[s].healthcheck, `compose: ${s} has a health check`);
  ok(/^apache\/kafka:/.test((services.kafka || {}).image || ""), "compose: Kafka is the official apache/kafka image");
  ok(/^postgres:15/.test((services.postgres || {}).image || ""), "compose: PostgreSQL is postgres:15");
  const topSecrets = c.secrets || {};
  const images = new Set();
  for (const name of ["init", ...WORKERS]) {
    const s = services[name];
    if (!ok(s, `compose: service ${name}`)) continue;
    const bin = name === "init" ? "sbctl" : `sb-${name}`;
    const b = s.build || {};
    const ctx = path.resolve(deploy, b.context || ".");
    ok(ctx === repo && path.resolve(ctx, b.dockerfile || "Dockerfile") === path.join(deploy, "Dockerfile"),
      `compose ${name}: built from deploy/Dockerfile with the repository as context`);
    images.add(s.image);
    const cmd = [].concat(s.command || []);
    if (name === "init") ok(/sbctl migrate && sbctl topics/.test(cmd.join(" ")), "compose init: runs sbctl migrate && sbctl topics");
    else ok(cmd[0] === bin, `compose ${name}: runs ${bin}`);
    ok([].concat(s.env_file || []).includes("compose.env"), `compose ${name}: env_file compose.env`);
    ok(name === "init" ? s.restart === "no" : ["unless-stopped", "always", "on-failure"].includes(s.restart),
      `compose ${name}: restart policy ${s.restart}`);
    const deps = s.depends_on || {};
    const want = name === "gateway" ? { kafka: "service_healthy", init: "service_completed_successfully" }
      : name === "init" ? { kafka: "service_healthy", postgres: "service_healthy" }
      : { kafka: "service_healthy", postgres: "service_healthy", init: "service_completed_successfully" };
    ok(Object.entries(want).every(([d, cond]) => deps[d] && deps[d].condition === cond),
      `compose ${name}: depends on ${Object.entries(want).map(([d, cnd]) => `${d} (${cnd})`).join(", ")}`);
    const own = Array.isArray(s.environment)
      ? Object.fromEntries(s.environment.map((e) => [e.split("=")[0], e.split("=").slice(1).join("=")]))
      : Object.fromEntries(Object.entries(s.environment || {}).map(([k, v]) => [k, String(v)]));
    const env = { ...shared.active, ...own };
    const ownUnknown = Object.keys(own).filter((n) => !known(bin, n));
    ok(ownUnknown.length === 0, `compose ${name}: its own environment names only ${bin}'s variables${ownUnknown.length ? ` (not: ${ownUnknown.join(", ")})` : ""}`);
    checkEnv(`compose ${name}`, bin, Object.fromEntries(Object.entries(env).filter(([n]) => known(bin, n))));
    const mounted = [].concat(s.secrets || []).map((x) => (typeof x === "string" ? x : x.source));
    for (const [n, v] of Object.entries(own).filter(([n]) => /_FILE$/.test(n))) {
      if (n === "SECURITYBOT_MESSAGES_FILE") {
        ok(v === imageMessages, `compose ${name}: ${n} is the image's copy of deploy/messages.json (${imageMessages})`);
        continue;
      }
      const m = /^\/run\/secrets\/([^/]+)$/.exec(v);
      ok(m && mounted.includes(m[1]) && topSecrets[m[1]] && /^secrets\//.test(topSecrets[m[1]].file || ""),
        `compose ${name}: ${n} is the Docker secret ${m ? m[1] : v} (a file in secrets/)`);
    }
    if (name !== "init") {
      const hc = ((s.healthcheck || {}).test || []).join(" ");
      if (name === "gateway") {
        ok(/sb-healthcheck 8080 \/readyz/.test(hc) && portOf(env.SECURITYBOT_HTTP_LISTEN) === "8080",
          "compose gateway: health check on its HTTP port's /readyz");
        ok([].concat(s.ports || []).some((p) => String(p).endsWith(":8080")), "compose gateway: port 8080 published");
      } else {
        ok(hc.includes(`sb-healthcheck ${portOf(env.SECURITYBOT_METRICS_LISTEN)} /healthz`),
          `compose ${name}: health check on /healthz of SECURITYBOT_METRICS_LISTEN`);
      }
    }
    addRun(`compose.${name}`, name === "init" ? "oneshot" : "worker", env, argvCmd(cmd));
  }
  ok(images.size === 1 && /^securitybot:/.test([...images][0]), `compose: one image for init and every worker (${[...images].join(", ")})`);
}

// ================================================================ Kubernetes
{
  const objs = [];
  for (const [f, ds] of Object.entries(docs)) if (f.startsWith("deploy/k8s/")) for (const d of ds) objs.push({ f, d });
  const kust = objs.find((o) => o.d.kind === "Kustomization");
  for (const { f, d } of objs) {
    if (d.kind === "Kustomization") continue;
    let Model;
    try {
      Model = require(`kubernetes-models/${d.apiVersion}/${d.kind}`)[d.kind];
    } catch (e) {
      ok(false, `${f}: ${d.apiVersion} ${d.kind} is a known Kubernetes kind`);
      continue;
    }
    try {
      new Model(d).validate();
      ok(true, `${f}: ${d.kind} ${d.metadata.name} is valid against the API schema`);
    } catch (e) {
      ok(false, `${f}: ${d.kind} ${(d.metadata || {}).name}: ${e.message.split("\n").slice(0, 3).join("; ")}`);
    }
    ok(d.metadata && d.metadata.namespace === "securitybot" || d.kind === "Namespace", `${f}: ${d.kind} ${d.metadata.name} in namespace securitybot`);
  }
  // the kustomization lists every manifest but the Secret example
  if (ok(kust, "deploy/k8s/kustomization.yaml")) {
    const files = fs.readdirSync(path.join(deploy, "k8s")).filter((n) => /\.ya?ml$/.test(n) && n !== "kustomization.yaml" && n !== "secret.example.yaml").sort();
    ok(util.isDeepStrictEqual([...kust.d.resources].sort(), files), "kustomization lists every manifest but secret.example.yaml");
    ok((kust.d.images || []).some((i) => i.name === "securitybot"), "kustomization sets the securitybot image's registry and tag");
  }
  const byKind = (k) => objs.filter((o) => o.d.kind === k).map((o) => o.d);
  const cm = byKind("ConfigMap").find((d) => d.metadata.name === "securitybot-config") || { data: {} };
  checkSharedNames("k8s ConfigMap securitybot-config", Object.keys(cm.data || {}));
  const msgCm = byKind("ConfigMap").find((d) => d.metadata.name === "securitybot-messages") || { data: {} };
  let msgs = null;
  try { msgs = JSON.parse((msgCm.data || {})["messages.json"]); } catch (e) { /* reported below */ }
  ok(util.isDeepStrictEqual(msgs, messages), "k8s ConfigMap securitybot-messages holds deploy/messages.json");
  const secret = byKind("Secret").find((d) => d.metadata.name === "securitybot-secrets") || {};
  const secretKeys = Object.keys({ ...(secret.stringData || {}), ...(secret.data || {}) });
  const metricsPort = portOf(cm.data.SECURITYBOT_METRICS_LISTEN);
  ok(metricsPort === "9100", "k8s: SECURITYBOT_METRICS_LISTEN on port 9100");
  const subset = (a, b) => Object.entries(a || {}).every(([k, v]) => (b || {})[k] === v);

  // one pod spec (a Deployment's or the Job's): security, image, env, files
  const checkPod = (where, spec, bin, runKind, runId) => {
    const psc = spec.securityContext || {};
    ok(psc.runAsNonRoot === true && psc.runAsUser > 0 && (psc.seccompProfile || {}).type === "RuntimeDefault",
      `${where}: pod runs as non-root with the RuntimeDefault seccomp profile`);
    ok(spec.automountServiceAccountToken === false && spec.enableServiceLinks === false,
      `${where}: no service account token, no service links (SECURITYBOT_KAFKA_* would reach librdkafka)`);
    const vols = Object.fromEntries((spec.volumes || []).map((v) => [v.name, v]));
    const all = [...(spec.initContainers || []), ...(spec.containers || [])];
    for (const ct of all) {
      const sc = ct.securityContext || {};
      ok(sc.allowPrivilegeEscalation === false && sc.readOnlyRootFilesystem === true &&
        ((sc.capabilities || {}).drop || []).includes("ALL"),
        `${where} container ${ct.name}: no privilege escalation, read-only root, all capabilities dropped`);
      ok(/^securitybot:/.test(ct.image), `${where} container ${ct.name}: the securitybot image`);
      ok(ct.resources && ct.resources.requests && ct.resources.requests.memory && ct.resources.limits && ct.resources.limits.memory,
        `${where} container ${ct.name}: memory requests and limits`);
      const missingVol = (ct.volumeMounts || []).filter((m) => !vols[m.name]).map((m) => m.name);
      ok(missingVol.length === 0, `${where} container ${ct.name}: every volume mount has its volume${missingVol.length ? ` (not: ${missingVol})` : ""}`);
    }
    const ct = (spec.containers || [])[0] || {};
    const own = Object.fromEntries((ct.env || []).map((e) => [e.name, String(e.value)]));
    const ownUnknown = Object.keys(own).filter((n) => !known(bin, n));
    ok(ownUnknown.length === 0, `${where}: container env names only ${bin}'s variables${ownUnknown.length ? ` (not: ${ownUnknown.join(", ")})` : ""}`);
    const fromCm = (ct.envFrom || []).some((e) => e.configMapRef && e.configMapRef.name === "securitybot-config");
    ok(fromCm, `${where}: envFrom the ConfigMap securitybot-config`);
    const env = { ...(fromCm ? cm.data : {}), ...own };
    checkEnv(where, bin, Object.fromEntries(Object.entries(env).filter(([n]) => known(bin, n))));
    // each NAME_FILE (and the messages file) is a file of a mounted volume
    for (const [n, v] of Object.entries(own).filter(([n]) => /_FILE$/.test(n))) {
      const mount = (ct.volumeMounts || []).find((m) => v.startsWith(m.mountPath.replace(/\/?$/, "/")));
      const vol = mount && vols[mount.name];
      const file = mount && v.slice(mount.mountPath.replace(/\/?$/, "/").length);
      let good = false;
      if (vol && vol.secret) {
        const items = vol.secret.items || [];
        good = vol.secret.secretName === "securitybot-secrets" && items.some((i) => i.path === file && secretKeys.includes(i.key));
      } else if (vol && vol.configMap) {
        good = (vol.configMap.items || []).some((i) => i.path === file) || (vol.configMap.name === "securitybot-messages" && file === "messages.json");
      } else if (vol && vol.emptyDir) {
        // written by an init container (sb-response's key copy)
        good = (spec.initContainers || []).some((ic) => (ic.command || []).includes(v));
      }
      ok(good, `${where}: ${n}=${v} is a file the pod has (${vol ? Object.keys(vol).filter((k) => k !== "name")[0] : "no volume"})`);
    }
    const argv = [...(ct.command || []), ...(ct.args || [])];
    addRun(runId, runKind, env, argvCmd(argv));
    return { ct, env, argv };
  };

  const deployments = byKind("Deployment");
  for (const w of WORKERS) {
    const bin = `sb-${w}`;
    const mine = deployments.filter((d) => (((d.spec.template.spec || {}).containers || [])[0] || {}).command?.[0] === bin);
    if (!ok(mine.length === 1, `k8s: one Deployment runs ${bin}`)) continue;
    const d = mine[0];
    const where = `k8s Deployment ${d.metadata.name}`;
    ok(d.spec.replicas >= 2, `${where}: ${d.spec.replicas} replicas`);
    ok(subset(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${where}: the selector matches its pods`);
    const { ct, env } = checkPod(where, d.spec.template.spec, bin, "worker", `k8s.${w}`);
    const ports = Object.fromEntries((ct.ports || []).map((p) => [p.name, String(p.containerPort)]));
    const probe = (p) => (p && p.httpGet ? `${p.httpGet.path}@${ports[p.httpGet.port] || p.httpGet.port}` : "none");
    const ann = d.spec.template.metadata.annotations || {};
    ok(ann["prometheus.io/scrape"] === "true" && ann["prometheus.io/port"] === ports.metrics && ports.metrics === portOf(env.SECURITYBOT_METRICS_LISTEN),
      `${where}: Prometheus scrapes the metrics port (${ports.metrics})`);
    if (w === "gateway") {
      const http = portOf(env.SECURITYBOT_HTTP_LISTEN);
      ok(ports.http === http, `${where}: container port http = SECURITYBOT_HTTP_LISTEN's port (${http})`);
      ok(probe(ct.livenessProbe) === `/healthz@${http}`, `${where}: liveness probe GET /healthz on the HTTP port (${probe(ct.livenessProbe)})`);
      ok(probe(ct.readinessProbe) === `/readyz@${http}`, `${where}: readiness probe GET /readyz on the HTTP port (${probe(ct.readinessProbe)})`);
      const svc = byKind("Service").find((s) => subset(s.spec.selector, d.spec.template.metadata.labels));
      ok(svc && svc.spec.ports.some((p) => p.targetPort === "http" || String(p.targetPort) === http),
        `k8s: a Service sends traffic to the gateway's HTTP port${svc ? ` (${svc.metadata.name})` : ""}`);
    } else {
      const m = portOf(env.SECURITYBOT_METRICS_LISTEN);
      ok(probe(ct.livenessProbe) === `/healthz@${m}`, `${where}: liveness probe GET /healthz on the metrics port (${probe(ct.livenessProbe)})`);
      ok(probe(ct.readinessProbe) === `/healthz@${m}`, `${where}: readiness probe GET /healthz on the metrics port (${probe(ct.readinessProbe)})`);
    }
    const pdb = byKind("PodDisruptionBudget").find((p) => subset(p.spec.selector.matchLabels, d.spec.template.metadata.labels) &&
      p.spec.selector.matchLabels["app.kubernetes.io/component"] === w);
    ok(pdb && (pdb.spec.maxUnavailable === 1 || pdb.spec.minAvailable === 1), `k8s: a PodDisruptionBudget keeps one ${bin} pod up`);
  }
  const jobs = byKind("Job");
  const job = jobs.find((j) => /sbctl migrate && sbctl topics/.test([...((j.spec.template.spec.containers || [])[0] || {}).command || []].join(" ")));
  if (ok(job, "k8s: a Job runs sbctl migrate && sbctl topics")) {
    checkPod(`k8s Job ${job.metadata.name}`, job.spec.template.spec, "sbctl", "oneshot", "k8s.migrate");
  }
}

// ================================================================ systemd
{
  const dir = path.join(deploy, "systemd");
  const unit = (name) => {
    const f = path.join(dir, name);
    if (!fs.existsSync(f)) return null;
    const u = { Service: {}, Unit: {}, Install: {} };
    let sec = null;
    for (const line of fs.readFileSync(f, "utf8").split("\n")) {
      let m = /^\[(\w+)\]$/.exec(line);
      if (m) { sec = m[1]; u[sec] = u[sec] || {}; continue; }
      m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m && sec) (u[sec][m[1]] = u[sec][m[1]] || []).push(m[2]);
    }
    return u;
  };
  const one = (u, k) => (u.Service[k] || [])[0];
  const common = envFile(path.join(dir, "env", "common.env"));
  checkSharedNames("systemd env/common.env", common.documented);
  const target = unit("securitybot.target");
  const wanted = target ? (target.Unit.Wants || []).join(" ").split(/\s+/) : [];
  for (const w of [...WORKERS, "migrate"]) {
    const name = `securitybot-${w}.service`;
    const u = unit(name);
    if (!ok(u, `systemd: ${name}`)) continue;
    const bin = w === "migrate" ? "sbctl" : `sb-${w}`;
    const where = `systemd ${name}`;
    ok(wanted.includes(name), `securitybot.target wants ${name}`);
    if (w === "migrate") {
      ok(one(u, "Type") === "oneshot" && (u.Service.ExecStart || []).join(" ") === "/usr/local/bin/sbctl migrate /usr/local/bin/sbctl topics",
        `${where}: oneshot sbctl migrate, then sbctl topics`);
    } else {
      ok(one(u, "Type") === "simple" && one(u, "ExecStart") === `/usr/local/bin/${bin}`, `${where}: Type=simple, ExecStart=/usr/local/bin/${bin}`);
      ok(one(u, "KillSignal") === "SIGTERM" && one(u, "TimeoutStopSec"), `${where}: KillSignal=SIGTERM with a TimeoutStopSec`);
      ok((u.Unit.After || []).join(" ").includes("securitybot-migrate.service"), `${where}: ordered after securitybot-migrate.service`);
    }
    ok(one(u, "Restart") === "on-failure", `${where}: Restart=on-failure`);
    ok(one(u, "User") && one(u, "User") !== "root", `${where}: a dedicated user (${one(u, "User")})`);
    const hard = { NoNewPrivileges: "yes", ProtectSystem: "strict", ProtectHome: "yes", PrivateTmp: "yes", PrivateDevices: "yes" };
    ok(Object.entries(hard).every(([k, v]) => one(u, k) === v), `${where}: ${Object.entries(hard).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    // credentials <-> NAME_FILE=%d/ID
    const creds = Object.fromEntries((u.Service.LoadCredential || []).map((c) => c.split(":")));
    const env = {};
    for (const e of u.Service.Environment || []) { const i = e.indexOf("="); env[e.slice(0, i)] = e.slice(i + 1); }
    const viaCred = Object.entries(env).filter(([, v]) => v.startsWith("%d/"));
    ok(viaCred.every(([, v]) => creds[v.slice(3)]) && Object.keys(creds).every((id) => viaCred.some(([, v]) => v === `%d/${id}`)),
      `${where}: each LoadCredential= has its NAME_FILE=%d/ID and back (${Object.keys(creds).join(", ") || "none"})`);
    ok(Object.values(creds).every((p) => p.startsWith("/etc/securitybot/credentials/")), `${where}: credentials from /etc/securitybot/credentials/`);
    const files = (u.Service.EnvironmentFile || []).map((p) => p.replace(/^-/, ""));
    ok(files.includes("/etc/securitybot/common.env"), `${where}: EnvironmentFile=/etc/securitybot/common.env`);
    let own = {};
    if (w !== "migrate") {
      ok(files.includes(`/etc/securitybot/${w}.env`), `${where}: EnvironmentFile=/etc/securitybot/${w}.env`);
      const f = path.join(dir, "env", `${w}.env`);
      if (ok(fs.existsSync(f), `systemd: example env/${w}.env`)) {
        const e = envFile(f);
        const unknown = e.documented.filter((n) => !known(bin, n));
        ok(unknown.length === 0, `systemd env/${w}.env: only ${bin}'s variables (also commented ones)${unknown.length ? ` (not: ${unknown.join(", ")})` : ""}`);
        own = e.active;
      }
    }
    const all = { ...common.active, ...own, ...env };
    checkEnv(where, bin, Object.fromEntries(Object.entries(all).filter(([n]) => known(bin, n))));
    const cmd = w === "migrate" ? (u.Service.ExecStart || []).map((c) => c.replace(/^\/usr\/local\/bin\//, "")).join(" && ")
      : argvCmd([one(u, "ExecStart")]);
    addRun(`systemd.${w}`, w === "migrate" ? "oneshot" : "worker", all, cmd);
  }
}

fs.writeFileSync(path.join(runsDir, "list"), runs.join("\n") + "\n");
console.log(`deploy-check: ${checks} checks, ${failed} failed`);
process.exit(failed ? 1 : 0);
JS
rc=0
NODE_PATH=$npm_dir/node_modules node "$T_DIR/deploy-check.js" "$SB_SOURCE_DIR" "$T_DIR/help.json" "$T_DIR/runs" \
	>"$T_DIR/deploy-check.log" 2>&1 || rc=$?
sed "s/^/  /" "$T_DIR/deploy-check.log" >&2
check "$rc" 0 "deploy-check.js: YAML, compose, Kubernetes, systemd, env files"

# ---------------------------------------------------------------- kustomize
if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
	rc=0
	kubectl kustomize "$DEPLOY/k8s" >"$T_DIR/kustomized.yaml" 2>"$T_DIR/kustomize.err" || rc=$?
	check "$rc" 0 "kubectl kustomize deploy/k8s builds ($(grep -c '^kind:' "$T_DIR/kustomized.yaml") objects)"
	((rc == 0)) || cat "$T_DIR/kustomize.err" >&2
	want=$(sed -n 's/^ *newName: //p' "$DEPLOY/k8s/kustomization.yaml"):$(sed -n 's/^ *newTag: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$DEPLOY/k8s/kustomization.yaml")
	check "$(sed -n 's/^ *image: //p' "$T_DIR/kustomized.yaml" | sort -u | tr '\n' ' ')" "$want " \
		"kustomize gives every container the kustomization's image"
else
	log "skipped: kubectl is not installed, so the kustomization was not built"
fi

# ---------------------------------------------------------------- docker compose config
compose_dir=$T_DIR/compose
mkdir -p "$compose_dir/deploy/secrets"
cp "$DEPLOY/docker-compose.yml" "$DEPLOY/Dockerfile" "$compose_dir/deploy/"
cp "$DEPLOY/compose.env.example" "$compose_dir/deploy/compose.env"
for s in postgres-password database-url slack-signing-secret slack-bot-token secret-key; do
	echo placeholder >"$compose_dir/deploy/secrets/$s"
done
compose=()
if docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
	compose=(docker-compose)
fi
if ((${#compose[@]})); then
	out=$(cd "$compose_dir/deploy" && "${compose[@]}" -f docker-compose.yml config -q 2>&1) && rc=0 || rc=$?
	[[ -z $out ]] || log "${compose[*]} config: $out"
	check "$rc" 0 "${compose[*]} config -q accepts docker-compose.yml ($("${compose[@]}" version --short 2>/dev/null || true))"
else
	log "skipped: neither 'docker compose' nor 'docker-compose' is installed, so docker-compose.yml was not checked by Compose itself"
fi

# ---------------------------------------------------------------- systemd-analyze
if command -v systemd-analyze >/dev/null 2>&1; then
	units=$T_DIR/units
	mkdir -p "$units"
	cp "$DEPLOY"/systemd/*.service "$DEPLOY"/systemd/*.target "$units/"
	# verify needs ExecStart's binary to exist: point it at the built ones.
	sed -i "s|^ExecStart=/usr/local/bin/|ExecStart=$SB_BIN_DIR/|" "$units"/*.service
	out=$(cd "$units" && systemd-analyze verify --man=no ./*.service ./*.target 2>&1) && rc=0 || rc=$?
	[[ -z $out ]] || log "systemd-analyze verify: $out"
	# verify exits 0 on unknown keys and bad values (it only warns): any output fails.
	check "$rc/${out:+output}" "0/" "systemd-analyze verify: every unit, no warning"
	for u in "$units"/*.service; do
		score=$(systemd-analyze security --offline=yes "$u" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		rc=0
		systemd-analyze security --offline=yes --threshold=20 "$u" >/dev/null 2>&1 || rc=$?
		check "$rc" 0 "systemd-analyze security: $(basename "$u") exposure ${score:-?} (at most 2.0)"
	done
else
	log "skipped: systemd-analyze is not installed (Debian package systemd), so the units were not verified"
fi

# ---------------------------------------------------------------- Dockerfile
dockerfile=$DEPLOY/Dockerfile
# The Dockerfile with continuation lines joined, one instruction per line.
instructions=$(sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$dockerfile" | grep -v '^\s*#' | sed 's/\s\+/ /g')
stage_of() { awk -v n="$1" '/^FROM /{s++} s==n' <<<"$instructions"; }
build_stage=$(stage_of 1)
runtime_stage=$(stage_of 2)
check "$(grep -c '^FROM ' <<<"$instructions")" 2 "Dockerfile: two stages"
base=$(sed -n 's/^ARG DEBIAN_IMAGE=//p' <<<"$instructions")
# shellcheck disable=SC2016 # the Dockerfile's own ${DEBIAN_IMAGE}
check "$([[ $base == debian:bookworm* ]] && grep '^FROM ' <<<"$instructions" | grep -vcF 'FROM ${DEBIAN_IMAGE}')" 0 \
	"Dockerfile: both stages on Debian 12 ($base)"
# apt packages of a stage's RUN apt-get install
apt_pkgs() { grep -o 'apt-get install [^&]*' <<<"$1" | tr ' ' '\n' | grep -v -e '^-' -e '^apt-get$' -e '^install$' -e '^$' | sort -u; }
mapfile -t build_pkgs < <(apt_pkgs "$build_stage")
mapfile -t runtime_pkgs < <(apt_pkgs "$runtime_stage")
# The build stage installs the toolchain and, for each pkg-config module
# CMakeLists.txt requires, the package that ships its .pc file here.
mapfile -t modules < <(sed -n 's/^pkg_check_modules([A-Z_]* REQUIRED IMPORTED_TARGET \([a-z0-9_-]*\)).*/\1/p' "$SB_SOURCE_DIR/CMakeLists.txt")
dev_pkgs=(build-essential cmake pkg-config)
for m in "${modules[@]}"; do
	pc=$(pkg-config --path "$m" 2>/dev/null) || { dev_pkgs+=("?$m"); continue; }
	dev_pkgs+=("$(dpkg -S "$(readlink -f "$pc")" 2>/dev/null | head -1 | cut -d: -f1 | grep . || echo "?$m")")
done
missing=$(comm -23 <(printf '%s\n' "${dev_pkgs[@]}" | sort -u) <(printf '%s\n' "${build_pkgs[@]}"))
check "$((${#modules[@]} > 0))/${missing:-none}" "1/none" "Dockerfile build stage installs the toolchain and the -dev package of each pkg-config module"
check "$(grep -c '^USER [1-9][0-9]*:[0-9]*$' <<<"$runtime_stage")" 1 "Dockerfile: the runtime runs as a numeric non-root user"
check "$(grep -c '^COPY deploy/messages.json ' <<<"$runtime_stage")" 1 "Dockerfile: deploy/messages.json copied into the image"
check "$(grep -c '^COPY --from=build /src/build/bin/ /usr/local/bin/$' <<<"$runtime_stage")" 1 "Dockerfile: the binaries in /usr/local/bin"
# the --target list is every binary workers/CMakeLists.txt defines
targets=$(grep -o -- '--target [a-z -]*' <<<"$build_stage" | cut -d' ' -f2- | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
defined=$(sed -n 's/^sb_worker(\([a-z-]*\) .*/\1/p' "$SB_SOURCE_DIR/workers/CMakeLists.txt" | sort | tr '\n' ' ')
check "$targets" "$defined" "Dockerfile builds every binary of workers/CMakeLists.txt"

# The build stage, replayed: its COPY lines into an empty directory, then its
# RUN lines that do not install packages (this machine has them), there.
ctx=$T_DIR/docker-build/src
mkdir -p "$ctx"
copy_failed=0
while read -r _ args; do
	read -ra parts <<<"$args"
	dest=${parts[-1]}
	for src in "${parts[@]:0:${#parts[@]}-1}"; do
		if [[ -d $SB_SOURCE_DIR/$src ]]; then
			mkdir -p "$ctx/$dest" && cp -a "$SB_SOURCE_DIR/$src/." "$ctx/$dest/"
		elif [[ -f $SB_SOURCE_DIR/$src ]]; then
			mkdir -p "$ctx/$dest" && cp -a "$SB_SOURCE_DIR/$src" "$ctx/$dest/"
		else
			log "Dockerfile COPY source $src does not exist"
			copy_failed=1
		fi
	done
done < <(grep '^COPY ' <<<"$build_stage")
check "$copy_failed" 0 "Dockerfile build stage: every COPY source exists"
# No COPY source (of either stage) is left out of the context by .dockerignore
# (a pattern matching the path or one of its parent directories).
mapfile -t ignored < <(grep -v -e '^\s*#' -e '^\s*$' -e '^!' "$SB_SOURCE_DIR/.dockerignore" | sed 's|/$||')
excluded=()
while read -r src; do
	[[ -e $SB_SOURCE_DIR/$src ]] || excluded+=("$src (missing)")
	prefix=
	IFS=/ read -ra comps <<<"${src%/}"
	for c in "${comps[@]}"; do
		prefix=${prefix:+$prefix/}$c
		for pat in "${ignored[@]}"; do
			# shellcheck disable=SC2053 # $pat is a glob on purpose
			[[ $prefix == $pat ]] && excluded+=("$src ($pat)")
		done
	done
done < <(grep '^COPY ' <<<"$instructions" | grep -v -- '--from=' | awk '{for (i = 2; i < NF; i++) print $i}')
check "${excluded[*]:-none}" none "Dockerfile: every COPY source is in the build context (.dockerignore)"
while read -r _ cmd; do
	(cd "$ctx" && bash -euo pipefail -c "$cmd") </dev/null >"$T_DIR/docker-build/run.log" 2>&1 && rc=0 || rc=$?
	check "$rc" 0 "Dockerfile build stage RUN (on its COPY'd files only): ${cmd:0:60}..."
	((rc == 0)) || tail -20 "$T_DIR/docker-build/run.log" >&2
done < <(grep '^RUN ' <<<"$build_stage" | grep -v 'apt-get')
for b in "${BINARIES[@]}"; do
	[[ -x $ctx/build/bin/$b ]] || log "the replayed build did not produce $b"
done
check "$(find "$ctx/build/bin" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort | tr '\n' ' ')" "$(printf '%s\n' "${BINARIES[@]}" | sort | tr '\n' ' ')" \
	"Dockerfile build stage produces every binary in build/bin/"
# Every shared library the binaries link comes from a runtime package (or libc6).
pkg_of_lib() { # a library's soname -> its Debian package, as installed here
	local p f
	p=$(ldconfig -p | awk -v l="$1" '$1 == l {print $NF; exit}')
	[[ -n $p ]] || { echo "?$1"; return; }
	for f in "$(readlink -f "$p")" "$p" "${p#/usr}" "/usr${p#/usr}"; do
		dpkg -S "$f" 2>/dev/null | head -1 | cut -d: -f1 | grep . && return
	done
	echo "?$1"
}
needed_pkgs=$(for b in "$ctx"/build/bin/*; do
	readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
done | sort -u | while read -r lib; do pkg_of_lib "$lib"; done | sort -u)
log "runtime libraries come from: $(tr '\n' ' ' <<<"$needed_pkgs")"
uncovered=$(comm -23 <(grep -vx 'libc6' <<<"$needed_pkgs") <(printf '%s\n' "${runtime_pkgs[@]}" | sed 's/:.*//' | sort -u))
check "${uncovered:-none}" none "Dockerfile runtime stage installs every linked library's package"
check "$(bash -n "$DEPLOY/docker/sb-healthcheck" && echo ok)" ok "sb-healthcheck is valid bash"

if [[ ${SB_DOCKER_BUILD:-} == 1 ]] && docker info >/dev/null 2>&1; then
	rc=0
	docker build -f "$dockerfile" -t "securitybot:test-$T_ID" "$SB_SOURCE_DIR" >"$T_DIR/docker-build.log" 2>&1 || rc=$?
	check "$rc" 0 "docker build (SB_DOCKER_BUILD=1)"
	docker image rm "securitybot:test-$T_ID" >/dev/null 2>&1 || true
elif docker info >/dev/null 2>&1; then
	log "a Docker daemon answers; SB_DOCKER_BUILD=1 would also build the image"
else
	log "skipped: docker build (no Docker daemon here); the build stage was replayed instead"
fi

# ---------------------------------------------------------------- the deployments' configuration, run
# Each deployment's environment as written, except what points at its own
# cluster: brokers, topic prefix, groups, addresses, secret files and the chat
# platform (console, so that nothing talks to Slack).
setup_env 2
secrets=$T_DIR/secrets
mkdir -p "$secrets"
printf '%s\n' "$SECURITYBOT_DATABASE_URL" >"$secrets/database-url"
echo xoxb-test >"$secrets/slack-bot-token"
echo test-signing-secret >"$secrets/slack-signing-secret"
echo test-routing-key >"$secrets/pagerduty-routing-key"
python3 -c 'import os; print(os.urandom(32).hex())' >"$secrets/secret-key"
chmod 600 "$secrets"/*
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
supports() { grep -q "^  $2 " "$help_dir/$1.txt"; } # BINARY VARIABLE: --help lists it

# run_env ID PLATFORM: the run's environment (NAME=VALUE per line in the array RUN_ENV)
run_env() {
	local id=$1 platform=$2 kv name
	RUN_ENV=(PATH="$SB_BIN_DIR:/usr/bin:/bin")
	for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[[ -n ${!name:-} ]] && RUN_ENV+=("$name=${!name}")
	done
	RUN_PORTS=()
	while IFS= read -r -d '' kv; do
		name=${kv%%=*}
		case $name in
		SECURITYBOT_KAFKA_BROKERS) kv="$name=$SECURITYBOT_KAFKA_BROKERS" ;;
		SECURITYBOT_KAFKA_*) log "$id: $name not exercised (the test broker is plain)"; continue ;;
		SECURITYBOT_TOPIC_PREFIX) kv="$name=$SECURITYBOT_TOPIC_PREFIX" ;;
		SECURITYBOT_*_GROUP) kv="$name=${name,,}-$T_ID-$platform" ;;
		SECURITYBOT_DATABASE_URL_FILE) kv="$name=$secrets/database-url" ;;
		SLACK_BOT_TOKEN_FILE) kv="$name=$secrets/slack-bot-token" ;;
		SLACK_SIGNING_SECRET_FILE) kv="$name=$secrets/slack-signing-secret" ;;
		SECURITYBOT_SECRET_KEY_FILE) kv="$name=$secrets/secret-key" ;;
		SECURITYBOT_PAGERDUTY_ROUTING_KEY_FILE) kv="$name=$secrets/pagerduty-routing-key" ;;
		SECURITYBOT_MESSAGES_FILE) kv="$name=$DEPLOY/messages.json" ;;
		*_FILE) log "$id: no test value for $name"; T_FAILED=$((T_FAILED + 1)); continue ;;
		SECURITYBOT_CHAT | SECURITYBOT_CONSOLE_LOG) continue ;;
		SECURITYBOT_HTTP_LISTEN | SECURITYBOT_METRICS_LISTEN)
			RUN_PORTS+=("$name=$(free_port)")
			kv="$name=127.0.0.1:${RUN_PORTS[-1]#*=}"
			;;
		esac
		RUN_ENV+=("$kv")
	done <"$T_DIR/runs/$id.env"
	RUN_ENV+=(SECURITYBOT_CHAT=console "SECURITYBOT_CONSOLE_LOG=$T_DIR/console.$platform.log")
}
port_of() { local p; for p in "${RUN_PORTS[@]}"; do [[ ${p%%=*} == "$1" ]] && echo "${p#*=}"; done; return 0; }
# waits until GET 127.0.0.1:PORT/PATH answers 200 (max 60 s) while PID lives
wait_healthy() {
	local pid=$1 port=$2 path=$3 i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		"$DEPLOY/docker/sb-healthcheck" "$port" "$path" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

for platform in compose k8s systemd; do
	mapfile -t runs < <(awk -v p="$platform." 'index($1, p) == 1' "$T_DIR/runs/list")
	((${#runs[@]} == 6)) || { check "${#runs[@]}" 6 "$platform: runs for the one-shot and 5 workers"; continue; }
	# the one-shot first: migrations and topics on the test's database and prefix
	for r in "${runs[@]}"; do
		read -r id kind <<<"$r"
		[[ $kind == oneshot ]] || continue
		run_env "$id" "$platform"
		rc=0
		env -i "${RUN_ENV[@]}" /bin/sh -c "$(cat "$T_DIR/runs/$id.cmd")" >"$T_DIR/run.$id.log" 2>&1 || rc=$?
		check "$rc" 0 "$id: '$(cat "$T_DIR/runs/$id.cmd")' with its configuration exits 0"
		((rc == 0)) || tail -5 "$T_DIR/run.$id.log" >&2
	done
	declare -A pid_of=() health_of=()
	for r in "${runs[@]}"; do
		read -r id kind <<<"$r"
		[[ $kind == worker ]] || continue
		run_env "$id" "$platform"
		bin=sb-${id#*.}
		env -i "${RUN_ENV[@]}" /bin/sh -c "$(cat "$T_DIR/runs/$id.cmd")" 2>"$T_DIR/run.$id.log" &
		T_PIDS+=($!)
		pid_of[$id]=$!
		if [[ $bin == sb-gateway ]]; then
			health_of[$id]="$(port_of SECURITYBOT_HTTP_LISTEN) /readyz"
		elif supports "$bin" SECURITYBOT_METRICS_LISTEN && [[ -n $(port_of SECURITYBOT_METRICS_LISTEN) ]]; then
			health_of[$id]="$(port_of SECURITYBOT_METRICS_LISTEN) /healthz"
		else
			health_of[$id]=""
		fi
	done
	for id in "${!pid_of[@]}"; do
		pid=${pid_of[$id]}
		if [[ -n ${health_of[$id]} ]]; then
			read -r port path <<<"${health_of[$id]}"
			wait_healthy "$pid" "$port" "$path" && rc=0 || rc=1
			check "$rc" 0 "$id: healthy with its configuration (GET $path)"
		else
			sleep 3
			kill -0 "$pid" 2>/dev/null && rc=0 || rc=1
			check "$rc" 0 "$id: still running after 3 s with its configuration (no metrics endpoint in this build)"
		fi
		((rc == 0)) || tail -5 "$T_DIR/run.$id.log" >&2
	done
	# SIGTERM to all, then each must exit 0 within 30 s
	for id in "${!pid_of[@]}"; do kill -TERM "${pid_of[$id]}" 2>/dev/null || true; done
	for id in "${!pid_of[@]}"; do
		pid=${pid_of[$id]}
		for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		rc=0
		wait "$pid" || rc=$?
		check "$rc" 0 "$id: exit status after SIGTERM"
	done
	unset pid_of health_of
done

finish
