import { fileURLToPath } from 'node:url';
import type { GatewayName } from '../services.ts';

export function operationsDir(gateway: GatewayName): string {
  return fileURLToPath(new URL(`../../gateway-${gateway}/operations`, import.meta.url));
}

export const MOBILE_OPERATIONS_DIR = operationsDir('mobile');
export const MOBILE_MANIFEST_PATH = fileURLToPath(
  new URL('../../gateway-mobile/persisted-query-manifest.json', import.meta.url),
);
