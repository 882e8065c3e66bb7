/* global process, console, fetch, AbortSignal */
// Docker HEALTHCHECK: GET http://127.0.0.1:<port><path> (path /health unless given), exit 0 on 200.
// Plain JavaScript so a check costs one Node start, not a TypeScript loader. The port is the one the
// process listens on: SERVICE's `<NAME>_PORT` (or its default); when the service was chosen by the
// command instead of SERVICE, every process's port is tried (one container runs one process).
// The defaults mirror lib/services.ts; test/deploy.test.ts fails when they drift.
const DEFAULT_PORTS = {
  users: 4101,
  products: 4102,
  inventory: 4103,
  orders: 4104,
  payments: 4105,
  reviews: 4106,
  'gateway-web': 4000,
  'gateway-mobile': 4001,
};

const path = process.argv[2] ?? '/health';
const portOf = (name) => Number(process.env[`${name.toUpperCase().replace('-', '_')}_PORT`] ?? DEFAULT_PORTS[name]);
const service = process.env.SERVICE;
const ports = service && service in DEFAULT_PORTS ? [portOf(service)] : Object.keys(DEFAULT_PORTS).map(portOf);

for (const port of ports) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    if (response.ok) process.exit(0);
    console.error(`${path} on port ${port}: HTTP ${response.status}`);
    process.exit(1);
  } catch {
    // nothing listening on this port: try the next
  }
}
console.error(`no process answered ${path} on port(s) ${ports.join(', ')}`);
process.exit(1);
