import {
  getNamedType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  parseType,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type ASTNode,
  type DocumentNode,
  type GraphQLError,
  type GraphQLOutputType,
  type GraphQLSchema,
  type TypeNode,
} from 'graphql';
import { consumerLabel, fieldLabel, type Contract, type FieldExpectation } from './contract.ts';

/** Federation's plumbing, which every subgraph serves the same way: not something a consumer "reads". */
const FEDERATION_ROOT_FIELDS = new Set(['_entities', '_service']);

/**
 * Every field an operation selects, in document order, with the type `schema` declares for it.
 * Throws when a field is missing: the operation was planned against a supergraph the subgraph no
 * longer matches.
 */
export function fieldExpectations(schema: GraphQLSchema, document: DocumentNode): FieldExpectation[] {
  const byCoordinate = new Map<string, FieldExpectation>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const name = node.name.value;
        const parent = typeInfo.getParentType();
        if (name.startsWith('__') || !parent) return;
        if (parent === schema.getQueryType() && FEDERATION_ROOT_FIELDS.has(name)) return;
        const definition = typeInfo.getFieldDef();
        if (!definition)
          throw new Error(
            `${parent.name}.${name} is not in the subgraph's schema: is the supergraph stale? (npm run compose)`,
          );
        const coordinate = `${parent.name}.${name}`;
        const args = (node.arguments ?? []).map((a) => a.name.value);
        const known = byCoordinate.get(coordinate);
        if (known) {
          for (const arg of args) if (!known.arguments.includes(arg)) known.arguments.push(arg);
        } else {
          byCoordinate.set(coordinate, { coordinate, arguments: args, type: String(definition.type) });
        }
      },
    }),
  );
  return [...byCoordinate.values()];
}

/**
 * Checks a contract against a subgraph's schema, without running anything: the operation must still
 * validate (fields, arguments, variable types, entity types), and every field must still have a type
 * the consumer can read as it recorded it. Returns one message per break, each naming the consumer,
 * its operation, the field and the subgraph.
 */
export function checkContractAgainstSchema(contract: Contract, schema: GraphQLSchema): string[] {
  const document = parse(contract.document);
  const where = locateSelections(schema, document);
  const who = `${consumerLabel(contract)} expects`;
  const violations = validate(schema, document).map(
    (error) =>
      `${who} ${describeErrorSite(error, where) ?? 'its operation'} from ${contract.subgraph}: ${error.message} (${contract.file})`,
  );
  for (const expectation of contract.expects) {
    const current = currentFieldType(schema, expectation.coordinate);
    // A field that is gone is already reported by validation, in the consumer's words.
    if (!current) continue;
    if (!readableAs(parseType(expectation.type), current)) {
      violations.push(
        `${who} ${fieldLabel(expectation)}: ${expectation.type} from ${contract.subgraph}, which now declares it ${String(current)} (${contract.file})`,
      );
    }
  }
  return violations;
}

function currentFieldType(schema: GraphQLSchema, coordinate: string): GraphQLOutputType | null {
  const [typeName = '', fieldName = ''] = coordinate.split('.');
  const type = schema.getType(typeName);
  if (!isObjectType(type) && !isInterfaceType(type)) return null;
  return type.getFields()[fieldName]?.type ?? null;
}

/**
 * Whether a value of the subgraph's current type still satisfies a reader that expects `recorded`:
 * an output may become stricter (nullable -> non-null), never looser, and its shape (named type,
 * list nesting) must not change.
 */
export function readableAs(recorded: TypeNode, current: GraphQLOutputType): boolean {
  if (isNonNullType(current))
    return readableAs(recorded.kind === Kind.NON_NULL_TYPE ? recorded.type : recorded, current.ofType);
  if (recorded.kind === Kind.NON_NULL_TYPE) return false;
  if (isListType(current)) return recorded.kind === Kind.LIST_TYPE && readableAs(recorded.type, current.ofType);
  return recorded.kind === Kind.NAMED_TYPE && recorded.name.value === getNamedType(current).name;
}

interface SelectionSite {
  start: number;
  end: number;
  label: string;
}

/** Each field and inline fragment of the document with its source range and how to name it. */
function locateSelections(schema: GraphQLSchema, document: DocumentNode): SelectionSite[] {
  const sites: SelectionSite[] = [];
  const typeInfo = new TypeInfo(schema);
  const fragmentTypes: string[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      InlineFragment: {
        enter(node) {
          const name = node.typeCondition?.name.value;
          fragmentTypes.push(name ?? fragmentTypes.at(-1) ?? '');
          if (node.loc && name) sites.push({ start: node.loc.start, end: node.loc.end, label: `type ${name}` });
        },
        leave() {
          fragmentTypes.pop();
        },
      },
      Field(node) {
        if (!node.loc) return;
        // The parent type may itself be gone from the schema; the enclosing type condition still names it.
        const parent = typeInfo.getParentType()?.name ?? fragmentTypes.at(-1) ?? '?';
        const args = (node.arguments ?? []).map((a) => a.name.value);
        sites.push({
          start: node.loc.start,
          end: node.loc.end,
          label: fieldLabel({ coordinate: `${parent}.${node.name.value}`, arguments: args }),
        });
      },
    }),
  );
  return sites;
}

/** The innermost field or fragment that encloses what a validation error points at. */
function describeErrorSite(error: GraphQLError, sites: SelectionSite[]): string | null {
  for (const node of error.nodes ?? []) {
    const site = innermost(node, sites);
    if (site) return site.label;
  }
  return null;
}

function innermost(node: ASTNode, sites: SelectionSite[]): SelectionSite | null {
  const loc = node.loc;
  if (!loc) return null;
  let best: SelectionSite | null = null;
  for (const site of sites) {
    if (site.start <= loc.start && loc.end <= site.end && (!best || site.end - site.start < best.end - best.start))
      best = site;
  }
  return best;
}
