/**
 * Static checks of the deployment files (no Docker engine or cluster needed):
 * every YAML under deploy/ parses, and the invariants a broken rollout would
 * otherwise reveal only in production hold — probes on the right paths and
 * port, non-root, grace period above the drain deadline, selectors that
 * match, files that exist, a Dockerfile whose final stage is non-root with a
 * health check and no dev dependencies.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEPLOY = join(ROOT, 'deploy');
const K8S = join(DEPLOY, 'kubernetes');

type Obj = Record<string, any>;

function walk(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, found);
    else found.push(path);
  }
  return found;
}

const isYaml = (file: string) => /\.ya?ml$/.test(file);

/** Parses every document of a YAML file; any error or warning fails. */
function loadYaml(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  const problems = list.flatMap((doc) => [...doc.errors, ...doc.warnings].map((issue) => `${relative(ROOT, file)}: ${issue.message}`));
  assert.deepEqual(problems, [], problems.join('\n'));
  return list.map((doc) => doc.toJS() as Obj).filter((doc) => doc !== null && doc !== undefined);
}

function k8sObjects(): { file: string; obj: Obj }[] {
  return walk(K8S)
    .filter(isYaml)
    .flatMap((file) => loadYaml(file).map((obj) => ({ file, obj })))
    .filter(({ obj }) => !String(obj.apiVersion ?? '').startsWith('kustomize.config.k8s.io/'));
}

function one(kind: string, name?: string): Obj {
  const found = k8sObjects().filter(({ obj }) => obj.kind === kind && (name === undefined || obj.metadata?.name === name));
  assert.equal(found.length, 1, `expected exactly one ${kind}${name ? ` ${name}` : ''} under deploy/kubernetes, found ${found.length}`);
  return found[0]!.obj;
}

function subsetOf(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function mcpdContainer(deployment: Obj): Obj {
  const containers: Obj[] = deployment.spec.template.spec.containers;
  const container = containers.find((c) => c.name === 'mcpd');
  assert.ok(container, 'the Deployment has a container named mcpd');
  return container;
}

/** A probe's port (number or the name of a container port) as a number. */
function probePort(container: Obj, port: number | string): number {
  if (typeof port === 'number') return port;
  const named = (container.ports as Obj[]).find((p) => p.name === port);
  assert.ok(named, `probe port "${port}" names a container port`);
  return named.containerPort;
}

/** Seconds the preStop hook holds the pod before SIGTERM. */
function preStopSeconds(container: Obj): number {
  const preStop = container.lifecycle?.preStop;
  assert.ok(preStop, 'the container has a preStop hook');
  if (preStop.sleep) return Number(preStop.sleep.seconds);
  const command: string[] = preStop.exec?.command ?? [];
  const sleep = command.join(' ').match(/\bsleep\s+(\d+(?:\.\d+)?)/);
  assert.ok(sleep, `preStop sleeps: ${JSON.stringify(preStop)}`);
  return Number(sleep[1]);
}

function configMapData(): Record<string, string> {
  return one('ConfigMap', 'mcpd-config').data;
}

/** The real config loader, if this tree has it; undefined lets a test skip. */
async function configLoader(): Promise<((options: Obj) => { config: Obj }) | undefined> {
  try {
    const module = (await import('../../src/app/config.js')) as Obj;
    return typeof module.loadConfig === 'function' ? module.loadConfig : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the loader on an environment whose *_FILE secrets point at a throwaway file. */
function withSecretFiles<T>(env: Record<string, string>, run: (env: Record<string, string>) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'mcpd-deploy-'));
  try {
    const file = join(dir, 'secret');
    writeFileSync(file, 'x'.repeat(64));
    // API keys are a JSON list (what `mcpd apikey create` prints), the other secrets plain strings.
    const keys = join(dir, 'api-keys');
    writeFileSync(keys, JSON.stringify([{ name: 'client', sha256: 'a'.repeat(64), scopes: ['*'] }]));
    const resolved = Object.fromEntries(
      Object.entries(env).map(([key, value]) => [key, key === 'MCPD_AUTH__API_KEYS_FILE' ? keys : key.endsWith('_FILE') ? file : value]),
    );
    return run(resolved);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// YAML and Kustomize

test('every YAML file under deploy/ parses', () => {
  const files = walk(DEPLOY).filter(isYaml);
  assert.ok(files.length >= 8, `found ${files.length} YAML files`);
  for (const file of files) assert.ok(loadYaml(file).length > 0, `${relative(ROOT, file)} has a document`);
});

test('Kubernetes manifests are complete and namespace-agnostic', () => {
  for (const { file, obj } of k8sObjects()) {
    const where = relative(ROOT, file);
    assert.ok(obj.apiVersion && obj.kind && obj.metadata?.name, `${where}: apiVersion, kind and metadata.name`);
    assert.equal(obj.metadata.namespace, undefined, `${where}: no hard-coded namespace`);
    assert.equal(obj.metadata.labels?.['app.kubernetes.io/name'], 'mcpd', `${where}: app.kubernetes.io/name label`);
  }
});

test('kustomizations list files that exist, and every manifest is listed or an explicit example', () => {
  const kustomizations = walk(K8S).filter((file) => /(^|\/)kustomization\.ya?ml$/.test(file));
  assert.ok(kustomizations.includes(join(K8S, 'kustomization.yaml')));
  const referenced = new Set<string>();
  for (const file of kustomizations) {
    const [k] = loadYaml(file);
    const base = dirname(file);
    for (const entry of [...(k!.resources ?? []), ...(k!.components ?? [])] as string[]) {
      const path = resolve(base, entry);
      assert.ok(existsSync(path), `${relative(ROOT, file)} lists ${entry}, which exists`);
      referenced.add(path);
    }
    // Optional components of the root kustomization may be commented out; they must still exist.
    if (file !== join(K8S, 'kustomization.yaml')) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(/^#\s+-\s+(components\/\S+)/gm)) {
      const path = resolve(base, match[1]!);
      assert.ok(existsSync(path), `${relative(ROOT, file)} mentions ${match[1]}, which exists`);
      referenced.add(path);
    }
  }
  const [root] = loadYaml(join(K8S, 'kustomization.yaml'));
  assert.ok(!(root!.resources as string[]).some((entry) => entry.includes('example')), 'the placeholder Secret is never applied by -k');
  for (const file of walk(K8S).filter(isYaml)) {
    if (kustomizations.includes(file) || file.endsWith('.example.yaml')) continue;
    assert.ok(referenced.has(file), `${relative(ROOT, file)} is listed by a kustomization`);
  }
  const deploymentImage = mcpdContainer(one('Deployment', 'mcpd')).image.split(':')[0];
  assert.ok((root!.images as Obj[]).some((image) => image.name === deploymentImage), 'kustomization images: names the Deployment image');
});

// ---------------------------------------------------------------------------
// Deployment

test('Deployment probes hit /healthz and /readyz on the container port', () => {
  const deployment = one('Deployment', 'mcpd');
  const container = mcpdContainer(deployment);
  const port = (container.ports as Obj[])[0]!.containerPort;
  assert.equal(port, 3000);
  assert.equal(String(port), configMapData().MCPD_HTTP__PORT, 'MCPD_HTTP__PORT is the container port');
  for (const [probe, path] of [
    ['livenessProbe', '/healthz'],
    ['readinessProbe', '/readyz'],
    ['startupProbe', '/healthz'],
  ] as const) {
    const spec = container[probe];
    assert.ok(spec?.httpGet, `${probe} is an HTTP probe`);
    assert.equal(spec.httpGet.path, path, `${probe} path`);
    assert.equal(probePort(container, spec.httpGet.port), port, `${probe} port`);
  }
  const annotations = deployment.spec.template.metadata.annotations;
  assert.equal(annotations['prometheus.io/scrape'], 'true');
  assert.equal(annotations['prometheus.io/port'], String(port));
  assert.equal(annotations['prometheus.io/path'], '/metrics');
});

test('Deployment runs non-root, read-only, without capabilities, with resources', () => {
  const deployment = one('Deployment', 'mcpd');
  assert.equal(deployment.spec.replicas, 3);
  const pod = deployment.spec.template.spec;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(pod.securityContext.runAsUser > 0, 'numeric non-root runAsUser (the image says USER node)');
  assert.equal(pod.enableServiceLinks, false, 'service links would inject unknown MCPD_* variables, which mcpd refuses');
  const container = mcpdContainer(deployment);
  const security = container.securityContext;
  assert.equal(security.readOnlyRootFilesystem, true);
  assert.equal(security.allowPrivilegeEscalation, false);
  assert.ok(security.capabilities.drop.includes('ALL'), 'drops ALL capabilities');
  assert.equal(security.capabilities.add, undefined);
  for (const kind of ['requests', 'limits']) {
    assert.ok(container.resources?.[kind]?.cpu && container.resources[kind].memory, `resources.${kind} cpu and memory`);
  }
});

test('terminationGracePeriodSeconds exceeds preStop + the shutdown timeout', () => {
  const deployment = one('Deployment', 'mcpd');
  const container = mcpdContainer(deployment);
  const shutdownMs = Number(configMapData().MCPD_LIFECYCLE__SHUTDOWN_TIMEOUT_MS ?? 10_000);
  assert.ok(Number.isFinite(shutdownMs) && shutdownMs > 0);
  const preStop = preStopSeconds(container);
  assert.ok(preStop >= 3, `preStop sleeps long enough for endpoint removal (${preStop} s)`);
  const grace = deployment.spec.template.spec.terminationGracePeriodSeconds;
  assert.ok(grace > preStop + shutdownMs / 1000, `grace ${grace} s > preStop ${preStop} s + shutdown ${shutdownMs / 1000} s`);
});

test('the request-state secret reaches the file MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE names', () => {
  const deployment = one('Deployment', 'mcpd');
  const container = mcpdContainer(deployment);
  const path: string = (container.env as Obj[]).find((e) => e.name === 'MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE')?.value;
  assert.ok(path, 'the secret is passed as a file');
  const mount = (container.volumeMounts as Obj[]).find((m) => path.startsWith(`${m.mountPath}/`) || path === m.mountPath);
  assert.ok(mount, `a volume is mounted at ${path}`);
  const volume = (deployment.spec.template.spec.volumes as Obj[]).find((v) => v.name === mount.name);
  assert.ok(volume, `volume ${mount.name} is declared`);
  const example = one('Secret');
  assert.equal(volume.secret?.secretName, example.metadata.name, 'mounted from the Secret the example defines');
  const fileName = mount.subPath ?? relative(mount.mountPath, path);
  const item = (volume.secret.items as Obj[] | undefined)?.find((i) => i.path === fileName);
  const key = item?.key ?? fileName;
  assert.ok(key in (example.stringData ?? example.data ?? {}), `the Secret has key ${key}`);
  const placeholder = String(example.stringData?.[key] ?? '');
  assert.ok(placeholder.length < 32, 'the placeholder is too short for mcpd to accept, so it can never run with it');
});

test('Service, PodDisruptionBudget and HPA select the Deployment', () => {
  const deployment = one('Deployment', 'mcpd');
  const labels = deployment.spec.template.metadata.labels;
  assert.ok(subsetOf(deployment.spec.selector.matchLabels, labels), 'Deployment selector matches its pod labels');
  const service = one('Service', 'mcpd');
  assert.ok(Object.keys(service.spec.selector).length > 0);
  assert.ok(subsetOf(service.spec.selector, labels), 'Service selector matches the pods');
  const container = mcpdContainer(deployment);
  for (const port of service.spec.ports as Obj[]) {
    assert.equal(probePort(container, port.targetPort), 3000, 'Service targets the container port');
  }
  const pdb = one('PodDisruptionBudget', 'mcpd');
  assert.ok(subsetOf(pdb.spec.selector.matchLabels, labels), 'PDB selector matches the pods');
  assert.ok(pdb.spec.maxUnavailable === 1 || pdb.spec.minAvailable === 2, 'PDB keeps two of three replicas');
  const hpa = one('HorizontalPodAutoscaler', 'mcpd');
  assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment');
  assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
  assert.ok(hpa.spec.minReplicas >= 2, 'HPA keeps at least two replicas (PDB)');
});

test('the ConfigMap and compose environments are valid mcpd configuration', async (t) => {
  const loadConfig = await configLoader();
  if (!loadConfig) {
    t.skip('src/app/config.ts is not in this tree');
    return;
  }
  const data = configMapData();
  const deploymentEnv = Object.fromEntries((mcpdContainer(one('Deployment', 'mcpd')).env as Obj[]).map((e) => [e.name, e.value]));
  const k8s = withSecretFiles({ ...data, ...deploymentEnv }, (env) => loadConfig({ env, cwd: ROOT }).config);
  assert.equal(k8s.environment, 'production');
  assert.equal(k8s.http.host, '0.0.0.0');
  assert.equal(k8s.http.port, 3000);
  assert.equal(k8s.lifecycle.shutdownTimeoutMs, Number(data.MCPD_LIFECYCLE__SHUTDOWN_TIMEOUT_MS));
  assert.equal(typeof k8s.protocol.requestStateSecret, 'string');
  const [compose] = loadYaml(join(DEPLOY, 'docker-compose.yml'));
  const composeEnv = compose!.services.mcpd.environment as Record<string, string>;
  const local = withSecretFiles(composeEnv, (env) => loadConfig({ env, cwd: ROOT }).config);
  assert.equal(local.http.port, 3000);
  assert.equal(typeof local.protocol.requestStateSecret, 'string');
});

// ---------------------------------------------------------------------------
// docker compose and Prometheus

test('compose: the four services, each with a health check', () => {
  const [compose] = loadYaml(join(DEPLOY, 'docker-compose.yml'));
  const services = compose!.services as Obj;
  assert.deepEqual(Object.keys(services).sort(), ['mcpd', 'postgres', 'prometheus', 'redis']);
  for (const [name, service] of Object.entries(services)) {
    const check = (service as Obj).healthcheck;
    assert.ok(Array.isArray(check?.test) && check.test.length > 1 && check.disable !== true, `${name} has a healthcheck`);
  }
  assert.match(services.postgres.image, /^postgres:16(\b|-)/);
  assert.match(services.redis.image, /^redis:7(\b|-)/);
  assert.match(services.prometheus.image, /^prom\/prometheus:/);
  const build = services.mcpd.build;
  assert.ok(existsSync(join(DEPLOY, build.context, build.dockerfile ?? 'Dockerfile')), 'mcpd builds from the repository Dockerfile');
  assert.ok(services.mcpd.healthcheck.test.join(' ').includes('/readyz') || services.mcpd.healthcheck.test.join(' ').includes('/healthz'));
});

test('compose: secrets come from deploy/secrets/, which git ignores', () => {
  const [compose] = loadYaml(join(DEPLOY, 'docker-compose.yml'));
  const mcpd = compose!.services.mcpd;
  const secretPath = mcpd.environment.MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE;
  const secretName = (mcpd.secrets as (string | Obj)[]).map((s) => (typeof s === 'string' ? s : s.source)).find((s) => secretPath === `/run/secrets/${s}`);
  assert.ok(secretName, `a compose secret is mounted at ${secretPath}`);
  for (const [name, secret] of Object.entries(compose!.secrets as Obj)) {
    assert.ok(resolve(DEPLOY, secret.file).startsWith(join(DEPLOY, 'secrets') + '/'), `secret ${name} is read from deploy/secrets/`);
  }
  const ignore = readFileSync(join(DEPLOY, 'secrets', '.gitignore'), 'utf8').split('\n').map((line) => line.trim());
  assert.ok(ignore.includes('*') && ignore.includes('!.gitignore'), 'deploy/secrets/.gitignore ignores everything but itself');
  const shutdownMs = Number(mcpd.environment.MCPD_LIFECYCLE__SHUTDOWN_TIMEOUT_MS ?? 10_000);
  const grace = String(mcpd.stop_grace_period).match(/^(\d+)s$/);
  assert.ok(grace && Number(grace[1]) > shutdownMs / 1000, 'stop_grace_period exceeds the shutdown timeout');
  assert.equal(mcpd.read_only, true);
  assert.ok(mcpd.cap_drop.includes('ALL'));
});

test('Prometheus scrapes mcpd:3000/metrics', () => {
  const [compose] = loadYaml(join(DEPLOY, 'docker-compose.yml'));
  const mount = (compose!.services.prometheus.volumes as string[]).find((v) => v.includes(':/etc/prometheus/prometheus.yml'));
  assert.ok(mount, 'prometheus.yml is mounted');
  const file = resolve(DEPLOY, mount.split(':')[0]!);
  assert.equal(file, join(DEPLOY, 'prometheus.yml'));
  const [config] = loadYaml(file);
  const job = (config!.scrape_configs as Obj[]).find((s) =>
    (s.static_configs as Obj[] | undefined)?.some((c) => (c.targets as string[]).includes('mcpd:3000')),
  );
  assert.ok(job, 'a scrape job targets mcpd:3000');
  assert.equal(job.metrics_path ?? '/metrics', '/metrics');
});

// ---------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, rest] = line.match(/^(\S+)\s*(.*)$/)!;
    const instruction = { op: op!.toUpperCase(), args: rest!.replace(/\s+/g, ' ') };
    if (instruction.op === 'FROM') {
      const [, image, name] = instruction.args.match(/^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i)!;
      const from = image!.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => args[arg] ?? '');
      stages.push({ name: name ?? String(stages.length), from, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.op === 'ARG') {
        const [name, value] = instruction.args.split('=');
        args[name!] = value ?? '';
      }
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** The stage and its ancestors (FROM <earlier stage>), nearest first. */
function lineage(stages: Stage[], stage: Stage): Stage[] {
  const parent = stages.find((s) => s.name === stage.from);
  return parent ? [stage, ...lineage(stages, parent)] : [stage];
}

test('Dockerfile: multi-stage, slim Node 20 base, production-only final stage', () => {
  const { stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const byName = (name: string) => stages.find((s) => s.name === name);
  const root = (stage: Stage) => lineage(stages, stage).at(-1)!.from;
  assert.ok(stages.length >= 3, 'build, deps and runtime stages');
  for (const stage of stages) assert.match(root(stage), /^node:20-bookworm-slim(@sha256:[0-9a-f]{64})?$/, `stage ${stage.name} is based on node:20-bookworm-slim`);

  const build = byName('build')!;
  const buildRuns = lineage(stages, build).flatMap((s) => s.instructions).filter((i) => i.op === 'RUN').map((i) => i.args);
  assert.ok(buildRuns.some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run)), 'build stage installs everything');
  assert.ok(buildRuns.some((run) => /\bnpm run build\b/.test(run)), 'build stage runs npm run build');

  const deps = byName('deps')!;
  const depsRuns = deps.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  assert.ok(depsRuns.some((run) => /\bnpm ci\b.*--omit=dev/.test(run)), 'deps stage runs npm ci --omit=dev');

  const final = stages.at(-1)!;
  const chain = lineage(stages, final).reverse().flatMap((s) => s.instructions);
  const finalOwn = final.instructions;
  // No dev dependencies: node_modules come only from the deps stage, nothing is installed here.
  const copies = finalOwn.filter((i) => i.op === 'COPY');
  const modules = copies.filter((i) => /node_modules/.test(i.args));
  assert.ok(modules.length === 1 && /--from=deps\b/.test(modules[0]!.args), 'node_modules are copied from the deps stage only');
  assert.ok(copies.some((i) => /--from=build\b/.test(i.args) && /\/app\/dist\b/.test(i.args)), 'dist/ comes from the build stage');
  assert.ok(!copies.some((i) => /--from=build\b/.test(i.args) && /node_modules/.test(i.args)), 'no node_modules from the build stage');
  assert.ok(!chain.some((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args)), 'the final stage and its ancestors install nothing');
  assert.ok(!copies.some((i) => !/--from=/.test(i.args) && /\bsrc\b/.test(i.args)), 'no sources in the final stage');

  const users = chain.filter((i) => i.op === 'USER');
  assert.ok(users.length > 0, 'the final stage sets USER');
  assert.doesNotMatch(users.at(-1)!.args, /^(root|0)(:|$)/, 'the final USER is not root');

  const env = chain.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
  assert.match(env, /\bMCPD_ENV=production\b/);
  assert.match(env, /\bMCPD_HTTP__HOST=0\.0\.0\.0\b/);
  assert.ok(finalOwn.some((i) => i.op === 'EXPOSE' && /\b3000\b/.test(i.args)), 'EXPOSE 3000');

  const healthcheck = finalOwn.find((i) => i.op === 'HEALTHCHECK');
  assert.ok(healthcheck, 'HEALTHCHECK');
  const command = JSON.parse(healthcheck.args.slice(healthcheck.args.indexOf('CMD ') + 4)) as string[];
  assert.equal(command[0], 'node', 'the health check uses node (slim has no curl or wget)');
  assert.match(command.join(' '), /\/healthz/);

  const cmd = finalOwn.filter((i) => i.op === 'CMD').at(-1);
  assert.deepEqual(JSON.parse(cmd!.args), ['node', 'dist/bin/mcpd.js', 'serve'], 'exec-form CMD runs node directly (PID 1 gets SIGTERM)');
  assert.ok(copies.some((i) => /\bpackage\.json\b/.test(i.args)), 'package.json ("type": "module") is in the image');
  assert.ok(copies.some((i) => /\bconfig\/?\s/.test(i.args)), 'config/ is in the image');
});

test('.dockerignore lets in exactly what the Dockerfile copies from the context', () => {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  assert.equal(patterns[0], '*', 'allow-list: everything is excluded first');
  const allowed = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1).replace(/\/$/, ''));
  assert.ok(!allowed.some((p) => /^(deploy|\.git|node_modules|dist|\.env)/.test(p)), 'secrets, .git, node_modules and dist stay out');
  const { stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  for (const copy of stages.flatMap((s) => s.instructions).filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))) {
    const parts = copy.args.split(' ').filter((p) => !p.startsWith('--'));
    for (const source of parts.slice(0, -1)) {
      const path = source.replace(/\/$/, '');
      assert.ok(allowed.includes(path), `.dockerignore re-includes ${path}, which the Dockerfile copies`);
      assert.ok(existsSync(join(ROOT, path)), `${path} exists in the repository`);
    }
  }
});
