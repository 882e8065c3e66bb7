import {
  GraphQLError,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type DirectiveNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { ERRORS } from '@apollo/federation-internals';

/**
 * The client's operation compiled once per (document, operation) into the steps that turn the plan's
 * merged data into the answer: the same rules as @apollo/gateway's `computeResponse`
 * (resultShaping.ts) — fields in the operation's order, aliases, root `__typename`, planner-added
 * keys dropped, leaves checked, nulls bubbled to the nearest nullable parent — without building
 * a federation `Operation` per request.
 */
export interface ShapeProgram {
  root: Step[];
  rootType: GraphQLCompositeType;
}

/** Skip/include: a constant, or a variable read per request. */
type Condition = { skipIf: string | boolean | null; includeIf: string | boolean | null } | null;

interface FieldStep {
  kind: 'field';
  responseName: string;
  isTypename: boolean;
  type: GraphQLOutputType;
  sub: Step[] | null;
  when: Condition;
  /** For leaves: whether a value is valid for the field's named type. */
  validLeaf: ((value: unknown) => boolean) | null;
}

interface FragmentStep {
  kind: 'fragment';
  typeCondition: GraphQLCompositeType | null;
  sub: Step[];
  when: Condition;
  /** Whether the condition applies to an object of a given __typename (remembered per name). */
  applies: Map<string, boolean>;
}

type Step = FieldStep | FragmentStep;

/** Why an operation cannot be shaped here (the caller falls back to Apollo's executor). */
export class UnsupportedOperation extends Error {}

const integerString = /^-?(?:0|[1-9][0-9]*)$/;

function leafValidator(type: GraphQLOutputType): (value: unknown) => boolean {
  const named = getNamedType(type);
  if (isEnumType(named)) return (value) => typeof value === 'string' && named.getValue(value) !== undefined;
  // Same as federation-internals' isValidLeafValue: custom scalars take anything.
  switch (named.name) {
    case 'Boolean':
      return (value) => typeof value === 'boolean';
    case 'Int':
      return (value) => typeof value === 'number' && Number.isFinite(value) && integerString.test(String(value));
    case 'ID':
      return (value) =>
        typeof value === 'string' ||
        (typeof value === 'number' && Number.isFinite(value) && integerString.test(String(value)));
    case 'Float':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'String':
      return (value) => typeof value === 'string';
    default:
      return () => true;
  }
}

function conditionOf(directives: readonly DirectiveNode[] | undefined): Condition {
  if (!directives?.length) return null;
  let skipIf: string | boolean | null = null;
  let includeIf: string | boolean | null = null;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    const value = arg?.kind === Kind.VARIABLE ? arg.name.value : arg?.kind === Kind.BOOLEAN ? arg.value : null;
    if (name === 'skip') skipIf = value;
    else includeIf = value;
  }
  return skipIf === null && includeIf === null ? null : { skipIf, includeIf };
}

function skipped(when: Condition, variables: Record<string, unknown>): boolean {
  if (!when) return false;
  const read = (v: string | boolean | null) => (typeof v === 'string' ? variables[v] === true : v === true);
  if (when.skipIf !== null && read(when.skipIf)) return true;
  return when.includeIf !== null && !read(when.includeIf);
}

/** Compiles the operation's selections against the API schema; throws UnsupportedOperation for introspection. */
export function compileShape(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): ShapeProgram {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new UnsupportedOperation(`no ${operation.operation} root type`);
  const compile = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, depth: number): Step[] => {
    if (depth > 200) throw new UnsupportedOperation('selection too deep');
    const steps: Step[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const responseName = selection.alias?.value ?? name;
        if (responseName === '__proto__') throw new UnsupportedOperation('a __proto__ response name');
        if (name === '__schema' || name === '__type') throw new UnsupportedOperation('introspection');
        const when = conditionOf(selection.directives);
        if (name === '__typename') {
          steps.push({ kind: 'field', responseName, isTypename: true, type: parent, sub: null, when, validLeaf: null });
          continue;
        }
        if (isAbstractType(parent) && !('getFields' in parent)) throw new UnsupportedOperation('field on a union');
        const definition = 'getFields' in parent ? parent.getFields()[name] : undefined;
        if (!definition) throw new UnsupportedOperation(`unknown field ${parent.name}.${name}`);
        const named = getNamedType(definition.type);
        const sub =
          selection.selectionSet && isCompositeType(named) ? compile(selection.selectionSet, named, depth + 1) : null;
        steps.push({
          kind: 'field',
          responseName,
          isTypename: false,
          type: definition.type,
          sub,
          when,
          validLeaf: sub ? null : leafValidator(definition.type),
        });
      } else {
        let typeName: string | undefined;
        let sub: SelectionSetNode;
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          typeName = selection.typeCondition?.name.value;
          sub = selection.selectionSet;
        } else {
          const fragment = fragments.get(selection.name.value);
          if (!fragment) throw new UnsupportedOperation(`unknown fragment ${selection.name.value}`);
          typeName = fragment.typeCondition.name.value;
          sub = fragment.selectionSet;
        }
        const condition = typeName ? schema.getType(typeName) : undefined;
        if (typeName && (!condition || !isCompositeType(condition)))
          throw new UnsupportedOperation(`unknown type condition ${typeName}`);
        const typeCondition = condition && isCompositeType(condition) ? condition : null;
        steps.push({
          kind: 'fragment',
          typeCondition,
          sub: compile(sub, typeCondition ?? parent, depth + 1),
          when: conditionOf(selection.directives),
          applies: new Map(),
        });
      }
    }
    return steps;
  };
  return { root: compile(operation.selectionSet, rootType, 0), rootType };
}

interface Shaping {
  schema: GraphQLSchema;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  path: (string | number)[];
}

const BUBBLE = Symbol('null bubbles up');

/** isSubtype(condition, type) of federation-internals: the same type, or an implementation or member of it. */
function conditionApplies(schema: GraphQLSchema, step: FragmentStep, typename: unknown, parent: GraphQLCompositeType) {
  const condition = step.typeCondition;
  if (!condition) return true;
  const name = typeof typename === 'string' && typename ? typename : null;
  const key = name ?? `\u0000${parent.name}`;
  let applies = step.applies.get(key);
  if (applies === undefined) {
    const type = name ? schema.getType(name) : parent;
    applies =
      !!type &&
      (type === condition ||
        (isAbstractType(condition) &&
          (isObjectType(type) || isInterfaceType(type)) &&
          schema.isSubType(condition, type)));
    if (step.applies.size < 64) step.applies.set(key, applies);
  }
  return applies;
}

function describeLast(path: readonly (string | number)[], type: GraphQLOutputType, parent: GraphQLCompositeType) {
  const element = path[path.length - 1];
  return typeof element === 'string'
    ? `field ${parent.name}.${element}`
    : `array element of type ${String(type)} at index ${String(element)}`;
}

const own = (object: object, key: string): unknown =>
  Object.prototype.hasOwnProperty.call(object, key) ? (object as Record<string, unknown>)[key] : undefined;

function applySteps(
  input: Record<string, unknown>,
  steps: Step[],
  output: Record<string, unknown>,
  s: Shaping,
  parent: GraphQLCompositeType,
): typeof BUBBLE | undefined {
  for (const step of steps) {
    if (step.when && skipped(step.when, s.variables)) continue;
    if (step.kind === 'fragment') {
      if (conditionApplies(s.schema, step, input.__typename, parent)) {
        if (applySteps(input, step.sub, output, s, step.typeCondition ?? parent) === BUBBLE) return BUBBLE;
      }
      continue;
    }
    const responseName = step.responseName;
    const outputValue = output[responseName];
    let inputValue = own(input, responseName) ?? null;
    if (step.isTypename) {
      if (outputValue === undefined) {
        if (inputValue === null && responseName !== '__typename') inputValue = input.__typename ?? null;
        const type = typeof inputValue === 'string' ? (s.schema.getType(inputValue) ?? parent) : parent;
        if (!isObjectType(type)) return BUBBLE;
        output[responseName] = type.name;
      }
      continue;
    }
    s.path.push(responseName);
    const result = updateValue(outputValue, step.type, inputValue, step, s, parent);
    output[responseName] = result.updated;
    s.path.pop();
    if (result.invalid) return BUBBLE;
  }
  return undefined;
}

interface Updated {
  updated: unknown;
  invalid?: boolean;
  hasErrors?: boolean;
}

function updateValue(
  outputValue: unknown,
  type: GraphQLOutputType,
  inputValue: unknown,
  step: FieldStep,
  s: Shaping,
  parent: GraphQLCompositeType,
): Updated {
  if (outputValue === null || (outputValue !== undefined && !step.sub)) return { updated: outputValue };
  if (isNonNullType(type)) {
    const { updated, hasErrors } = updateValue(outputValue, type.ofType, inputValue, step, s, parent);
    if (updated === null) {
      if (!hasErrors)
        s.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Cannot return null for non-nullable ${describeLast(s.path, type.ofType, parent)}.`,
            { path: Array.from(s.path) },
          ),
        );
      return { updated, invalid: true, hasErrors: true };
    }
    return { updated };
  }
  if (inputValue === null) return { updated: null };
  if (isListType(type)) {
    if (!Array.isArray(inputValue))
      throw new Error(
        `Invalid non-list value ${JSON.stringify(inputValue)} returned by subgraph for list type ${String(type)}`,
      );
    if (outputValue !== undefined && !Array.isArray(outputValue))
      throw new Error(
        `Invalid non-list value ${JSON.stringify(outputValue)} returned by subgraph for list type ${String(type)}`,
      );
    const previous = outputValue as unknown[] | undefined;
    if (previous && previous.length !== inputValue.length)
      throw new Error(
        `[${String(inputValue)}].length (${inputValue.length}) !== [${String(previous)}].length (${previous.length})`,
      );
    let nullify = false;
    let hasErrors = false;
    const updated = new Array<unknown>(inputValue.length);
    for (let i = 0; i < inputValue.length; i += 1) {
      s.path.push(i);
      const element = updateValue(
        previous ? previous[i] : undefined,
        type.ofType,
        inputValue[i] as unknown,
        step,
        s,
        parent,
      );
      s.path.pop();
      if (element.invalid) nullify = true;
      if (element.hasErrors) hasErrors = true;
      updated[i] = element.updated;
    }
    return { updated: nullify ? null : updated, hasErrors };
  }
  if (step.sub) {
    if (typeof inputValue !== 'object')
      throw new Error(
        `Invalid non-object value ${JSON.stringify(inputValue)} returned by subgraph for composite type ${String(type)}`,
      );
    const object = inputValue as Record<string, unknown>;
    const typename = object.__typename;
    let objectType = type as GraphQLCompositeType;
    if (typename !== undefined && typeof typename !== 'string')
      throw new Error(`Invalid non-string value ${JSON.stringify(typename)} for __typename at ${s.path.join(',')}`);
    if (typename) {
      const named = s.schema.getType(typename);
      if (!named || !isCompositeType(named)) {
        s.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describeLast(s.path, type, parent)}.`, {
            path: Array.from(s.path),
          }),
        );
        return { updated: null, hasErrors: true };
      }
      objectType = named;
    }
    const out = (outputValue ?? {}) as Record<string, unknown>;
    const bubbled = applySteps(object, step.sub, out, s, objectType) === BUBBLE;
    return { updated: bubbled ? null : out, hasErrors: bubbled };
  }
  const valid = step.validLeaf ? step.validLeaf(inputValue) : true;
  if (!valid)
    s.errors.push(
      ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLast(s.path, type, parent)}.`, {
        path: Array.from(s.path),
      }),
    );
  return { updated: valid ? inputValue : null, hasErrors: !valid };
}

/** The client's answer from the plan's data; `errors` are value-completion errors (Apollo's post-processing ones). */
export function shapeResponse(
  program: ShapeProgram,
  schema: GraphQLSchema,
  input: Record<string, unknown>,
  variables: Record<string, unknown>,
): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
  const shaping: Shaping = { schema, variables, errors: [], path: [] };
  const data: Record<string, unknown> = {};
  const result = applySteps(input, program.root, data, shaping, program.rootType);
  return { data: result === BUBBLE ? null : data, errors: shaping.errors };
}
