// Validates the manifests in k8s/ against the Kubernetes OpenAPI schemas (kubernetes-models)
// and checks what the schemas cannot: references between the objects and Lockstep's own rules
// (quorum-safe rollout, probes on the management port). Exit code 1 on any problem.
// Run: npm ci && node validate.mjs   (the JUnit test K8sManifestsTest runs it in the build)
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..");
const problems = [];
const objects = [];

const manifestFiles = readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort();
for (const file of manifestFiles) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
    if (doc.errors.length > 0) {
      problems.push(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const object = doc.toJS();
    if (object == null) continue;
    objects.push({ file, object });
  }
}

for (const { file, object } of objects) {
  const where = `${file}: ${object.kind}/${object.metadata?.name}`;
  const group = object.apiVersion?.includes("/") ? object.apiVersion : `core/${object.apiVersion}`;
  const modulePath = group.startsWith("core/")
    ? `kubernetes-models/${object.apiVersion}`
    : `kubernetes-models/${object.apiVersion}`;
  let Model;
  try {
    Model = (await import(modulePath))[object.kind];
  } catch (e) {
    problems.push(`${where}: unknown apiVersion ${object.apiVersion} (${e.message})`);
    continue;
  }
  if (!Model) {
    problems.push(`${where}: unknown kind ${object.kind} in ${object.apiVersion}`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (e) {
    problems.push(`${where}: ${e.message}`);
  }
}

const find = (kind, name) => objects.map((o) => o.object).find((o) => o.kind === kind && o.metadata?.name === name);
const check = (ok, message) => {
  if (!ok) problems.push(message);
};

const kustomization = parseAllDocuments(readFileSync(join(dir, "kustomization.yaml"), "utf8"))[0].toJS();
check(kustomization.kind === "Kustomization", "kustomization.yaml: kind must be Kustomization");
for (const resource of kustomization.resources ?? []) {
  check(manifestFiles.includes(resource), `kustomization.yaml: resource ${resource} does not exist`);
}
for (const file of manifestFiles) {
  check((kustomization.resources ?? []).includes(file), `kustomization.yaml: ${file} is not listed`);
}

const deployment = find("Deployment", "lockstep");
check(deployment, "a Deployment named lockstep is required");
if (deployment) {
  const spec = deployment.spec;
  const pod = spec.template.spec;
  const container = pod.containers[0];
  const portNames = new Set((container.ports ?? []).map((p) => p.name));
  check(spec.replicas >= 3, "Deployment: at least 3 replicas for a keep-majority cluster");
  check(spec.strategy?.rollingUpdate?.maxUnavailable === 0, "Deployment: rollingUpdate.maxUnavailable must be 0");
  check(spec.strategy?.rollingUpdate?.maxSurge === 1, "Deployment: rollingUpdate.maxSurge must be 1");
  for (const name of ["http", "management", "remoting"]) {
    check(portNames.has(name), `Deployment: container port '${name}' missing`);
  }
  check(container.readinessProbe?.httpGet?.path === "/ready" && container.readinessProbe?.httpGet?.port === "management",
    "Deployment: readiness probe must be GET /ready on the management port");
  check(container.livenessProbe?.httpGet?.path === "/alive" && container.livenessProbe?.httpGet?.port === "management",
    "Deployment: liveness probe must be GET /alive on the management port");
  check(container.resources?.requests && container.resources?.limits, "Deployment: resources requests and limits");
  const labels = spec.template.metadata.labels;
  const matches = (selector) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
  check(matches(spec.selector.matchLabels), "Deployment: selector does not match the pod labels");
  check(labels.app === "lockstep", "Deployment: pods need app=lockstep (Kubernetes API discovery selector)");
  check(find("ServiceAccount", pod.serviceAccountName), `Deployment: service account ${pod.serviceAccountName} missing`);
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      check(find("ConfigMap", source.configMapRef.name), `Deployment: ConfigMap ${source.configMapRef.name} missing`);
    }
  }
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
  for (const name of ["LOCKSTEP_DB_USER", "LOCKSTEP_DB_PASSWORD"]) {
    check(env[name]?.valueFrom?.secretKeyRef, `Deployment: ${name} must come from a Secret`);
  }
  check(env.LOCKSTEP_POD_IP?.valueFrom?.fieldRef?.fieldPath === "status.podIP", "Deployment: LOCKSTEP_POD_IP from status.podIP");
  for (const { object } of objects.filter((o) => o.object.kind === "Service" || o.object.kind === "PodDisruptionBudget")) {
    const selector = object.kind === "Service" ? object.spec.selector : object.spec.selector.matchLabels;
    check(matches(selector), `${object.kind}/${object.metadata.name}: selector does not match the pods`);
    for (const port of object.spec.ports ?? []) {
      check(portNames.has(port.targetPort), `Service/${object.metadata.name}: targetPort ${port.targetPort} is no container port`);
    }
  }
  const configMap = find("ConfigMap", "lockstep");
  check(configMap?.data?.LOCKSTEP_CLUSTER_FORMATION === "kubernetes", "ConfigMap: LOCKSTEP_CLUSTER_FORMATION=kubernetes");
}
check(find("PodDisruptionBudget", "lockstep"), "a PodDisruptionBudget is required");
const binding = objects.map((o) => o.object).find((o) => o.kind === "RoleBinding");
check(binding && find("Role", binding.roleRef.name), "RoleBinding must reference an existing Role");
const role = binding && find("Role", binding.roleRef.name);
check(role?.rules?.some((r) => r.resources.includes("pods") && r.verbs.includes("list")), "Role must allow listing pods");

// k8s/monitoring: the PrometheusRule and the Grafana dashboard (the metric names they use are
// checked against the node's registry by the JUnit test MonitoringManifestsTest).
const monitoring = join(dir, "monitoring");
const balanced = (expr) => {
  let depth = 0;
  for (const c of expr) {
    if ("([{".includes(c)) depth++;
    if (")]}".includes(c) && --depth < 0) return false;
  }
  return depth === 0;
};
let monitoringRules = 0;
for (const file of readdirSync(monitoring).filter((f) => f.endsWith(".yaml")).sort()) {
  for (const doc of parseAllDocuments(readFileSync(join(monitoring, file), "utf8"))) {
    if (doc.errors.length > 0) {
      problems.push(`monitoring/${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const rule = doc.toJS();
    const where = `monitoring/${file}`;
    check(rule?.apiVersion === "monitoring.coreos.com/v1" && rule?.kind === "PrometheusRule", `${where}: must be a monitoring.coreos.com/v1 PrometheusRule`);
    check(rule?.metadata?.name, `${where}: metadata.name`);
    const groups = rule?.spec?.groups ?? [];
    check(groups.length > 0, `${where}: spec.groups is empty`);
    check(new Set(groups.map((g) => g.name)).size === groups.length, `${where}: group names must be unique`);
    for (const group of groups) {
      for (const r of group.rules ?? []) {
        monitoringRules++;
        const name = r.alert ?? r.record;
        check((r.alert == null) !== (r.record == null), `${where}: a rule is either an alert or a record (${name})`);
        check(typeof r.expr === "string" && r.expr.trim().length > 0 && balanced(r.expr), `${where}: ${name}: expr empty or unbalanced`);
        if (r.alert != null) {
          check(["page", "ticket"].includes(r.labels?.severity), `${where}: ${name}: labels.severity must be page or ticket`);
          check(r.annotations?.summary && r.annotations?.description, `${where}: ${name}: annotations.summary and description`);
          check(r.for == null || /^[0-9]+[smhd]$/.test(r.for), `${where}: ${name}: for must be a duration`);
        }
      }
    }
  }
}
check(monitoringRules > 0, "monitoring: no PrometheusRule rules found");
for (const file of readdirSync(monitoring).filter((f) => f.endsWith(".json")).sort()) {
  let dashboard;
  try {
    dashboard = JSON.parse(readFileSync(join(monitoring, file), "utf8"));
  } catch (e) {
    problems.push(`monitoring/${file}: not JSON (${e.message})`);
    continue;
  }
  const panels = dashboard.panels ?? [];
  check(dashboard.title && dashboard.uid && panels.length > 0, `monitoring/${file}: a Grafana dashboard needs title, uid and panels`);
  check(new Set(panels.map((p) => p.id)).size === panels.length, `monitoring/${file}: panel ids must be unique`);
  for (const panel of panels) {
    check(panel.title && (panel.targets ?? []).length > 0, `monitoring/${file}: panel ${panel.id} needs a title and targets`);
    for (const target of panel.targets ?? []) {
      check(typeof target.expr === "string" && balanced(target.expr), `monitoring/${file}: panel ${panel.id}: expr empty or unbalanced`);
    }
  }
}

if (problems.length > 0) {
  console.error(`k8s manifests: ${problems.length} problem(s)`);
  problems.forEach((p) => console.error(`  - ${p}`));
  process.exit(1);
}
console.log(`k8s manifests valid: ${objects.length} objects in ${manifestFiles.length} files`);
