export {
  describeServiceFailure,
  ServiceClient,
  ServiceGraphQLError,
  serviceUrlsFromEnv,
  type ServiceClientOptions,
  type ServiceRequest,
} from './serviceClient.ts';
