// What the server tells the page, shared by both sides; imported by the browser bundle, so no Node built-ins.

/** The element of the served page whose text is the JSON settings (data, never executed). */
export const PLAYGROUND_SETTINGS_ELEMENT_ID = 'playground-settings';

export interface PlaygroundOperation {
  name: string;
  document: string;
  /** Example variables as the variables editor shows them (JSON text); empty when it takes none. */
  variables: string;
}

export interface PlaygroundSettings {
  title: string;
  /** Same-origin path of the GraphQL endpoint. */
  endpoint: string;
  operations: PlaygroundOperation[];
  /** Prefilled request headers; always empty in production. */
  headers: Record<string, string>;
}

/** JSON that is safe inside a `<script>` element: no `</script>` or `<!--` can end or change it. */
export function serializePlaygroundSettings(settings: PlaygroundSettings): string {
  return JSON.stringify(settings).replace(/</g, '\\u003c');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOperation(value: unknown): value is PlaygroundOperation {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.document === 'string' &&
    typeof value.variables === 'string'
  );
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

export function parsePlaygroundSettings(text: string): PlaygroundSettings {
  const value: unknown = JSON.parse(text);
  if (
    !isRecord(value) ||
    typeof value.title !== 'string' ||
    typeof value.endpoint !== 'string' ||
    !Array.isArray(value.operations) ||
    !value.operations.every(isOperation) ||
    !isStringRecord(value.headers)
  ) {
    throw new Error('The playground settings in the page are malformed');
  }
  return { title: value.title, endpoint: value.endpoint, operations: value.operations, headers: value.headers };
}
