export { rateLimitConfigFromEnv, type OperationKind, type RateLimitBudget, type RateLimitBudgets, type RateLimitConfig } from './config.ts';
export { createRateLimiter, subjectKey, type Admission, type RateLimiter, type RateLimitStatus, type RateLimitSubject } from './limiter.ts';
export { rateLimitOf, rateLimitPlugin, subjectOf } from './plugin.ts';
