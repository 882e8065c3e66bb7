export {
  startGraphQLServer,
  sendError,
  DEFAULT_MAX_BODY_BYTES,
  type FrontHandler,
  type FrontRequest,
  type GraphQLServerOptions,
  type PageHandler,
  type RequestUrl,
  requestInfo,
  requestUrl,
  type IncomingGraphQLRequest,
  type RequestGuard,
  type ReadinessReport,
  type RequestInfo,
  type RunningServer,
} from './graphqlServer.ts';
export { readBody, BodyTooLargeError } from './readBody.ts';
export { firstToAnswer } from './firstToAnswer.ts';
export { NegotiatedContentTypes } from './negotiatedContentTypes.ts';
export { closeOnSignals, shutdownConfigFromEnv, CLOSE_GRACE_MS, type ShutdownConfig } from './shutdown.ts';
