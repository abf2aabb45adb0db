"use strict";
// deploy_check.js SOURCE_DIR HELP_JSON RUNS_DIR: the deployment files of
// tests/integration/0013-deploy.sh checked (YAML, compose, Kubernetes,
// systemd, env files) against what the binaries' --help says (HELP_JSON,
// from deploy_help.js); prints "ok: ..." / "FAIL: ..." lines and writes each
// deployment's environment and command to RUNS_DIR. Needs NODE_PATH to hold
// js-yaml and kubernetes-models (the test installs them).
const fs = require("fs");
const os = require("os");
const path = require("path");
const util = require("util");
const yaml = require("js-yaml");

const [repo, helpFile, runsDir] = process.argv.slice(2);
const deploy = path.join(repo, "deploy");
const help = JSON.parse(fs.readFileSync(helpFile, "utf8"));
const WORKERS = ["ingest", "prompt", "gateway", "response", "escalation", "console"];
// The HTTP servers: their listen variable and port, probed on /readyz there.
const HTTP = { gateway: ["SECURITYBOT_HTTP_LISTEN", "8080"], console: ["SECURITYBOT_CONSOLE_LISTEN", "8090"] };
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
    if (name === "init") {
      const c = cmd.join(" ");
      ok(/sbctl migrate &&.* sbctl topics$/s.test(c), "compose init: runs sbctl migrate, then sbctl topics");
      ok(["ingest", "prompt", "response", "escalation", "console"].every((w) =>
        /for w in ([a-z ]+); do\s+sbctl roles password sb_\$\$w < \/run\/secrets\/pg-password-\$\$w/.test(c) &&
        c.match(/for w in ([a-z ]+);/)[1].split(" ").includes(w) && (s.secrets || []).includes(`pg-password-${w}`)),
        "compose init: sets each worker role's password from its pg-password-W secret");
    }
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
      if (HTTP[name]) {
        const [v, p] = HTTP[name];
        ok(new RegExp(`sb-healthcheck ${p} /readyz`).test(hc) && portOf(env[v]) === p,
          `compose ${name}: health check on its HTTP port's /readyz (${v})`);
        ok([].concat(s.ports || []).some((x) => String(x).endsWith(`:${p}`)), `compose ${name}: port ${p} published`);
      } else {
        ok(hc.includes(`sb-healthcheck ${portOf(env.SECURITYBOT_METRICS_LISTEN)} /healthz`),
          `compose ${name}: health check on /healthz of SECURITYBOT_METRICS_LISTEN`);
      }
    }
    const principal = name === "init" ? "sbctl" : bin;
    ok(own.SECURITYBOT_KAFKA_SASL_USERNAME === principal && own.SECURITYBOT_KAFKA_SASL_PASSWORD_FILE === `/run/secrets/kafka-password-${principal}`,
      `compose ${name}: Kafka principal ${principal} with its own password (${own.SECURITYBOT_KAFKA_SASL_USERNAME})`);
    addRun(`compose.${name}`, name === "init" ? "oneshot" : "worker", env, argvCmd(cmd));
  }
  // the broker: SASL only, authorizer on, no ACL no access; the ACLs before init
  const kenv = (services.kafka || {}).environment || {};
  ok(kenv.KAFKA_AUTHORIZER_CLASS_NAME === "org.apache.kafka.metadata.authorizer.StandardAuthorizer" &&
    String(kenv.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND) === "false" && kenv.KAFKA_SUPER_USERS === "User:admin",
    "compose kafka: StandardAuthorizer, allow.everyone.if.no.acl.found=false, super user admin only");
  ok(!/PLAINTEXT:PLAINTEXT/.test(kenv.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP || "") && !/(^|,)PLAINTEXT:/.test(kenv.KAFKA_LISTENERS || ""),
    "compose kafka: no unauthenticated listener");
  const ka = services["kafka-acls"] || {};
  ok(/acls\.sh apply/.test([].concat(ka.command || []).join(" ")) && (ka.volumes || []).some((v) => String(v).startsWith("./kafka/acls.sh:")),
    "compose kafka-acls: runs deploy/kafka/acls.sh apply");
  ok((((services.init || {}).depends_on || {})["kafka-acls"] || {}).condition === "service_completed_successfully",
    "compose init: after kafka-acls (sbctl topics needs sbctl's Create ACLs)");
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
    // a value from the pod's own name (a StatefulSet's stable name) reads
    // as the first pod's
    const fromField = (e) => ((e.valueFrom || {}).fieldRef || {}).fieldPath === "metadata.name" ? `${bin}-0` : undefined;
    const own = Object.fromEntries((ct.env || []).map((e) => [e.name, String(e.value !== undefined ? e.value : fromField(e))]));
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
    const principal = bin === "sbctl" ? "sbctl" : bin;
    ok(own.SECURITYBOT_KAFKA_SASL_USERNAME === principal && own.SECURITYBOT_KAFKA_SASL_PASSWORD_FILE === `/run/secrets/securitybot/kafka-password-${principal}`,
      `${where}: Kafka principal ${principal} with its own password`);
    const argv = [...(ct.command || []), ...(ct.args || [])];
    addRun(runId, runKind, env, argvCmd(argv));
    return { ct, env, argv };
  };

  // the gateway and the console consume nothing: Deployments; the consuming
  // workers are StatefulSets whose pods' stable names are their static group members
  const workloads = [...byKind("Deployment"), ...byKind("StatefulSet")];
  for (const w of WORKERS) {
    const bin = `sb-${w}`;
    const kind = HTTP[w] ? "Deployment" : "StatefulSet";
    const mine = workloads.filter((d) => (((d.spec.template.spec || {}).containers || [])[0] || {}).command?.[0] === bin);
    if (!ok(mine.length === 1 && mine[0].kind === kind, `k8s: one ${kind} runs ${bin}`)) continue;
    const d = mine[0];
    const where = `k8s ${kind} ${d.metadata.name}`;
    ok(d.spec.replicas >= 2, `${where}: ${d.spec.replicas} replicas`);
    if (kind === "StatefulSet") {
      const idEnv = (((d.spec.template.spec.containers || [])[0] || {}).env || []).find((e) => e.name === "SECURITYBOT_INSTANCE_ID");
      ok(idEnv && ((idEnv.valueFrom || {}).fieldRef || {}).fieldPath === "metadata.name",
        `${where}: SECURITYBOT_INSTANCE_ID is the pod's stable name`);
      const hl = byKind("Service").find((s) => s.metadata.name === d.spec.serviceName);
      ok(hl && hl.spec.clusterIP === "None" && subset(hl.spec.selector, d.spec.template.metadata.labels),
        `${where}: its serviceName is a headless Service selecting its pods (${d.spec.serviceName})`);
    }
    ok(subset(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${where}: the selector matches its pods`);
    const { ct, env } = checkPod(where, d.spec.template.spec, bin, "worker", `k8s.${w}`);
    const ports = Object.fromEntries((ct.ports || []).map((p) => [p.name, String(p.containerPort)]));
    const probe = (p) => (p && p.httpGet ? `${p.httpGet.path}@${ports[p.httpGet.port] || p.httpGet.port}` : "none");
    const ann = d.spec.template.metadata.annotations || {};
    ok(ann["prometheus.io/scrape"] === "true" && ann["prometheus.io/port"] === ports.metrics && ports.metrics === portOf(env.SECURITYBOT_METRICS_LISTEN),
      `${where}: Prometheus scrapes the metrics port (${ports.metrics})`);
    if (HTTP[w]) {
      const http = portOf(env[HTTP[w][0]]);
      ok(ports.http === http, `${where}: container port http = ${HTTP[w][0]}'s port (${http})`);
      ok(probe(ct.livenessProbe) === `/healthz@${http}`, `${where}: liveness probe GET /healthz on the HTTP port (${probe(ct.livenessProbe)})`);
      ok(probe(ct.readinessProbe) === `/readyz@${http}`, `${where}: readiness probe GET /readyz on the HTTP port (${probe(ct.readinessProbe)})`);
      const svc = byKind("Service").find((s) => subset(s.spec.selector, d.spec.template.metadata.labels));
      ok(svc && svc.spec.ports.some((p) => p.targetPort === "http" || String(p.targetPort) === http),
        `k8s: a Service sends traffic to ${bin}'s HTTP port${svc ? ` (${svc.metadata.name})` : ""}`);
    } else {
      const m = portOf(env.SECURITYBOT_METRICS_LISTEN);
      ok(probe(ct.livenessProbe) === `/healthz@${m}`, `${where}: liveness probe GET /healthz on the metrics port (${probe(ct.livenessProbe)})`);
      ok(probe(ct.readinessProbe) === `/healthz@${m}`, `${where}: readiness probe GET /healthz on the metrics port (${probe(ct.readinessProbe)})`);
    }
    const pdb = byKind("PodDisruptionBudget").find((p) => subset(p.spec.selector.matchLabels, d.spec.template.metadata.labels) &&
      p.spec.selector.matchLabels["app.kubernetes.io/component"] === w);
    ok(pdb && (pdb.spec.maxUnavailable === 1 || pdb.spec.minAvailable === 1), `k8s: a PodDisruptionBudget keeps one ${bin} pod up`);
  }
  const aclCm = byKind("ConfigMap").find((d) => d.metadata.name === "securitybot-kafka-acls") || { data: {} };
  ok((aclCm.data || {})["acls.sh"] === fs.readFileSync(path.join(deploy, "kafka", "acls.sh"), "utf8"),
    "k8s ConfigMap securitybot-kafka-acls holds deploy/kafka/acls.sh");
  const aclJob = byKind("Job").find((j) => j.metadata.name === "securitybot-kafka-acls");
  const aclCt = aclJob ? (aclJob.spec.template.spec.containers || [])[0] || {} : {};
  ok(aclJob && /acls\.sh apply/.test((aclCt.command || []).join(" ")) &&
    (aclJob.spec.template.spec.volumes || []).some((v) => v.configMap && v.configMap.name === "securitybot-kafka-acls") &&
    secretKeys.includes("kafka-admin.properties"),
    "k8s: the Job securitybot-kafka-acls applies acls.sh with the Secret's kafka-admin.properties");
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
    // %H (the host name) is expanded as systemd does; %d stays for the check below
    for (const e of u.Service.Environment || []) { const i = e.indexOf("="); env[e.slice(0, i)] = e.slice(i + 1).replace(/%H/g, os.hostname()); }
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
