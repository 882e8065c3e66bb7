import {
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  Kind,
  OperationTypeNode,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { CacheScope } from './keys.ts';

/** A cache policy as Apollo computes it: the least maxAge and the most restrictive scope of everything used. */
export interface CacheHint {
  maxAge: number;
  scope: CacheScope;
}

/** Apollo's per-request policy (`requestContext.overallCachePolicy`), as far as the caches touch it. */
export interface RestrictablePolicy {
  restrict(hint: { maxAge?: number; scope?: CacheScope }): void;
}

/**
 * A subgraph's `cache-control` header as Apollo Gateway reads it (honorSubgraphCacheControlHeader):
 * `max-age=N` and `public`/`private`; no header, `no-store` or anything else is not cacheable.
 */
export function hintFromCacheControl(header: string | null | undefined): CacheHint {
  const hint: CacheHint = { maxAge: 0, scope: 'PUBLIC' };
  for (const part of (header ?? '').split(',').map((p) => p.trim().toLowerCase())) {
    const maxAge = /^max-age=(\d+)$/.exec(part);
    if (maxAge) hint.maxAge = Number(maxAge[1]);
    if (part === 'private') hint.scope = 'PRIVATE';
  }
  return hint;
}

export function restrictHint(a: CacheHint, b: CacheHint): CacheHint {
  return {
    maxAge: Math.min(a.maxAge, b.maxAge),
    scope: a.scope === 'PRIVATE' || b.scope === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC',
  };
}

interface Annotation {
  maxAge?: number;
  scope?: CacheScope;
  inheritMaxAge?: boolean;
}

function annotationOf(directives: readonly DirectiveNode[] | undefined): Annotation {
  const directive = directives?.find((d) => d.name.value === 'cacheControl');
  const annotation: Annotation = {};
  for (const argument of directive?.arguments ?? []) {
    const { value } = argument;
    if (argument.name.value === 'maxAge' && value.kind === Kind.INT) annotation.maxAge = Number(value.value);
    if (
      argument.name.value === 'scope' &&
      value.kind === Kind.ENUM &&
      (value.value === 'PUBLIC' || value.value === 'PRIVATE')
    )
      annotation.scope = value.value;
    if (argument.name.value === 'inheritMaxAge' && value.kind === Kind.BOOLEAN) annotation.inheritMaxAge = value.value;
  }
  return annotation;
}

function typeAnnotation(type: GraphQLNamedType): Annotation {
  return annotationOf(type.astNode?.directives ?? type.extensionASTNodes?.flatMap((n) => n.directives ?? []));
}

/**
 * The policy Apollo Server's cache-control plugin would compute for `document` against a schema
 * whose hints never depend on data, without running it: used for the BFF subgraph, which runs
 * in-process (no HTTP response, so no `cache-control` header). Apollo's rules: a root field or a
 * field returning an object gets maxAge 0 unless it or its type says otherwise (or inherits);
 * scalars inherit; `_entities` takes each entity type's hint; PRIVATE anywhere makes it all PRIVATE.
 */
export function staticCachePolicy(schema: GraphQLSchema, document: DocumentNode): CacheHint {
  let maxAge: number | undefined;
  let scope: CacheScope = 'PUBLIC';
  const restrict = (hint: Annotation) => {
    if (hint.maxAge !== undefined && (maxAge === undefined || hint.maxAge < maxAge)) maxAge = hint.maxAge;
    if (hint.scope === 'PRIVATE') scope = 'PRIVATE';
  };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  const visit = (
    set: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    root: boolean,
    seen: Set<string>,
  ): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        visit(selection.selectionSet, type ?? undefined, root, seen);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        visit(
          fragment.selectionSet,
          schema.getType(fragment.typeCondition.name.value) ?? undefined,
          root,
          new Set([...seen, fragment.name.value]),
        );
        continue;
      }
      if (selection.name.value.startsWith('__')) continue;
      const field: GraphQLField<unknown, unknown> | undefined =
        parent && (isObjectType(parent) || isInterfaceType(parent))
          ? parent.getFields()[selection.name.value]
          : undefined;
      if (!field) {
        restrict({ maxAge: 0 });
        continue;
      }
      const target = getNamedType(field.type);
      const policy: Annotation = {};
      let inherit = false;
      if (isCompositeType(target)) {
        const annotation = typeAnnotation(target);
        Object.assign(policy, { maxAge: annotation.maxAge, scope: annotation.scope });
        inherit = annotation.inheritMaxAge === true;
      }
      const fieldAnnotation = annotationOf(field.astNode?.directives);
      if (fieldAnnotation.inheritMaxAge && policy.maxAge === undefined) {
        inherit = true;
        if (fieldAnnotation.scope) policy.scope = fieldAnnotation.scope;
      } else {
        if (fieldAnnotation.maxAge !== undefined) policy.maxAge = fieldAnnotation.maxAge;
        if (fieldAnnotation.scope) policy.scope = fieldAnnotation.scope;
      }
      // @apollo/subgraph's _entities resolver restricts by the hint of each entity's type.
      if (root && selection.name.value === '_entities' && selection.selectionSet) {
        for (const s of selection.selectionSet.selections) {
          const type =
            s.kind === Kind.INLINE_FRAGMENT && s.typeCondition ? schema.getType(s.typeCondition.name.value) : undefined;
          const annotation = type ? typeAnnotation(type) : {};
          if (annotation.maxAge !== undefined && (policy.maxAge === undefined || annotation.maxAge < policy.maxAge))
            policy.maxAge = annotation.maxAge;
          if (annotation.scope === 'PRIVATE') policy.scope = 'PRIVATE';
        }
      }
      if (policy.maxAge === undefined && ((isCompositeType(target) && !inherit) || root)) policy.maxAge = 0;
      restrict(policy);
      if (selection.selectionSet) visit(selection.selectionSet, target, false, seen);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const root =
      definition.operation === OperationTypeNode.QUERY
        ? schema.getQueryType()
        : definition.operation === OperationTypeNode.MUTATION
          ? schema.getMutationType()
          : schema.getSubscriptionType();
    if (definition.operation !== OperationTypeNode.QUERY) restrict({ maxAge: 0 });
    visit(definition.selectionSet, root ?? undefined, true, new Set());
  }
  return { maxAge: maxAge ?? 0, scope };
}
