// A small Kustomize for tests, so CI needs no kubectl: it renders deploy/k8s overlays with the subset
// of Kustomize our files use, and refuses any other kustomization field rather than ignore it (a
// field it does not know would otherwise render as if absent and pass). Supported, with Kustomize's
// semantics: `resources` (files, and directories holding a kustomization.yaml), `namespace` (set on
// every namespaced object), `labels` (pairs added to metadata.labels only), `images` (name ->
// newName/newTag on containers' image), and `patches` with a `path` to a strategic merge patch whose
// kind and name pick its target. Strategic merge follows the Kubernetes patch strategies our objects
// use: maps merge, `null` deletes a key, `containers`/`initContainers`/`env`/`volumes` merge by name,
// `volumeMounts` by mountPath, `ports` by containerPort, other lists are replaced.
// Where a current kubectl exists, `kubectl kustomize deploy/k8s/overlays/<name>` renders the same.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
};

/** Every YAML document of a file, parsed strictly (a syntax error or duplicate key throws). */
export function readYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8'), { uniqueKeys: true, merge: true }).map((doc) => {
    if (doc.errors.length) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as unknown;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown, where: string): K8sObject {
  if (!isRecord(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string')
    throw new Error(`${where}: not a Kubernetes object (apiVersion and kind required)`);
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string') throw new Error(`${where}: metadata.name required`);
  return value as K8sObject;
}

/** Renders the kustomization in `dir` to the list of objects `kubectl kustomize dir` prints. */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const [raw] = readYamlDocuments(file);
  if (!isRecord(raw)) throw new Error(`${file}: not a mapping`);
  const unknown = Object.keys(raw).filter((key) => !SUPPORTED.has(key));
  if (unknown.length) throw new Error(`${file}: fields this renderer does not support: ${unknown.join(', ')}`);

  let objects: K8sObject[] = [];
  for (const entry of (raw.resources as string[] | undefined) ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) objects.push(...renderKustomization(path));
    else objects.push(...readYamlDocuments(path).map((doc, i) => asObject(doc, `${path} document ${i + 1}`)));
  }
  for (const patch of (raw.patches as Array<Record<string, unknown>> | undefined) ?? []) {
    const unsupported = Object.keys(patch).filter((key) => key !== 'path');
    if (unsupported.length) throw new Error(`${file}: patch fields not supported: ${unsupported.join(', ')}`);
    const path = resolve(dir, String(patch.path));
    for (const [i, doc] of readYamlDocuments(path).entries()) {
      const p = asObject(doc, `${path} document ${i + 1}`);
      const index = objects.findIndex((o) => o.kind === p.kind && o.metadata.name === p.metadata.name);
      if (index < 0) throw new Error(`${path}: patch target ${p.kind}/${p.metadata.name} not found`);
      objects[index] = strategicMerge(objects[index] as Json, p as unknown as Json) as unknown as K8sObject;
    }
  }
  for (const label of (raw.labels as Array<Record<string, unknown>> | undefined) ?? []) {
    const unsupported = Object.keys(label).filter((key) => key !== 'pairs');
    if (unsupported.length) throw new Error(`${file}: labels fields not supported: ${unsupported.join(', ')}`);
    const pairs = label.pairs as Record<string, string>;
    objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...pairs } } }));
  }
  for (const image of (raw.images as Array<Record<string, string>> | undefined) ?? []) {
    objects = objects.map((o) => setImages(o, image));
  }
  if (typeof raw.namespace === 'string') {
    const namespace = raw.namespace;
    objects = objects.map((o) => (CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace } }));
  }
  return objects;
}

/** Kustomize's `images`: a container image named `name` (any tag) gets newName and/or newTag. */
function setImages(object: K8sObject, image: Record<string, string>): K8sObject {
  const unsupported = Object.keys(image).filter((key) => !['name', 'newName', 'newTag'].includes(key));
  if (unsupported.length) throw new Error(`images fields not supported: ${unsupported.join(', ')}`);
  const copy = structuredClone(object);
  const podSpec = (copy.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template?.spec;
  for (const list of ['containers', 'initContainers']) {
    for (const container of (podSpec?.[list] as Array<{ image?: string }> | undefined) ?? []) {
      const [name, tag] = (container.image ?? '').split(':');
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}${(image.newTag ?? tag) ? `:${image.newTag ?? tag}` : ''}`;
    }
  }
  return copy;
}

/** A strategic merge patch of `patch` onto `base` (see the file's comment for the strategies). */
export function strategicMerge(base: Json, patch: Json, key = ''): Json {
  if (Array.isArray(patch)) {
    const mergeKey = MERGE_KEYS[key];
    if (!mergeKey || !Array.isArray(base)) return structuredClone(patch);
    const merged: Json[] = structuredClone(base);
    for (const item of patch) {
      const id = isRecord(item) ? item[mergeKey] : undefined;
      const at = merged.findIndex((existing) => isRecord(existing) && existing[mergeKey] === id);
      if (at >= 0) merged[at] = strategicMerge(merged[at]!, item, '');
      else merged.push(structuredClone(item));
    }
    return merged;
  }
  if (!isRecord(patch) || !isRecord(base)) return structuredClone(patch);
  const merged: Record<string, Json> = { ...(structuredClone(base) as Record<string, Json>) };
  for (const [k, value] of Object.entries(patch)) {
    if (value === null) delete merged[k];
    else merged[k] = k in merged ? strategicMerge(merged[k]!, value, k) : structuredClone(value);
  }
  return merged;
}
