export { createLogger, silentLogger, type Logger } from './logger.ts';
export { continueTrace, traceIdOf } from './traceparent.ts';
