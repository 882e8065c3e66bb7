import {
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  parseType,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';
import { consumerLabel, fieldLabel, operationOf, type Contract, type FieldExpectation } from './contract.ts';

/** A type's wrapping and name, whichever side it comes from (a recorded expectation or the schema). */
type Shape = { kind: 'nonNull'; of: Shape } | { kind: 'list'; of: Shape } | { kind: 'named'; name: string };

function shapeOfNode(node: TypeNode): Shape {
  if (node.kind === Kind.NON_NULL_TYPE) return { kind: 'nonNull', of: shapeOfNode(node.type) };
  if (node.kind === Kind.LIST_TYPE) return { kind: 'list', of: shapeOfNode(node.type) };
  return { kind: 'named', name: node.name.value };
}

function shapeOfType(type: GraphQLOutputType): Shape {
  if (isNonNullType(type)) return { kind: 'nonNull', of: shapeOfType(type.ofType) };
  if (isListType(type)) return { kind: 'list', of: shapeOfType(type.ofType) };
  return { kind: 'named', name: type.name };
}

function printShape(shape: Shape): string {
  if (shape.kind === 'nonNull') return `${printShape(shape.of)}!`;
  if (shape.kind === 'list') return `[${printShape(shape.of)}]`;
  return shape.name;
}

/** A selected field whose value is being read, and how messages name it and its expected type. */
interface FieldUnderCheck {
  node: FieldNode;
  label: string;
  declared: string;
}

export interface ResponseCheck {
  /** One message per value that breaks the consumer's expectation, naming consumer, field and path. */
  violations: string[];
  /** Fields the operation selects that no value in the response reached (an empty list hides them). */
  unreached: string[];
}

export interface ResponseCheckInput {
  contract: Contract;
  /** The subgraph's schema: the types the response is read with where the contract records none. */
  schema: GraphQLSchema;
  /** The HTTP response body. */
  body: unknown;
  /** `__typename` of each representation sent, in order: how an `_entities` item's type is known. */
  entityTypes?: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a subgraph's answer the way the consumer will: no errors, and every field the operation
 * selects present, with the type and nullability the consumer relied on when the contract was
 * recorded (the schema's where the contract lists none). Walks the selection set over the JSON, so
 * it needs no execution and works on any response body.
 */
export function checkResponseShape({ contract, schema, body, entityTypes = [] }: ResponseCheckInput): ResponseCheck {
  const label = consumerLabel(contract);
  const violations: string[] = [];
  const document = parse(contract.document);
  const walker = new ShapeWalker(contract, schema, document, entityTypes, violations);
  if (!isRecord(body))
    return { violations: [`${label}: ${contract.subgraph} answered with no JSON object`], unreached: [] };
  if (Array.isArray(body.errors) && body.errors.length) {
    const messages = body.errors.map(describeError);
    violations.push(`${label}: ${contract.subgraph} answered with errors: ${messages.join('; ')} (${contract.file})`);
  }
  const operation = operationOf(document, contract.file);
  const root = schema.getRootType(operation.operation);
  if (!isRecord(body.data)) {
    violations.push(`${label}: ${contract.subgraph} answered without data (${contract.file})`);
  } else if (root) {
    walker.selectionSet(operation.selectionSet, root, root.name, body.data, '');
  }
  return { violations, unreached: walker.unreached() };
}

class ShapeWalker {
  private readonly expected: Map<string, FieldExpectation>;
  private readonly fragments: Map<string, FragmentDefinitionNode>;
  /** Every field the operation selects, by coordinate, with how messages name it. */
  private readonly selected: Map<string, string>;
  private readonly reached = new Set<string>();

  constructor(
    private readonly contract: Contract,
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly entityTypes: readonly string[],
    private readonly violations: string[],
  ) {
    this.expected = new Map(contract.expects.map((e) => [e.coordinate, e]));
    this.selected = this.selectedFields(document);
    this.fragments = new Map(
      document.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((f) => [f.name.value, f]),
    );
  }

  private selectedFields(document: DocumentNode): Map<string, string> {
    const selected = new Map<string, string>();
    const typeInfo = new TypeInfo(this.schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field: (node) => {
          const parent = typeInfo.getParentType();
          if (!parent || node.name.value === '__typename') return;
          const coordinate = `${parent.name}.${node.name.value}`;
          if (!selected.has(coordinate)) selected.set(coordinate, this.label(coordinate, node));
        },
      }),
    );
    return selected;
  }

  private label(coordinate: string, node: FieldNode): string {
    return fieldLabel(
      this.expected.get(coordinate) ?? { coordinate, arguments: (node.arguments ?? []).map((a) => a.name.value) },
    );
  }

  unreached(): string[] {
    return [...this.selected].filter(([coordinate]) => !this.reached.has(coordinate)).map(([, label]) => label);
  }

  /**
   * `staticType` is the type fields are looked up on; `runtimeType` the object's concrete type when
   * known, which decides which fragments apply.
   */
  selectionSet(
    selectionSet: SelectionSetNode,
    staticType: GraphQLCompositeType,
    runtimeType: string | null,
    value: Record<string, unknown>,
    path: string,
  ): void {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        this.field(selection, staticType, value, path);
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments.get(selection.name.value);
      if (!fragment) continue;
      const condition = fragment.typeCondition ? this.schema.getType(fragment.typeCondition.name.value) : staticType;
      if (!isCompositeType(condition) || !this.applies(condition, staticType, runtimeType)) continue;
      this.selectionSet(fragment.selectionSet, condition, runtimeType, value, path);
    }
  }

  private applies(
    condition: GraphQLCompositeType,
    staticType: GraphQLCompositeType,
    runtimeType: string | null,
  ): boolean {
    if (condition === staticType || condition.name === runtimeType) return true;
    const runtime = runtimeType ? this.schema.getType(runtimeType) : null;
    if (!isObjectType(runtime) || !isAbstractType(condition)) return false;
    return this.schema.getPossibleTypes(condition).some((t) => t.name === runtime.name);
  }

  private field(node: FieldNode, parent: GraphQLCompositeType, value: Record<string, unknown>, path: string): void {
    const name = node.name.value;
    const key = node.alias?.value ?? name;
    const at = path ? `${path}.${key}` : key;
    const fieldValue = value[key];
    if (name === '__typename') {
      if (typeof fieldValue !== 'string')
        this.fail({ label: `${parent.name}.__typename`, declared: 'String!' }, at, 'is missing');
      return;
    }
    const definition = 'getFields' in parent ? parent.getFields()[name] : undefined;
    const coordinate = `${parent.name}.${name}`;
    const expectation = this.expected.get(coordinate);
    const label = this.label(coordinate, node);
    // A field the schema no longer has is the schema check's to report; its value cannot be read here.
    if (!definition) return;
    const shape = expectation ? shapeOfNode(parseType(expectation.type)) : shapeOfType(definition.type);
    if (fieldValue === undefined) {
      this.fail({ label, declared: printShape(shape) }, at, 'is missing');
      return;
    }
    this.reached.add(coordinate);
    const isEntities = parent === this.schema.getQueryType() && name === '_entities';
    this.value(
      { node, label, declared: printShape(shape) },
      shape,
      fieldValue,
      at,
      isEntities ? this.entityTypes : null,
      null,
    );
  }

  /**
   * Checks one value against the part of the field's type it sits at. `entityTypes` is set for the
   * `_entities` list; `runtimeHint` is the representation's type for each of its items.
   */
  private value(
    field: FieldUnderCheck,
    shape: Shape,
    value: unknown,
    at: string,
    entityTypes: readonly string[] | null,
    runtimeHint: string | null,
  ): void {
    if (shape.kind === 'nonNull') {
      if (value === null) return this.fail(field, at, 'is null');
      return this.value(field, shape.of, value, at, entityTypes, runtimeHint);
    }
    if (value === null) return;
    if (shape.kind === 'list') {
      if (!Array.isArray(value)) return this.fail(field, at, `is ${describe(value)}, not a list`);
      value.forEach((item, index) => {
        // Every representation sent names a seeded entity, so one the subgraph cannot resolve is a break.
        if (entityTypes && item === null) {
          this.violations.push(
            `${consumerLabel(this.contract)} expects ${this.contract.subgraph} to resolve the ${entityTypes[index] ?? '?'} representation it sends; at ${at}[${index}] it is null (${this.contract.file})`,
          );
        } else {
          this.value(field, shape.of, item, `${at}[${index}]`, null, entityTypes?.[index] ?? null);
        }
      });
      return;
    }
    const type = this.schema.getType(shape.name);
    if (isScalarType(type)) {
      if (!scalarAccepts(type.name, value))
        this.fail(field, at, `is ${describe(value)}, not ${/^[AEIOU]/.test(type.name) ? 'an' : 'a'} ${type.name}`);
      return;
    }
    if (isEnumType(type)) {
      if (typeof value !== 'string' || !type.getValue(value))
        this.fail(field, at, `is ${describe(value)}, not a value of ${type.name}`);
      return;
    }
    if (!isCompositeType(type))
      return this.fail(field, at, `has type ${shape.name}, which ${this.contract.subgraph} no longer defines`);
    if (!isRecord(value)) return this.fail(field, at, `is ${describe(value)}, not an object`);
    if (!field.node.selectionSet) return;
    // An entity's type comes from its representation; other objects carry `__typename` when the
    // selection asks for it, or are of the field's own type.
    const typename =
      typeof value.__typename === 'string' ? value.__typename : isAbstractType(type) ? runtimeHint : type.name;
    this.selectionSet(field.node.selectionSet, type, typename, value, at);
  }

  private fail({ label, declared }: Pick<FieldUnderCheck, 'label' | 'declared'>, at: string, problem: string): void {
    this.violations.push(
      `${consumerLabel(this.contract)} expects ${label}: ${declared} from ${this.contract.subgraph}; at ${at} it ${problem} (${this.contract.file})`,
    );
  }
}

function scalarAccepts(scalar: string, value: unknown): boolean {
  switch (scalar) {
    case 'Int':
      return typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'String':
    case 'ID':
      return typeof value === 'string';
    case 'Boolean':
      return typeof value === 'boolean';
    // The one custom scalar our subgraphs declare; any other custom scalar is opaque JSON to a reader.
    case 'DateTime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    default:
      return true;
  }
}

/** `You may only read your own spending [FORBIDDEN] at _entities.0.spending`. */
function describeError(error: unknown): string {
  if (!isRecord(error)) return String(error);
  const code =
    isRecord(error.extensions) && typeof error.extensions.code === 'string' ? ` [${error.extensions.code}]` : '';
  const path = Array.isArray(error.path) ? ` at ${error.path.join('.')}` : '';
  return `${String(error.message)}${code}${path}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (typeof value === 'object') return 'an object';
  // What a JSON answer has left: a number, a boolean, or nothing.
  return `${value as number | boolean | undefined}`;
}
