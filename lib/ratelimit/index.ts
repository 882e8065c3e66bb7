export {
  CHECKOUT_FIELD,
  DEFAULT_REGISTRATION_BUDGET,
  isSchemaCoordinate,
  rateLimitConfigFromEnv,
  type OperationKind,
  type RateLimitBudget,
  type RateLimitBudgets,
  type RateLimitConfig,
  type RateLimitDefaults,
} from './config.ts';
export { memoryBudgetStore, redisBudgetStore, type BudgetStore, type Spend, type SpendOutcome } from './budgetStore.ts';
export { schemaFieldLimits, windowSeconds, type SchemaFieldLimit } from './directive.ts';
export { fieldUsage, usageOf, type FieldUsage } from './fieldUsage.ts';
export {
  createRateLimiter,
  REGISTRATIONS,
  RateLimitUnavailableError,
  subjectKey,
  type Admission,
  type OperationUse,
  type RateLimiter,
  type RateLimitStatus,
  type RateLimitSubject,
} from './limiter.ts';
export { rateLimitOf, rateLimitPlugin, subjectOf } from './plugin.ts';
export { RequestRateLimit } from './requestRateLimit.ts';
