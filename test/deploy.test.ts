// The deploy files (deploy/Dockerfile, .dockerignore, docker-compose.yml, deploy/k8s) checked against
// the code without a Docker engine or a cluster: they parse, the Kustomize overlays render
// (test/support/kustomize.ts), every manifest validates against the Kubernetes schemas
// (kubernetes-models), every variable they set is one the code reads and the code's own config
// readers accept each process's environment, and ports, probes and commands match the code.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { ROOT_DIR } from '../lib/composition.ts';
import { identitySigningConfigFromEnv } from '../lib/auth/index.ts';
import { databaseTarget } from '../lib/db/target.ts';
import { eventsConfigFromEnv } from '../lib/events/index.ts';
import { gatewayConfigFromEnv } from '../lib/gateway/config.ts';
import { CLOSE_GRACE_MS, shutdownConfigFromEnv } from '../lib/http/index.ts';
import { PROCESS_NAMES, processEntry, type ProcessName } from '../lib/processes.ts';
import { redisConfigFromEnv } from '../lib/redis/index.ts';
import { GATEWAYS, portVariable, SUBGRAPH_NAMES, SUBGRAPHS, isSubgraphName } from '../lib/services.ts';
import { webProfile } from '../gateway-web/src/profile.ts';
import { mobileProfile } from '../gateway-mobile/src/profile.ts';
import { ordersConfigFromEnv } from '../subgraphs/orders/src/config.ts';
import { paymentsConfigFromEnv } from '../subgraphs/payments/src/config.ts';
import { envNamesReadByCode, isReadByCode } from './support/envNames.ts';
import { readYamlDocuments, renderKustomization, strategicMerge, type K8sObject } from './support/kustomize.ts';

const read = (path: string) => readFileSync(join(ROOT_DIR, path), 'utf8');
const codeEnv = envNamesReadByCode();
const OVERLAYS = ['dev', 'prod'] as const;
const rendered = Object.fromEntries(
  OVERLAYS.map((o) => [o, renderKustomization(join(ROOT_DIR, 'deploy/k8s/overlays', o))]),
) as Record<(typeof OVERLAYS)[number], K8sObject[]>;

function defaultPort(name: ProcessName): number {
  return isSubgraphName(name) ? SUBGRAPHS[name].port : GATEWAYS[name.slice('gateway-'.length) as 'web' | 'mobile'].port;
}

/** Runs the code's own config readers on one process's environment, as the process would at start. */
function checkProcessEnv(name: ProcessName, env: Record<string, string>, expectRedis: 'single' | 'cluster'): void {
  const context = `${name}: `;
  expect(env.NODE_ENV, `${context}NODE_ENV`).toBe('production');
  expect(env.HOST, `${context}HOST`).toBe('0.0.0.0');
  expect(() => identitySigningConfigFromEnv(env), context).not.toThrow();
  expect(redisConfigFromEnv(env).kind, `${context}Redis`).toBe(expectRedis);
  expect(() => eventsConfigFromEnv(env), context).not.toThrow();
  expect(shutdownConfigFromEnv(env).drainMs, `${context}SHUTDOWN_DRAIN_MS`).toBeGreaterThan(0);
  if (isSubgraphName(name)) {
    expect(databaseTarget(name, env).kind, `${context}its own Postgres database`).toBe('postgres');
    if (name === 'orders') {
      const orders = ordersConfigFromEnv(env);
      for (const provider of ['inventory', 'payments', 'products'] as const)
        expect(new URL(orders.providers[provider].urls[0]!).port).toBe(String(SUBGRAPHS[provider].port));
    }
    if (name === 'payments') expect(() => paymentsConfigFromEnv(env)).not.toThrow();
  } else {
    const config = gatewayConfigFromEnv(name === 'gateway-web' ? webProfile : mobileProfile, env);
    expect(config.production).toBe(true);
    for (const subgraph of SUBGRAPH_NAMES) {
      const urls = config.subgraphInstances?.[subgraph];
      expect(urls, `${context}${subgraph.toUpperCase()}_URLS`).toBeDefined();
      for (const url of urls!) {
        expect(new URL(url).hostname, `${context}${subgraph} reached by its service name`).toBe(subgraph);
        expect(new URL(url).port).toBe(String(SUBGRAPHS[subgraph].port));
        expect(new URL(url).pathname).toBe('/graphql');
      }
    }
  }
}

function expectAllReadByCode(names: Iterable<string>, where: string): void {
  const unread = [...names].filter((name) => !isReadByCode(name, codeEnv));
  expect(unread, `${where} sets variables no code reads`).toEqual([]);
}

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('deploy/Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.find((s) => /^\S+ AS runtime\s*$/m.test(s.split('\n')[0]!))!;

  it('builds in one stage and runs a runtime stage with production dependencies only, as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(runtime).toBeDefined();
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const build = stages.find((s) => s.startsWith('${NODE_IMAGE} AS build'))!;
    expect(build).toMatch(/RUN npm run -s generate/);
    const user = /^USER (\S+)/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(runtime).toMatch(/HEALTHCHECK .*deploy\/healthcheck\.mjs", "\/health"\]/);
  });

  it('bakes no secret in and keeps secrets and local data out of the build context', () => {
    for (const line of dockerfile.split('\n').filter((l) => /^(ENV|ARG)\b/.test(l)))
      expect(line).not.toMatch(/SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL/i);
    const ignore = read('.dockerignore').split('\n');
    for (const entry of ['.env', 'node_modules', '.data', '.git', '**/__generated__']) expect(ignore).toContain(entry);
  });

  it('has an entry point that runs every process, and a health check on each process port', () => {
    const entry = /^ENTRYPOINT \[(.*)\]$/m.exec(runtime)?.[1];
    expect(entry).toBe('"node", "--import", "tsx", "scripts/serve.ts"');
    for (const name of PROCESS_NAMES) expect(existsSync(join(ROOT_DIR, processEntry(name))), name).toBe(true);
    const healthcheck = read('deploy/healthcheck.mjs');
    const table = /const DEFAULT_PORTS = (\{[^}]*\})/.exec(healthcheck)?.[1];
    const ports = Object.fromEntries([...table!.matchAll(/'?([\w-]+)'?: (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(ports).toEqual(Object.fromEntries(PROCESS_NAMES.map((n) => [n, defaultPort(n)])));
  });

  it('copies every file the entry point imports, and those import runtime dependencies only', () => {
    const copied = [...runtime.matchAll(/^COPY --from=build \S+ \/app\/(\S+) /gm)].map((m) => m[1]!);
    const dependencies = Object.keys(
      (JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies,
    );
    const seen = new Set<string>();
    const packages = new Set<string>();
    const queue = ['scripts/serve.ts', 'scripts/db.ts', ...PROCESS_NAMES.map(processEntry)];
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = read(file);
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)) {
        const spec = m[1] ?? m[2]!;
        if (text.slice(m.index, m.index + 12).includes('import type')) continue;
        if (spec.startsWith('.')) {
          const target = join(file, '..', spec);
          if (target.includes('__generated__')) continue; // generated in the build stage, copied with its folder
          queue.push(target);
        } else if (!spec.startsWith('node:')) {
          packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    }
    const uncopied = [...seen].filter((f) => !copied.some((dir) => f === dir || f.startsWith(`${dir}/`)));
    expect(uncopied, 'files the runtime imports but the image does not copy').toEqual([]);
    const devOnly = [...packages].filter((p) => !dependencies.includes(p));
    expect(devOnly, 'packages the runtime imports that npm ci --omit=dev leaves out').toEqual([]);
    expect(seen.size).toBeGreaterThan(50);
  });
});

describe('docker-compose.yml', () => {
  const [compose] = readYamlDocuments(join(ROOT_DIR, 'docker-compose.yml')) as Array<{
    services: Record<string, Record<string, unknown>>;
  }>;
  const services = compose!.services;
  const example = new Map(
    read('.env.example')
      .split('\n')
      .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=(\S*)/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  /** Compose's interpolation with .env.example as the .env: `${X}`, `${X:-default}`, `${X:?error}`, `$$`. */
  const interpolate = (value: string): string =>
    value
      .replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
        const set = example.get(name);
        const isSet = set !== undefined && !read('.env.example').includes(`# ${name}=`);
        if (isSet) return set;
        if (op === '?') throw new Error(`${name} is required by docker-compose.yml but not set in .env.example`);
        return op === '-' ? arg : '';
      })
      .replace(/\$\$/g, '$');
  const envOf = (service: string): Record<string, string> =>
    Object.fromEntries(
      Object.entries((services[service]!.environment as Record<string, unknown>) ?? {}).map(([k, v]) => [
        k,
        interpolate(String(v)),
      ]),
    );

  it('runs Postgres, Redis, a migration step, the six subgraphs and both gateways, with health checks', () => {
    for (const name of ['postgres', 'redis', 'migrate', ...PROCESS_NAMES]) expect(services[name], name).toBeDefined();
    for (const name of PROCESS_NAMES) {
      const service = services[name]!;
      expect((service.healthcheck as { test: string[] }).test.join(' ')).toMatch(/healthcheck\.mjs \/ready$/);
      expect(service.read_only).toBe(true);
      const dependsOn = service.depends_on as Record<string, { condition: string }>;
      expect(dependsOn.redis?.condition).toBe('service_healthy');
      if (isSubgraphName(name)) expect(dependsOn.migrate?.condition).toBe('service_completed_successfully');
      else
        for (const s of SUBGRAPH_NAMES)
          expect(dependsOn[s]?.condition, `${name} waits for ${s}`).toBe('service_healthy');
    }
    expect((services.migrate!.depends_on as Record<string, { condition: string }>).postgres!.condition).toBe(
      'service_healthy',
    );
    expect(services.migrate!.command).toEqual(['migrate']);
  });

  it('sets only variables the code reads, and every process starts with its environment', () => {
    for (const name of PROCESS_NAMES) {
      const env = envOf(name);
      expectAllReadByCode(Object.keys(env), `docker-compose.yml ${name}`);
      expect(env.SERVICE).toBe(name);
      checkProcessEnv(name, env, 'single');
      const port = Number(env[portVariable(name)] ?? defaultPort(name));
      if (isSubgraphName(name)) expect(services[name]!.expose).toEqual([String(port)]);
      else expect((services[name]!.ports as string[]).map(interpolate)).toEqual([`${port}:${port}`]);
    }
    const migrateEnv = envOf('migrate');
    expectAllReadByCode(Object.keys(migrateEnv), 'docker-compose.yml migrate');
    for (const name of SUBGRAPH_NAMES) expect(databaseTarget(name, migrateEnv).kind).toBe('postgres');
  });

  it('creates one database and role per service from the passwords the init script reads', () => {
    const script = read('deploy/postgres/init-databases.sh');
    const names = /for service in ([a-z ]+); do/.exec(script)?.[1]?.split(' ');
    expect(names).toEqual(SUBGRAPH_NAMES);
    const env = envOf('postgres');
    for (const name of SUBGRAPH_NAMES) {
      expect(env[`${name.toUpperCase()}_DB_PASSWORD`]).toBeTruthy();
      expect(new URL(envOf(name)[`${name.toUpperCase()}_DATABASE_URL`]!).password).toBe(
        env[`${name.toUpperCase()}_DB_PASSWORD`],
      );
    }
  });

  it('has an observability profile with Jaeger receiving OTLP and Prometheus scraping every process', () => {
    expect(services.jaeger!.profiles).toEqual(['observability']);
    expect(services.prometheus!.profiles).toEqual(['observability']);
    expect(services.jaeger!.expose).toContain('4318');
    expect(envOf('users').OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    const [prometheus] = readYamlDocuments(join(ROOT_DIR, 'deploy/prometheus/prometheus.yml')) as Array<{
      scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
    }>;
    const targets = prometheus!.scrape_configs.flatMap((c) => {
      expect(c.metrics_path).toBe('/metrics');
      return c.static_configs.flatMap((s) => s.targets);
    });
    expect(targets.sort()).toEqual(PROCESS_NAMES.map((n) => `${n}:${envOf(n).METRICS_PORT}`).sort());
  });

  it('passes `docker-compose config -q` where docker-compose is installed', () => {
    let available = true;
    try {
      execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    } catch {
      available = false;
    }
    if (!available) return;
    execFileSync(
      'docker-compose',
      ['--env-file', join(ROOT_DIR, '.env.example'), '-f', join(ROOT_DIR, 'docker-compose.yml'), 'config', '-q'],
      { stdio: 'pipe' },
    );
  });
});

describe('the test Kustomize renderer', () => {
  it('merges by the Kubernetes patch strategies and deletes with null', () => {
    const base = {
      data: { A: '1', B: '2' },
      containers: [{ name: 'x', env: [{ name: 'E', value: '1' }], args: ['a'] }],
    };
    const patch = {
      data: { A: null, C: '3' },
      containers: [{ name: 'x', env: [{ name: 'F', value: '2' }], args: ['b'] }],
    };
    expect(strategicMerge(base, patch)).toEqual({
      data: { B: '2', C: '3' },
      containers: [
        {
          name: 'x',
          env: [
            { name: 'E', value: '1' },
            { name: 'F', value: '2' },
          ],
          args: ['b'],
        },
      ],
    });
  });
});

type Container = {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
  }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  startupProbe?: { httpGet?: { path: string; port: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
};
type PodSpec = {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
  volumes?: Array<{ name: string; emptyDir?: unknown }>;
};
/** The kinds deploy/k8s uses, each with its schema; another kind fails until it is added here. */
const MODELS: Record<string, new (object: K8sObject) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};
const podSpecOf = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;

/** Secrets an overlay does not define, as the cluster's secret manager provides them (README lists them). */
const EXTERNAL_SECRETS: Record<string, Record<string, string>> = {
  'bff-secrets': { 'jwt-secret': 'j'.repeat(48), 'gateway-signing-secret': 's'.repeat(48) },
  ...Object.fromEntries(
    SUBGRAPH_NAMES.map((n) => [`${n}-database`, { url: `postgresql://${n}:pw@${n}-postgres:5432/${n}` }]),
  ),
};

function containerEnv(container: Container, objects: K8sObject[]): Record<string, string> {
  const configMap = (name: string) => {
    const found = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    expect(found, `ConfigMap ${name}`).toBeDefined();
    return (found!.data ?? {}) as Record<string, string>;
  };
  const secret = (name: string, key: string) => {
    const found = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    const data = found ? ((found.stringData ?? {}) as Record<string, string>) : EXTERNAL_SECRETS[name];
    expect(data?.[key], `Secret ${name} key ${key}`).toBeDefined();
    return data![key]!;
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configMap(from.configMapRef.name));
    if (from.secretRef) throw new Error('envFrom secretRef is not used: reference secret keys one by one');
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef)
      env[e.name] = secret(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    else if (e.valueFrom?.configMapKeyRef)
      env[e.name] = configMap(e.valueFrom.configMapKeyRef.name)[e.valueFrom.configMapKeyRef.key]!;
  }
  return env;
}

describe.each(OVERLAYS)('deploy/k8s overlay %s', (overlay) => {
  const objects = rendered[overlay];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('renders, and every manifest validates against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(20);
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `a schema for ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => new Model!(object).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
      expect(object.metadata.namespace).toBe(overlay === 'dev' ? 'bff-dev' : 'bff');
      expect(object.metadata.labels?.['app.kubernetes.io/part-of']).toBe('bff');
    }
  });

  it('runs each process as a hardened Deployment with probes on the code ports and a Service', () => {
    const configMap = find('ConfigMap', 'bff-config')!.data as Record<string, string>;
    const shutdown = shutdownConfigFromEnv(configMap);
    for (const name of PROCESS_NAMES) {
      const deployment = find('Deployment', name);
      expect(deployment, name).toBeDefined();
      const pod = podSpecOf(deployment!);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      const [container] = pod.containers;
      expect(container!.image).toBe(
        overlay === 'dev' ? 'bff-federation:dev' : 'registry.example.com/bff-federation:0.1.0',
      );
      expect(container!.args).toEqual([name]);
      const env = containerEnv(container!, objects);
      const port = Number(env[portVariable(name)] ?? defaultPort(name));
      expect(container!.ports).toContainEqual({ name: 'http', containerPort: port });
      expect(container!.ports).toContainEqual({ name: 'metrics', containerPort: Number(env.METRICS_PORT) });
      expect(container!.livenessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
      expect(container!.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'http' });
      expect(container!.startupProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
      for (const key of ['cpu', 'memory']) {
        expect(container!.resources?.requests?.[key], `${name} requests.${key}`).toBeDefined();
        expect(container!.resources?.limits?.[key], `${name} limits.${key}`).toBeDefined();
      }
      expect(container!.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      const tmp = container!.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      const preStop = container!.lifecycle?.preStop?.exec?.command ?? [];
      const pauseMs = preStop[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
      expect(pod.terminationGracePeriodSeconds! * 1000, `${name} grace period`).toBeGreaterThan(
        pauseMs + shutdown.delayMs + shutdown.drainMs + CLOSE_GRACE_MS,
      );

      const service = find('Service', name);
      const spec = service!.spec as {
        selector: Record<string, string>;
        ports: Array<{ port: number; targetPort: string }>;
      };
      const podLabels = (deployment!.spec as { template: { metadata: { labels: Record<string, string> } } }).template
        .metadata.labels;
      for (const [k, v] of Object.entries(spec.selector)) expect(podLabels[k]).toBe(v);
      expect(spec.ports).toContainEqual(expect.objectContaining({ port, targetPort: 'http' }));
    }
  });

  it('sets only variables the code reads, and every process starts with its environment', () => {
    const configMap = find('ConfigMap', 'bff-config')!.data as Record<string, string>;
    expectAllReadByCode(Object.keys(configMap), `${overlay} ConfigMap bff-config`);
    for (const name of PROCESS_NAMES) {
      const [container] = podSpecOf(find('Deployment', name)!).containers;
      const env = containerEnv(container!, objects);
      expectAllReadByCode(
        (container!.env ?? []).map((e) => e.name),
        `${overlay} Deployment ${name}`,
      );
      checkProcessEnv(name, env, overlay === 'prod' ? 'cluster' : 'single');
    }
    if (overlay === 'prod') {
      const nodes = redisConfigFromEnv(configMap);
      expect(nodes.kind === 'cluster' && nodes.nodes.length).toBe(3);
    }
  });

  it('migrates each service with a Job before rollout, and scales the gateways with an HPA and a PDB', () => {
    for (const name of SUBGRAPH_NAMES) {
      const job = find('Job', `${name}-migrate`);
      expect(job, `${name}-migrate`).toBeDefined();
      expect(job!.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync' });
      const [container] = podSpecOf(job!).containers;
      expect(container!.args).toEqual(['migrate', name]);
      const env = containerEnv(container!, objects);
      expectAllReadByCode(Object.keys(env), `${overlay} Job ${name}-migrate`);
      expect(databaseTarget(name, env).kind).toBe('postgres');
      expect(container!.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
    }
    for (const name of PROCESS_NAMES.filter((n) => !isSubgraphName(n))) {
      const hpa = find('HorizontalPodAutoscaler', name)!;
      expect((hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef).toMatchObject({
        kind: 'Deployment',
        name,
      });
      const pdb = find('PodDisruptionBudget', name)!;
      expect((pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual({
        'app.kubernetes.io/name': name,
      });
      const [container] = podSpecOf(find('Deployment', name)!).containers;
      const env = containerEnv(container!, objects);
      expect(Number(env.RATE_LIMIT_REPLICAS)).toBe((hpa.spec as { minReplicas: number }).minReplicas);
    }
  });
});

it('the package scripts the deploy files rely on exist', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  expect(scripts['db:migrate']).toBe('tsx scripts/db.ts migrate');
  expect(existsSync(join(ROOT_DIR, 'scripts/serve.ts'))).toBe(true);
  expect(codeEnv.exact.has('SERVICE')).toBe(true);
});
