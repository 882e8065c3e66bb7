export { identityFromRequest, type Identity } from './identity.ts';
